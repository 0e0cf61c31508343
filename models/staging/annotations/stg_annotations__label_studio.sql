-- One row per annotation of a Label Studio export: a task's annotations unnested, each with
-- the project id the task carries (data.id), its annotator and its choices.
with

source as (

    select
        filename,
        json,
        row_number() over (partition by filename) as record_number
    from {{ source('annotations', 'label_studio') }}

),

annotations as (

    select
        source.filename,
        source.record_number,
        annotation.value as annotation,
        annotation.ordinality as annotation_number,
        source.json ->> '$.data.id' as raw_project_id
    from source,
        unnest(json_extract(source.json, '$.annotations[*]'))
        with ordinality as annotation (value, ordinality)

),

renamed as (

    select
        'label_studio' as tool,
        {{ labeling_annotation_file('filename') }} as source_file,
        record_number,
        cast(annotation_number as bigint) as annotation_number,
        annotation ->> '$.id' as source_annotation_id,
        raw_project_id,
        {{ labeling_integer_or_null('raw_project_id') }} as project_id,
        case
            when json_type(annotation, '$.completed_by') = 'OBJECT'
                then coalesce(
                    annotation ->> '$.completed_by.email',
                    'label_studio:user:' || (annotation ->> '$.completed_by.id')
                )
            else 'label_studio:user:' || (annotation ->> '$.completed_by')
        end as annotator,
        coalesce(
            json_extract_string(annotation, '$.result[*].value.choices[*]'), []
        ) as choices,
        coalesce(try_cast(annotation ->> '$.was_cancelled' as boolean), false) as was_cancelled,
        cast(null as varchar) as answer,
        coalesce(try_cast(annotation ->> '$.ground_truth' as boolean), false) as is_ground_truth,
        try_cast(annotation ->> '$.lead_time' as double) as lead_time_seconds,
        {{ labeling_utc_timestamp("annotation ->> '$.updated_at'") }} as annotated_at

    from annotations

)

select * from renamed
