-- One final label per project, by precedence: a reviewer's correction (the latest of the
-- label_corrections seed), else the annotators' consensus (annotation_votes), else the tag
-- given in tags.csv; with what each source said. NULL tag: no source gives one.
with

projects as (

    select * from {{ ref('int_projects_joined_to_tags') }}

),

votes as (

    select * from {{ ref('annotation_votes') }}

),

corrections as (

    select * from {{ ref('stg_labeling__label_corrections') }}

),

latest_corrections as (

    select
        *,
        count(*) over (partition by project_id) as n_corrections

    from corrections
    qualify row_number() over (
        partition by project_id order by decided_at desc, correction_number desc
    ) = 1

),

decided as (

    select
        projects.project_id,
        projects.created_on,
        projects.title,
        projects.description,
        projects.tag as given_tag,
        votes.n_annotators,
        votes.votes,
        votes.annotators,
        votes.agreement as annotation_agreement,
        votes.consensus_status,
        votes.consensus_tag,
        latest_corrections.tag as corrected_tag,
        latest_corrections.reviewer as corrected_by,
        latest_corrections.reason as correction_reason,
        latest_corrections.decided_at as corrected_at,
        coalesce(latest_corrections.n_corrections, 0) as n_corrections,
        coalesce(latest_corrections.tag, votes.consensus_tag, projects.tag) as tag,
        {{ labeling_label_source('latest_corrections.tag', 'votes.consensus_tag', 'projects.tag') }}
            as label_source

    from projects
    left join votes
        on projects.project_id = votes.id
    left join latest_corrections
        on projects.project_id = latest_corrections.project_id

)

select * from decided
