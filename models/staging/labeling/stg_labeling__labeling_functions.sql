-- depends_on: {{ ref('labeling_functions') }}
with

source as (

    select * from {{ source('labeling', 'labeling_functions') }}

),

renamed as (

    select
        cast(rule as {{ dbt.type_string() }}) as rule_name,
        cast(tag as {{ dbt.type_string() }}) as tag,
        cast(pattern as {{ dbt.type_string() }}) as pattern,
        cast(description as {{ dbt.type_string() }}) as rule_description,
        lower(cast(kind as {{ dbt.type_string() }})) as rule_kind,
        lower(cast(field as {{ dbt.type_string() }})) as rule_field

    from source

)

select * from renamed
