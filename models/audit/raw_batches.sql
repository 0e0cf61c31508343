-- The raw batches applied to this database (labeling.batches): one row per raw file of each
-- batch - the initial projects.csv and tags.csv, then each batches/<name>/ - with its sha256,
-- its row count, the rebuild key of the build that applied it, and that build. The next build
-- reads it to decide what is new (labeling_plan_batches): a batch listed here is never read
-- again unless a full build rebuilds everything. Incremental: a build appends the batches it
-- applied.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
) }}
{%- set plan = labeling_batch_plan() %}
with

applied_files as (

    {% for batch in plan.batches if batch.name in plan.new -%}
    {%- set batch_loop = loop -%}
    {%- for file_name, file in batch.files.items() -%}
    select
        {{ labeling_sql_string(batch.name) }} as batch,
        {{ labeling_sql_string(file_name) }} as raw_file,
        {{ labeling_sql_string(file.shown) }} as raw_path,
        {{ labeling_sql_string(file.sha256) }} as sha256
    {% if not (batch_loop.last and loop.last) %}union all{% endif %}
    {% endfor -%}
    {%- else -%}
    select
        cast(null as varchar) as batch,
        cast(null as varchar) as raw_file,
        cast(null as varchar) as raw_path,
        cast(null as varchar) as sha256
    where false
    {%- endfor %}

),

row_counts as (

    select
        batch,
        'projects.csv' as raw_file,
        count(*) as n_rows

    from {{ ref('stg_madewithml__projects') }}
    where {{ labeling_in_new_batches('batch') }}
    group by batch
    union all
    select
        batch,
        'tags.csv' as raw_file,
        count(*) as n_rows

    from {{ ref('stg_madewithml__tags') }}
    where {{ labeling_in_new_batches('batch') }}
    group by batch

)

select
    applied_files.batch,
    applied_files.raw_file,
    applied_files.raw_path,
    applied_files.sha256,
    cast(coalesce(row_counts.n_rows, 0) as bigint) as n_rows,
    {{ labeling_sql_string(plan.rebuild_key) }} as rebuild_key,
    {{ labeling_sql_string(plan.mode) }} as applied_in_mode,
    {{ labeling_sql_string(invocation_id) }} as applied_by,
    cast(now() as timestamp) as applied_at

from applied_files
left join row_counts
    on
        applied_files.batch = row_counts.batch
        and applied_files.raw_file = row_counts.raw_file
