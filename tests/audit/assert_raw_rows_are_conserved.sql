-- Conservation: for each raw file, raw rows = labeled + left out, and the labeled projects in
-- the audit are exactly the ids of labeled_projects. Failure rows say which check broke.
with

raw_counts as (

    select
        'projects.csv' as raw_file,
        count(*) as n_raw
    from {{ source(labeling_raw_source(), 'projects') }}
    union all
    select
        'tags.csv' as raw_file,
        count(*) as n_raw
    from {{ source(labeling_raw_source(), 'tags') }}

),

audit_counts as (

    select
        raw_file,
        count(*) filter (where outcome = 'labeled') as n_labeled,
        count(*) filter (where outcome = 'left_out') as n_left_out
    from {{ ref('raw_row_audit') }}
    group by raw_file

),

count_mismatches as (

    select
        raw_counts.raw_file,
        'raw rows ' || raw_counts.n_raw || ' <> labeled '
        || coalesce(audit_counts.n_labeled, 0) || ' + left out '
        || coalesce(audit_counts.n_left_out, 0) as problem
    from raw_counts
    left join audit_counts
        on raw_counts.raw_file = audit_counts.raw_file
    where
        raw_counts.n_raw
        <> coalesce(audit_counts.n_labeled, 0) + coalesce(audit_counts.n_left_out, 0)

),

audit_labeled_ids as (

    select distinct project_id as id
    from {{ ref('raw_row_audit') }}
    where raw_file = 'projects.csv' and outcome = 'labeled'

),

labeled_ids as (

    select distinct id from {{ ref('labeled_projects') }}

),

only_in_audit as (

    select id from audit_labeled_ids
    except
    select id from labeled_ids

),

only_in_mart as (

    select id from labeled_ids
    except
    select id from audit_labeled_ids

),

id_mismatches as (

    select
        'projects.csv' as raw_file,
        'id ' || id || ' labeled in raw_row_audit but not in labeled_projects' as problem
    from only_in_audit
    union all
    select
        'projects.csv' as raw_file,
        'id ' || id || ' in labeled_projects but not labeled in raw_row_audit' as problem
    from only_in_mart

)

select * from count_mismatches
union all
select * from id_mismatches
