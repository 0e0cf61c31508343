-- One row per annotation of every labeling tool's export: the records the project's one
-- annotation parser read from the files (plugins/labeling/annotations.py), renamed and cast.
with

source as (

    select * from {{ source('annotations', 'records') }}

),

renamed as (

    select
        tool,
        source_file,
        record_number,
        annotation_number,
        source_annotation_id,
        raw_project_id,
        {{ labeling_integer_or_null('raw_project_id') }} as project_id,
        annotator,
        choices,
        was_cancelled,
        answer,
        binary_label,
        is_ground_truth,
        lead_time_seconds,
        cast(annotated_at as timestamp) as annotated_at

    from source

)

select * from renamed
