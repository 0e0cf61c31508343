-- depends_on: {{ ref('label_corrections') }}
-- Reviewers' corrections, renamed and cast: one row per line of the label_corrections seed.
with

source as (

    select
        *,
        {{ labeling_seed_row_index() }} as source_rowid
    from {{ source('labeling', 'label_corrections') }}

),

renamed as (

    select
        cast(source_rowid + 1 as bigint) as correction_number,
        cast(id as bigint) as project_id,
        cast(tag as {{ dbt.type_string() }}) as tag,
        cast(reviewer as {{ dbt.type_string() }}) as reviewer,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(decided_at as timestamp) as decided_at

    from source

)

select * from renamed
