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
        cast(id as bigint) as project_id,
        cast(tag as varchar) as tag

    from source

)

select * from renamed
