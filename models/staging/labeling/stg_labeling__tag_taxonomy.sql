-- depends_on: {{ ref('tag_taxonomy') }}
with

source as (

    select * from {{ source('labeling', 'tag_taxonomy') }}

),

renamed as (

    select
        cast(tag as {{ dbt.type_string() }}) as tag,
        cast(parent as {{ dbt.type_string() }}) as parent_tag,
        cast(description as {{ dbt.type_string() }}) as tag_description,
        cast(aliases as {{ dbt.type_string() }}) as aliases

    from source

)

select * from renamed
