-- Conservation: every raw row is counted once. Per raw file, the rows staging parsed (the
-- file, rename and cast only, no filter) = the rows of raw_row_outcomes; per outcome, the rows
-- raw_row_audit lists = the count raw_row_outcomes says it lists; the labeled projects.csv
-- rows = the rows of labeled_projects; and every project the audit lists as labeled is in
-- labeled_projects, every one it lists as left out is not. Failure rows say which check broke.
with

outcomes as (

    select * from {{ ref('raw_row_outcomes') }}

),

raw_counts as (

    select
        'projects.csv' as raw_file,
        count(*) as n_raw
    from {{ ref('stg_madewithml__projects') }}
    union all
    select
        'tags.csv' as raw_file,
        count(*) as n_raw
    from {{ ref('stg_madewithml__tags') }}

),

outcome_totals as (

    select
        raw_file,
        sum(n_rows) as n_rows,
        sum(n_rows) filter (where outcome = 'labeled') as n_labeled,
        sum(n_rows) filter (where outcome = 'left_out') as n_left_out
    from outcomes
    group by raw_file

),

count_mismatches as (

    select
        raw_counts.raw_file,
        'raw rows ' || raw_counts.n_raw || ' <> labeled '
        || coalesce(outcome_totals.n_labeled, 0) || ' + left out '
        || coalesce(outcome_totals.n_left_out, 0) as problem
    from raw_counts
    left join outcome_totals
        on raw_counts.raw_file = outcome_totals.raw_file
    where raw_counts.n_raw <> coalesce(outcome_totals.n_rows, 0)

),

audit_counts as (

    select
        raw_file,
        outcome,
        reason,
        label_source,
        count(*) as n_listed
    from {{ ref('raw_row_audit') }}
    group by raw_file, outcome, reason, label_source

),

listing_mismatches as (

    select
        coalesce(outcomes.raw_file, audit_counts.raw_file) as raw_file,
        'outcome ' || coalesce(outcomes.outcome, audit_counts.outcome)
        || coalesce(':' || coalesce(outcomes.reason, audit_counts.reason), '')
        || coalesce(' (' || coalesce(outcomes.label_source, audit_counts.label_source) || ')', '')
        || ': raw_row_outcomes lists ' || coalesce(outcomes.n_rows_listed, 0)
        || ' row(s), raw_row_audit has ' || coalesce(audit_counts.n_listed, 0) as problem
    from outcomes
    full outer join audit_counts
        on
            outcomes.raw_file = audit_counts.raw_file
            and outcomes.outcome = audit_counts.outcome
            and outcomes.reason is not distinct from audit_counts.reason
            and outcomes.label_source is not distinct from audit_counts.label_source
    where coalesce(outcomes.n_rows_listed, 0) <> coalesce(audit_counts.n_listed, 0)

),

labeled_rows as (

    select count(*) as n_rows from {{ ref('labeled_projects') }}

),

labeled_mismatches as (

    select
        'projects.csv' as raw_file,
        'labeled rows ' || coalesce(outcome_totals.n_labeled, 0) || ' <> rows of labeled_projects '
        || labeled_rows.n_rows as problem
    from labeled_rows
    left join outcome_totals
        on outcome_totals.raw_file = 'projects.csv'
    where coalesce(outcome_totals.n_labeled, 0) <> labeled_rows.n_rows

),

listed_projects as (

    select
        project_id,
        outcome
    from {{ ref('raw_row_audit') }}
    where raw_file = 'projects.csv'

),

labeled_ids as (

    select id from {{ ref('labeled_projects') }}

),

id_mismatches as (

    select
        'projects.csv' as raw_file,
        'id ' || listed_projects.project_id || ' is ' || listed_projects.outcome
        || ' in raw_row_audit but '
        || case when labeled_ids.id is null then 'not in' else 'in' end
        || ' labeled_projects' as problem
    from listed_projects
    left join labeled_ids
        on listed_projects.project_id = labeled_ids.id
    where (listed_projects.outcome = 'labeled') <> (labeled_ids.id is not null)

)

select * from count_mismatches
union all
select * from listing_mismatches
union all
select * from labeled_mismatches
union all
select * from id_mismatches
