-- Conservation of annotations: for every annotation file, the annotations the project's
-- annotation parser read from it (one record per Label Studio annotation, per JSONL line) =
-- loaded + left out in int_annotations_classified (where the rule is; annotation_audit is its
-- public table). Failure rows name the file and the counts.
with

in_files as (

    select
        source_file,
        count(*) as n_in_file
    from {{ source('annotations', 'records') }}
    group by source_file

),

audited as (

    select
        source_file,
        count(*) filter (where outcome = 'loaded') as n_loaded,
        count(*) filter (where outcome = 'left_out') as n_left_out
    from {{ ref('int_annotations_classified') }}
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
