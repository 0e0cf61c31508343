-- One row per annotation of a Label Studio export: a task's annotations unnested, each with
-- the project id the task carries (data.id), its annotator and its choices.
with

source as (

    select
        filename,
        json,
        cast(
            row_number() over (partition by filename {{ labeling_in_file_order() }}) as bigint
        ) as record_number
    from {{ source('annotations', 'label_studio') }}

),

annotations as (

    select
        source.filename,
        source.record_number,
        annotation.value as annotation,
        annotation.ordinality as annotation_number,
        {{ labeling_json_text('source.json', '$.data.id') }} as raw_project_id
    from source
    {{- labeling_unnest_with_ordinality(
        labeling_json_objects('source.json', '$.annotations'), 'annotation'
    ) }}

),

renamed as (

    select
        'label_studio' as tool,
        {{ labeling_annotation_file('filename') }} as source_file,
        record_number,
        cast(annotation_number as bigint) as annotation_number,
        {{ labeling_json_text('annotation', '$.id') }} as source_annotation_id,
        raw_project_id,
        {{ labeling_integer_or_null('raw_project_id') }} as project_id,
        case
            when {{ labeling_json_kind('annotation', '$.completed_by') }} = 'OBJECT'
                then coalesce(
                    {{ labeling_json_text('annotation', '$.completed_by.email') }},
                    'label_studio:user:'
                    || {{ labeling_json_text('annotation', '$.completed_by.id') }}
                )
            else 'label_studio:user:' || {{ labeling_json_text('annotation', '$.completed_by') }}
        end as annotator,
        coalesce(
            {{ labeling_label_studio_choices('annotation') }}, {{ labeling_list() }}
        ) as choices,
        coalesce(
            try_cast({{ labeling_json_text('annotation', '$.was_cancelled') }} as boolean), false
        ) as was_cancelled,
        cast(null as {{ dbt.type_string() }}) as answer,
        coalesce(
            try_cast({{ labeling_json_text('annotation', '$.ground_truth') }} as boolean), false
        ) as is_ground_truth,
        try_cast({{ labeling_json_text('annotation', '$.lead_time') }} as double)
            as lead_time_seconds,
        {{ labeling_utc_timestamp(labeling_json_text('annotation', '$.updated_at')) }}
            as annotated_at

    from annotations

)

select * from renamed
