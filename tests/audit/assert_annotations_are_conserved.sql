-- Conservation of annotations: for every annotation file, the annotations it holds (counted
-- from the raw JSON: the length of each Label Studio task's annotations list, one per JSONL
-- line) = loaded + left out in annotation_audit. Failure rows name the file and the counts.
with

label_studio as (

    select
        filename,
        sum(coalesce({{ labeling_json_array_length('json', '$.annotations') }}, 0)) as n_in_file
    from {{ source('annotations', 'label_studio') }}
    group by filename

),

json_lines as (

    select
        filename,
        count(*) as n_in_file
    from {{ source('annotations', 'doccano') }}
    group by filename
    union all
    select
        filename,
        count(*) as n_in_file
    from {{ source('annotations', 'prodigy') }}
    group by filename

),

in_files as (

    select
        {{ labeling_annotation_file('filename') }} as source_file,
        n_in_file
    from label_studio
    union all
    select
        {{ labeling_annotation_file('filename') }} as source_file,
        n_in_file
    from json_lines

),

audited as (

    select
        source_file,
        count(*) filter (where outcome = 'loaded') as n_loaded,
        count(*) filter (where outcome = 'left_out') as n_left_out
    from {{ ref('annotation_audit') }}
    group by source_file

)

select
    coalesce(in_files.source_file, audited.source_file) as source_file,
    coalesce(in_files.n_in_file, 0) as annotations_in_file,
    coalesce(audited.n_loaded, 0) as loaded,
    coalesce(audited.n_left_out, 0) as left_out
from in_files
full outer join audited
    on in_files.source_file = audited.source_file
where
    coalesce(in_files.n_in_file, 0)
    <> coalesce(audited.n_loaded, 0) + coalesce(audited.n_left_out, 0)
