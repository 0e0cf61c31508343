-- One row per line of a Prodigy db-out export: the answer (accept, reject, ignore), the project
-- id (meta.id), the annotator (_annotator_id or _session_id, else the file's name) and the tags
-- chosen: the accepted options (choice interface) or, for an accepted binary task, its label.
with

source as (

    select
        filename,
        json,
        cast(
            row_number() over (partition by filename {{ labeling_in_file_order() }}) as bigint
        ) as record_number
    from {{ source('annotations', 'prodigy') }}

),

renamed as (

    select
        'prodigy' as tool,
        {{ labeling_annotation_file('filename') }} as source_file,
        record_number,
        cast(1 as bigint) as annotation_number,
        {{ labeling_json_text('json', '$._task_hash') }} as source_annotation_id,
        {{ labeling_json_text('json', '$.meta.id') }} as raw_project_id,
        {{ labeling_integer_or_null(labeling_json_text('json', '$.meta.id')) }} as project_id,
        coalesce(
            {{ labeling_json_text('json', '$._annotator_id') }},
            {{ labeling_json_text('json', '$._session_id') }},
            'prodigy:' || regexp_extract(filename, '([^/]+)[.]jsonl$', 1)
        ) as annotator,
        case
            when {{ labeling_json_kind('json', '$.accept') }} = 'ARRAY'
                then
                    coalesce({{ labeling_json_strings('json', '$.accept') }}, {{ labeling_list() }})
            when
                {{ labeling_json_text('json', '$.answer') }} = 'accept'
                and {{ labeling_json_text('json', '$.label') }} is not null
                then {{ labeling_list([labeling_json_text('json', '$.label')]) }}
            else {{ labeling_list() }}
        end as choices,
        false as was_cancelled,
        {{ labeling_json_text('json', '$.answer') }} as answer,
        false as is_ground_truth,
        cast(null as double) as lead_time_seconds,
        {{ labeling_epoch_to_utc(
            'try_cast(' ~ labeling_json_text('json', '$._timestamp') ~ ' as double)'
        ) }} as annotated_at

    from source

)

select * from renamed
