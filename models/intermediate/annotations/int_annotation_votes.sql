-- Per annotated project: how its annotators voted, and whether that is a consensus. A
-- consensus needs at least var('annotation_min_annotators') annotators, a single most-voted
-- tag, a strict majority of the votes for it, and a share of at least
-- var('annotation_min_agreement'). Anything less is left to adjudication, never guessed.
{%- set min_annotators = var('annotation_min_annotators') | int -%}
{%- set min_agreement = var('annotation_min_agreement') | float -%}
{%- if min_annotators < 1 or min_agreement < 0 or min_agreement > 1 -%}
    {{ exceptions.raise_compiler_error(
        "vars annotation_min_annotators (a whole number >= 1) and annotation_min_agreement "
        ~ "(between 0 and 1) are out of range: " ~ var('annotation_min_annotators') ~ ", "
        ~ var('annotation_min_agreement')) }}
{%- endif %}
with

annotations as (

    select * from {{ ref('int_project_annotations') }}

),

tag_counts as (

    select
        project_id,
        tag,
        count(*) as n_votes

    from annotations
    group by project_id, tag

),

with_project_top as (

    select
        *,
        max(n_votes) over (partition by project_id) as project_top_votes

    from tag_counts

),

per_project as (

    select
        project_id as id,
        cast(sum(n_votes) as bigint) as n_annotators,
        count(*) as n_tags,
        max(n_votes) as top_votes,
        count(*) filter (where n_votes = project_top_votes) as n_top,
        {{ labeling_list_agg(
            labeling_struct([('tag', 'tag'), ('votes', 'n_votes')]), ['-n_votes', 'tag']
        ) }} as votes

    from with_project_top
    group by project_id

),

with_top as (

    select
        per_project.*,
        case
            when per_project.n_top = 1
                then {{ labeling_list_element('per_project.votes', 1) }}.tag
        end as top_tag

    from per_project

),

project_annotators as (

    select
        project_id,
        {{ labeling_list_agg('annotator', ['annotator']) }} as annotators

    from annotations
    group by project_id

),

decided as (

    select
        with_top.id,
        with_top.n_annotators,
        with_top.votes,
        project_annotators.annotators,
        with_top.top_tag,
        with_top.top_votes,
        with_top.top_votes / with_top.n_annotators as agreement,
        with_top.n_top > 1 as is_tie,
        with_top.n_tags > 1 as annotators_disagree,
        case
            when with_top.n_annotators < {{ min_annotators }} then 'too_few_annotators'
            when with_top.n_top > 1 then 'tie'
            when
                with_top.top_votes * 2 <= with_top.n_annotators
                or with_top.top_votes / with_top.n_annotators < {{ min_agreement }}
                then 'no_majority'
            else 'consensus'
        end as consensus_status

    from with_top
    inner join project_annotators
        on with_top.id = project_annotators.project_id

)

select
    *,
    case when consensus_status = 'consensus' then top_tag end as consensus_tag

from decided
