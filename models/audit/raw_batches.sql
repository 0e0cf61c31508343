-- The raw batches applied to this database (labeling.batches): one row per raw file of each
-- batch - the initial projects.csv and tags.csv, then each batches/<name>/ - with its sha256,
-- its row count, the rebuild key of the build that applied it, and that build. The next build
-- reads it to decide what is new (labeling_plan_batches): a batch listed here is never read
-- again unless a full build rebuilds everything. Incremental: a build appends the batches it
-- applied.
-- DuckDB only: Spark builds read the raw files whole (labeling.spark.prepare refuses batches).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    enabled=target.type == 'duckdb',
) }}
{%- set plan = labeling_batch_plan() -%}
{#- One (batch, raw_file, raw_path, sha256) per file this build applies; a row of NULLs, dropped
    below, when there is none. -#}
{%- set applied = [] -%}
{%- for batch in plan.batches if batch.name in plan.new -%}
    {%- for file_name, file in batch.files.items() -%}
        {%- do applied.append('(' ~ labeling_sql_string(batch.name) ~ ', '
            ~ labeling_sql_string(file_name) ~ ', ' ~ labeling_sql_string(file.shown) ~ ', '
            ~ labeling_sql_string(file.sha256) ~ ')') -%}
    {%- endfor -%}
{%- endfor -%}
{%- if applied | length == 0 -%}
    {%- do applied.append('(null, null, null, null)') -%}
{%- endif %}
with

applied_files as (

    select
        cast(applied.batch as {{ dbt.type_string() }}) as batch,
        cast(applied.raw_file as {{ dbt.type_string() }}) as raw_file,
        cast(applied.raw_path as {{ dbt.type_string() }}) as raw_path,
        cast(applied.sha256 as {{ dbt.type_string() }}) as sha256

    from (values {{ applied | join(', ') }}) as applied (batch, raw_file, raw_path, sha256)
    where applied.batch is not null

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
