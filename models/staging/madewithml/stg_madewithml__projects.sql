{% if labeling_load_mode() == 'seed' -%}
-- depends_on: {{ ref('projects') }}
{%- endif %}
{#- One branch per raw projects.csv this build reads: the initial file, then each batch's
    (labeling_raw_batch_files; an incremental build on the read_csv path reads only the batches
    not applied yet and appends them). -#}
{%- set files = labeling_raw_batch_files('projects.csv') %}
with

{% for file in files -%}
source_{{ loop.index }} as (

    {{ labeling_raw_batch_rows('projects', file) }}

),

{% endfor -%}
renamed as (

    {% for file in files -%}
    select
        {{ labeling_sql_string(file.batch) }} as batch,
        cast(source_rowid + 1 as bigint) as raw_row_number,
        {{ labeling_typed('id', 'bigint', file.shown) }} as project_id,
        {{ labeling_typed('created_on', 'timestamp', file.shown) }} as created_on,
        {{ labeling_typed('title', 'varchar', file.shown) }} as title,
        {{ labeling_typed('description', 'varchar', file.shown) }} as description

    from source_{{ loop.index }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from renamed
