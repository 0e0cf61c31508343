-- depends_on: {{ ref('tags') }}
with

source as (

    select
        *,
        rowid as source_rowid
    from {{ source('madewithml', 'tags') }}

),

renamed as (

    select
        cast(source_rowid + 1 as bigint) as raw_row_number,
        cast(id as bigint) as project_id,
        cast(tag as varchar) as tag

    from source

)

select * from renamed
