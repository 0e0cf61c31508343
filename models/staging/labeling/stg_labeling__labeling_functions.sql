-- depends_on: {{ ref('labeling_functions') }}
with

source as (

    select * from {{ source('labeling', 'labeling_functions') }}

),

renamed as (

    select
        cast(rule as varchar) as rule_name,
        cast(tag as varchar) as tag,
        cast(pattern as varchar) as pattern,
        cast(description as varchar) as rule_description,
        lower(cast(kind as varchar)) as rule_kind,
        lower(cast(field as varchar)) as rule_field

    from source

)

select * from renamed
