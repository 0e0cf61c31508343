{% if labeling_load_mode() == 'seed' -%}
-- depends_on: {{ ref('tags') }}
{%- endif %}
with

source as (

    select
        *,
        {{ labeling_source_row_index() }} as source_rowid
    from {{ source(labeling_raw_source(), 'tags') }}

),

renamed as (

    select
        cast(source_rowid + 1 as bigint) as raw_row_number,
        {{ labeling_typed('id', 'bigint', 'tags.csv') }} as project_id,
        {{ labeling_typed('tag', 'varchar', 'tags.csv') }} as tag

    from source

)

select * from renamed
