-- One row per line of a Doccano text-classification export: the project id (meta.id, or
-- project_id), the annotator (the line's user or annotator, else the file's name) and the
-- labels chosen.
with

source as (

    select
        filename,
        json,
        cast(
            row_number() over (partition by filename {{ labeling_in_file_order() }}) as bigint
        ) as record_number
    from {{ source('annotations', 'doccano') }}

),

renamed as (

    select
        'doccano' as tool,
        {{ labeling_annotation_file('filename') }} as source_file,
        record_number,
        cast(1 as bigint) as annotation_number,
        {{ labeling_json_text('json', '$.id') }} as source_annotation_id,
        coalesce(
            {{ labeling_json_text('json', '$.meta.id') }},
            {{ labeling_json_text('json', '$.project_id') }}
        ) as raw_project_id,
        {{ labeling_integer_or_null('coalesce(' ~ labeling_json_text('json', '$.meta.id') ~ ', '
            ~ labeling_json_text('json', '$.project_id') ~ ')') }}
            as project_id,
        coalesce(
            {{ labeling_json_text('json', '$.user') }},
            {{ labeling_json_text('json', '$.annotator') }},
            'doccano:' || regexp_extract(filename, '([^/]+)[.]jsonl$', 1)
        ) as annotator,
        case
            when {{ labeling_json_kind('json', '$.label') }} = 'VARCHAR'
                then {{ labeling_list([labeling_json_text('json', '$.label')]) }}
            else coalesce({{ labeling_json_strings('json', '$.label') }}, {{ labeling_list() }})
        end as choices,
        false as was_cancelled,
        cast(null as {{ dbt.type_string() }}) as answer,
        false as is_ground_truth,
        cast(null as double) as lead_time_seconds,
        cast(null as timestamp) as annotated_at

    from source

)

select * from renamed
