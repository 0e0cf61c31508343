-- Snorkel's global label coverage, overlap and conflict (LFAnalysis.label_coverage,
-- label_overlap, label_conflict) over N = all projects: one row.
with

votes as (

    select * from {{ ref('int_labeling_function_votes') }}

),

projects as (

    select * from {{ ref('stg_madewithml__projects') }}

),

rules as (

    select * from {{ ref('int_labeling_functions_unioned') }}

),

project_votes as (

    select * from {{ ref('int_labeling_function_votes_per_project') }}

),

totals as (

    select
        count(*) as n_projects,
        count(project_votes.id) as n_covered,
        count(*) filter (where project_votes.n_rules_voting >= 2) as n_overlapped,
        count(*) filter (where project_votes.n_tags_voted >= 2) as n_conflicted

    from projects
    left join project_votes
        on projects.project_id = project_votes.id

)

select
    '{{ invocation_id }}' as invocation_id,
    totals.n_projects,
    totals.n_covered,
    totals.n_overlapped,
    totals.n_conflicted,
    (select count(*) from rules) as n_rules,
    (select count(*) from votes) as n_votes,
    totals.n_covered / nullif(totals.n_projects, 0) as label_coverage,
    totals.n_overlapped / nullif(totals.n_projects, 0) as label_overlap,
    totals.n_conflicted / nullif(totals.n_projects, 0) as label_conflict

from totals
