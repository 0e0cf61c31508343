-- The annotations that count: one per project and annotator (the loaded rows of
-- int_annotations_classified), the input of agreement and decisions.
with

classified as (

    select * from {{ ref('int_annotations_classified') }}

),

loaded as (

    select
        project_id,
        annotator,
        tag,
        tool,
        source_file,
        is_ground_truth,
        lead_time_seconds,
        annotated_at

    from classified
    where outcome = 'loaded'

)

select * from loaded
