-- Every annotation found in the annotation files, with its outcome: loaded (it counts), or
-- left out with a reason, as int_annotations_classified decides (the rule lives there, where
-- the annotations that count are read); this is its public, contracted table, with the tests
-- that account for every annotation.
with

classified as (

    select * from {{ ref('int_annotations_classified') }}

)

select
    tool,
    source_file,
    record_number,
    annotation_number,
    source_annotation_id,
    raw_project_id,
    project_id,
    annotator,
    chosen_tags,
    tag,
    is_ground_truth,
    lead_time_seconds,
    annotated_at,
    outcome,
    reason

from classified
