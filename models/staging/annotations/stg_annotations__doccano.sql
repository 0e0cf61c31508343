-- One row per line of a Doccano text-classification export: the project id (meta.id, or
-- project_id), the annotator (the line's user or annotator, else the file's name) and the
-- labels chosen.
with

source as (

    select
        filename,
        json,
        row_number() over (partition by filename) as record_number
    from {{ source('annotations', 'doccano') }}

),

renamed as (

    select
        'doccano' as tool,
        {{ labeling_annotation_file('filename') }} as source_file,
        record_number,
        cast(1 as bigint) as annotation_number,
        json ->> '$.id' as source_annotation_id,
        coalesce(json ->> '$.meta.id', json ->> '$.project_id') as raw_project_id,
        {{ labeling_integer_or_null("coalesce(json ->> '$.meta.id', json ->> '$.project_id')") }}
            as project_id,
        coalesce(
            json ->> '$.user',
            json ->> '$.annotator',
            'doccano:' || regexp_extract(filename, '([^/]+)[.]jsonl$', 1)
        ) as annotator,
        case
            when json_type(json, '$.label') = 'VARCHAR' then [json ->> '$.label']
            else coalesce(json_extract_string(json, '$.label[*]'), [])
        end as choices,
        false as was_cancelled,
        cast(null as varchar) as answer,
        false as is_ground_truth,
        cast(null as double) as lead_time_seconds,
        cast(null as timestamp) as annotated_at

    from source

)

select * from renamed
