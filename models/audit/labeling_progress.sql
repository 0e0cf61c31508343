-- The labeling team's progress, one row per published build: how many labels each source
-- gives, the tasks sent to annotators so far and how many of them came back annotated, the
-- adjudication queue, the annotators' agreement and the labeling functions' coverage. The
-- labeling report (scripts/report.py) charts it over builds.
-- Incremental and never rebuilt (full_refresh false, which the batch plan respects too): a
-- build appends its own row; a build that fails is not published, so its row is never kept.
-- DuckDB only, like raw_batches: a Spark build starts from an empty warehouse.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='fail',
    enabled=target.type == 'duckdb',
    tags=['labeling_workflow', 'annotation_loop'],
) }}
with

provenance as (

    select * from {{ ref('label_provenance') }}

),

tasks as (

    select * from {{ ref('annotation_tasks') }}

),

votes as (

    select * from {{ ref('annotation_votes') }}

),

adjudication as (

    select * from {{ ref('adjudication_queue') }}

),

agreement as (

    select * from {{ ref('annotation_agreement') }}

),

coverage as (

    select * from {{ ref('labeling_function_coverage') }}

),

exported_so_far as (

    select id from tasks
    {% if is_incremental() -%}
        union
        select unnest(exported_task_ids) as id from {{ this }}
    {%- endif %}

),

labels as (

    select
        count(*) as n_labeled,
        count(*) filter (where label_source = 'tags_csv') as n_labels_tags_csv,
        count(*) filter (where label_source = 'annotation_consensus') as n_labels_consensus,
        count(*) filter (where label_source = 'reviewer_correction') as n_labels_corrected

    from provenance

),

task_progress as (

    select
        (select list(tasks.id order by tasks.id) from tasks) as exported_task_ids,
        count(*) as n_tasks_exported_so_far,
        count(votes.id) as n_tasks_annotated

    from exported_so_far
    left join votes
        on exported_so_far.id = votes.id

)

select
    cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as invocation_id,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as run_started_at,
    labels.n_labeled,
    labels.n_labels_tags_csv,
    labels.n_labels_consensus,
    labels.n_labels_corrected,
    cast(coalesce(len(task_progress.exported_task_ids), 0) as bigint) as n_tasks_exported,
    coalesce(task_progress.exported_task_ids, []) as exported_task_ids,
    task_progress.n_tasks_exported_so_far,
    task_progress.n_tasks_annotated,
    (select count(*) from votes) as n_projects_annotated,
    (select count(*) from adjudication) as n_adjudication_queue,
    agreement.n_annotators,
    agreement.n_annotations,
    agreement.fleiss_kappa,
    agreement.krippendorff_alpha,
    agreement.percent_agreement,
    coverage.label_coverage,
    coverage.label_overlap,
    coverage.label_conflict

from labels
cross join task_progress
cross join agreement
cross join coverage
