-- depends_on: {{ ref('tag_taxonomy') }}
with

source as (

    select * from {{ source('labeling', 'tag_taxonomy') }}

),

renamed as (

    select
        cast(tag as varchar) as tag,
        cast(parent as varchar) as parent_tag,
        cast(description as varchar) as tag_description,
        cast(aliases as varchar) as aliases

    from source

)

select * from renamed
