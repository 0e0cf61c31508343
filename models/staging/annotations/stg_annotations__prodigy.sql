-- One row per line of a Prodigy db-out export: the answer (accept, reject, ignore), the project
-- id (meta.id), the annotator (_annotator_id or _session_id, else the file's name) and the tags
-- chosen: the accepted options (choice interface) or, for an accepted binary task, its label.
with

source as (

    select
        filename,
        json,
        row_number() over (partition by filename) as record_number
    from {{ source('annotations', 'prodigy') }}

),

renamed as (

    select
        'prodigy' as tool,
        {{ labeling_annotation_file('filename') }} as source_file,
        record_number,
        cast(1 as bigint) as annotation_number,
        json ->> '$._task_hash' as source_annotation_id,
        json ->> '$.meta.id' as raw_project_id,
        {{ labeling_integer_or_null("json ->> '$.meta.id'") }} as project_id,
        coalesce(
            json ->> '$._annotator_id',
            json ->> '$._session_id',
            'prodigy:' || regexp_extract(filename, '([^/]+)[.]jsonl$', 1)
        ) as annotator,
        case
            when json_type(json, '$.accept') = 'ARRAY'
                then coalesce(json_extract_string(json, '$.accept[*]'), [])
            when json ->> '$.answer' = 'accept' and json ->> '$.label' is not null
                then [json ->> '$.label']
            else []
        end as choices,
        false as was_cancelled,
        json ->> '$.answer' as answer,
        false as is_ground_truth,
        cast(null as double) as lead_time_seconds,
        timezone('UTC', to_timestamp(try_cast(json ->> '$._timestamp' as double))) as annotated_at

    from source

)

select * from renamed
