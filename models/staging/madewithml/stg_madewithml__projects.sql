-- depends_on: {{ ref('projects') }}
with

source as (

    select
        *,
        rowid as source_rowid
    from {{ source('madewithml', 'projects') }}

),

renamed as (

    select
        cast(source_rowid + 1 as bigint) as raw_row_number,
        cast(id as bigint) as project_id,
        cast(created_on as timestamp) as created_on,
        cast(title as varchar) as title,
        cast(description as varchar) as description

    from source

)

select * from renamed
