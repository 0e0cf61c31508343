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
        {{ labeling_typed('id', 'bigint', 'projects.csv') }} as project_id,
        {{ labeling_typed('created_on', 'timestamp', 'projects.csv') }} as created_on,
        {{ labeling_typed('title', 'varchar', 'projects.csv') }} as title,
        {{ labeling_typed('description', 'varchar', 'projects.csv') }} as description

    from source

)

select * from renamed
