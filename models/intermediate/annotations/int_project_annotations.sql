-- The annotations that count: one per project and annotator (the loaded rows of
-- annotation_audit), the input of agreement and decisions.
with

audit as (

    select * from {{ ref('annotation_audit') }}

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

    from audit
    where outcome = 'loaded'

)

select * from loaded
