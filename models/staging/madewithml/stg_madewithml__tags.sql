-- depends_on: {{ ref('tags') }}
with

source as (

    select * from {{ source('madewithml', 'tags') }}

),

renamed as (

    select
        cast(id as bigint) as project_id,
        cast(tag as varchar) as tag

    from source

)

select * from renamed
