-- depends_on: {{ ref('projects') }}
with

source as (

    select * from {{ source('madewithml', 'projects') }}

),

renamed as (

    select
        cast(id as bigint) as project_id,
        cast(created_on as timestamp) as created_on,
        cast(title as varchar) as title,
        cast(description as varchar) as description

    from source

)

select * from renamed
