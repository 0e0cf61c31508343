-- The labeling report's progress over builds: one row per published build, oldest first,
-- numbered from 1, from labeling_progress (labels by source, tasks, the adjudication queue,
-- agreement and the labeling functions' coverage). DuckDB only, like labeling_progress.
{{ config(enabled=target.type == 'duckdb') }}
with

progress as (

    select * from {{ ref('labeling_progress') }}

)

select
    invocation_id,
    n_labeled,
    n_labels_tags_csv,
    n_labels_consensus,
    n_labels_corrected,
    n_tasks_exported,
    n_tasks_exported_so_far,
    n_tasks_annotated,
    n_projects_annotated,
    n_adjudication_queue,
    n_annotators,
    n_annotations,
    round(fleiss_kappa, 4) as fleiss_kappa,
    round(krippendorff_alpha, 4) as krippendorff_alpha,
    round(percent_agreement, 4) as percent_agreement,
    round(label_coverage, 4) as label_coverage,
    round(label_overlap, 4) as label_overlap,
    round(label_conflict, 4) as label_conflict,
    row_number() over (order by run_started_at) as build_number,
    strftime(run_started_at, '%Y-%m-%d %H:%M') as built_at
from progress
order by build_number
