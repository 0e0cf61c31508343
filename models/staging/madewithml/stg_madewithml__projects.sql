{% if labeling_load_mode() == 'seed' -%}
-- depends_on: {{ ref('projects') }}
{%- endif %}
with

source as (

    select
        *,
        {{ labeling_source_row_index() }} as source_rowid
    from {{ source(labeling_raw_source(), 'projects') }}

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
