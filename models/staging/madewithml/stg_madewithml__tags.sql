{% if labeling_load_mode() == 'seed' -%}
-- depends_on: {{ ref('tags') }}
{%- endif %}
{#- One branch per raw tags.csv this build reads: the initial file, then each batch's
    (labeling_raw_batch_files; an incremental build on the read_csv path reads only the batches
    not applied yet and appends them). -#}
{%- set files = labeling_raw_batch_files('tags.csv') %}
with

{% for file in files -%}
source_{{ loop.index }} as (

    {{ labeling_raw_batch_rows('tags', file) }}

),

{% endfor -%}
renamed as (

    {% for file in files -%}
    select
        {{ labeling_sql_string(file.batch) }} as batch,
        cast(source_rowid + 1 as bigint) as raw_row_number,
        {{ labeling_typed('id', 'bigint', file.shown) }} as project_id,
        {{ labeling_typed('tag', 'varchar', file.shown) }} as tag

    from source_{{ loop.index }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from renamed
