-- One final label per row of projects.csv, by precedence: a reviewer's correction (the latest
-- of the label_corrections seed), else the annotators' consensus (int_annotation_votes), else the
-- tag given in tags.csv; with what each source said. NULL tag: no source gives one.
-- Narrow on purpose (no text): labeled_projects takes the text from staging by raw row, so
-- the 10-million-row path writes each title and description once.
-- Incremental: a build that reads new raw batches recomputes only the rows of the ids that
-- occur in them (a new tag row can label, or duplicate, a project of an earlier batch).
-- Many projects are decided in pieces of project ids (labeling_pieces), each fitting in memory.
{{ config(**labeling_incremental_by_id('project_id')) }}
{%- set pieces = labeling_pieces(ref('stg_madewithml__projects'), 'project_id') %}
with

projects as {{ labeling_inlined(pieces) }}(

    select
        batch,
        raw_row_number,
        project_id

    from {{ ref('stg_madewithml__projects') }}
    where {{ labeling_only_new_ids('project_id') }}

),

tags as {{ labeling_inlined(pieces) }}(

    select
        project_id,
        tag

    from {{ ref('stg_madewithml__tags') }}
    where {{ labeling_only_new_ids('project_id') }}

),

votes as (

    select * from {{ ref('int_annotation_votes') }}

),

corrections as (

    select * from {{ ref('stg_labeling__label_corrections') }}

),

ranked_corrections as (

    select
        *,
        count(*) over (partition by project_id) as n_corrections,
        row_number() over (
            partition by project_id order by decided_at desc, correction_number desc
        ) as correction_rank

    from corrections

),

latest_corrections as (

    select * from ranked_corrections
    where correction_rank = 1

),

decided as (
    {%- for piece in pieces %}
        {%- if not loop.first %}

            union all
        {%- endif %}

        select
            projects.project_id,
            projects.batch,
            projects.raw_row_number,
            tags.tag as given_tag,
            votes.n_annotators,
            votes.votes,
            votes.annotators,
            votes.agreement as annotation_agreement,
            votes.consensus_status,
            votes.consensus_tag,
            votes.consensus_rule,
            votes.top_posterior as consensus_posterior,
            latest_corrections.tag as corrected_tag,
            latest_corrections.reviewer as corrected_by,
            latest_corrections.reason as correction_reason,
            latest_corrections.decided_at as corrected_at,
            tags.project_id is not null as has_tag_row,
            coalesce(latest_corrections.n_corrections, 0) as n_corrections,
            {{ labeling_final_tag('latest_corrections.tag', 'votes.consensus_tag', 'tags.tag') }}
                as tag,
            {{ labeling_label_source('latest_corrections.tag', 'votes.consensus_tag', 'tags.tag') }}
                as label_source

        from projects
        left join tags
            on
                projects.project_id = tags.project_id
                and {{ labeling_in_piece('tags.project_id', piece) }}
        left join votes
            on projects.project_id = votes.id
        left join latest_corrections
            on projects.project_id = latest_corrections.project_id
        where {{ labeling_in_piece('projects.project_id', piece) }}
    {%- endfor %}

)

select * from decided
