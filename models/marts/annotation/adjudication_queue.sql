-- The annotated projects whose annotations settle nothing, for a reviewer to decide: a tie, no
-- majority (or less agreement than var('annotation_min_agreement')), under dawid_skene a
-- posterior below var('annotation_min_posterior'), or fewer annotators than
-- var('annotation_min_annotators'). None is guessed: until a reviewer's correction (the
-- label_corrections seed) or more annotations decide, a project keeps its label from tags.csv,
-- or stays out of labeled_projects if it has none. Ties first, then by agreement
-- (or posterior), the least first.
with

decisions as (

    select * from {{ ref('int_label_decisions') }}

),

projects as (

    select * from {{ ref('stg_madewithml__projects') }}

),

open_questions as (

    select
        decisions.project_id as id,
        projects.title,
        projects.description,
        decisions.consensus_status as reason,
        decisions.n_annotators,
        decisions.votes,
        decisions.annotators,
        decisions.annotation_agreement,
        decisions.consensus_rule,
        decisions.consensus_posterior,
        decisions.given_tag,
        decisions.tag as current_tag,
        decisions.label_source as current_label_source

    from decisions
    inner join projects
        on
            decisions.batch = projects.batch
            and decisions.raw_row_number = projects.raw_row_number
    where
        decisions.consensus_status in ('tie', 'no_majority', 'low_posterior', 'too_few_annotators')
        and decisions.corrected_tag is null

)

select
    *,
    cast(row_number() over (
        order by
            case reason when 'tie' then 1 when 'too_few_annotators' then 3 else 2 end,
            coalesce(consensus_posterior, annotation_agreement),
            id
    ) as bigint) as queue_position

from open_questions
