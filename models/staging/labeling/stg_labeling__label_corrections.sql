-- depends_on: {{ ref('label_corrections') }}
-- Reviewers' corrections, renamed and cast: one row per line of the label_corrections seed.
with

source as (

    select
        *,
        rowid as source_rowid
    from {{ source('labeling', 'label_corrections') }}

),

renamed as (

    select
        cast(source_rowid + 1 as bigint) as correction_number,
        cast(id as bigint) as project_id,
        cast(tag as varchar) as tag,
        cast(reviewer as varchar) as reviewer,
        cast(reason as varchar) as reason,
        cast(decided_at as timestamp) as decided_at

    from source

)

select * from renamed
