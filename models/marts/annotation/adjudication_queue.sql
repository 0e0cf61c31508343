-- The annotated projects whose annotations settle nothing, for a reviewer to decide: a tie, no
-- majority (or less agreement than var('annotation_min_agreement')), or fewer annotators than
-- var('annotation_min_annotators'). None is guessed: until a reviewer's correction (the
-- label_corrections seed) or more annotations decide, a project keeps its label from tags.csv,
-- or stays out of labeled_projects if it has none. Ties first, then by agreement.
with

decisions as (

    select * from {{ ref('int_label_decisions') }}

),

open_questions as (

    select
        project_id as id,
        title,
        description,
        consensus_status as reason,
        n_annotators,
        votes,
        annotators,
        annotation_agreement,
        given_tag,
        tag as current_tag,
        label_source as current_label_source

    from decisions
    where
        consensus_status in ('tie', 'no_majority', 'too_few_annotators')
        and corrected_tag is null

)

select
    *,
    row_number() over (
        order by
            case reason when 'tie' then 1 when 'no_majority' then 2 else 3 end,
            annotation_agreement,
            id
    ) as queue_position

from open_questions
