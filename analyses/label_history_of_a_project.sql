{{ config(enabled=var('history_snapshots') | string | lower == 'true') }}
-- Every version of one project's label, oldest first: what it was, where it came from, who
-- decided it and why, and when it held (label_history, the snapshot of label_provenance).
-- "What was project 2436's label before the last correction, who changed it and why?" is the
-- row before the reviewer_correction. dbt compile --vars '{history_project_id: 2436}'
with

history as (

    select * from {{ ref('label_history') }}

)

select
    id,
    tag,
    label_source,
    given_tag,
    consensus_tag,
    n_annotators,
    corrected_by,
    correction_reason,
    corrected_at,
    decided_in_build,
    dbt_valid_from as valid_from,
    dbt_valid_to as valid_to
from history
where id = {{ var('history_project_id', 2436) }}
order by dbt_valid_from
