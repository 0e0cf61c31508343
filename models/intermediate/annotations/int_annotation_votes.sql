-- Per annotated project: how its annotators voted, and whether that is a consensus, under
-- the rule var('annotation_consensus') chooses:
-- * majority (the default): at least var('annotation_min_annotators') annotators, a single
--   most-voted tag, a strict majority of the votes for it, and a share of at least
--   var('annotation_min_agreement');
-- * dawid_skene: at least var('annotation_min_annotators') annotators, a single tag with the
--   highest posterior of int_annotation_dawid_skene (each annotator weighed by their estimated
--   confusion matrix), and a posterior of at least var('annotation_min_posterior').
-- Anything less is left to adjudication, never guessed.
{%- set rule = var('annotation_consensus') -%}
{%- set min_annotators = var('annotation_min_annotators') | int -%}
{%- set min_agreement = var('annotation_min_agreement') | float -%}
{%- set min_posterior = var('annotation_min_posterior') | float -%}
{%- if rule not in ('majority', 'dawid_skene') -%}
    {{ exceptions.raise_compiler_error(
        "var annotation_consensus is '" ~ rule ~ "': it is majority (the default) or dawid_skene") }}
{%- endif -%}
{%- if rule == 'dawid_skene' and not labeling_python_models() -%}
    {{ exceptions.raise_compiler_error(
        "var annotation_consensus is dawid_skene, which the dbt Python model "
        ~ "int_annotation_dawid_skene computes, and target '" ~ target.name ~ "' runs no Python "
        ~ "models (dbt-spark runs them only on a Databricks cluster): use majority here, or "
        ~ "DuckDB or the databricks target (docs/spark.md)") }}
{%- endif -%}
{%- if min_annotators < 1 or [min_agreement, min_posterior] | select('lt', 0) | list
    or [min_agreement, min_posterior] | select('gt', 1) | list -%}
    {{ exceptions.raise_compiler_error(
        "vars annotation_min_annotators (a whole number >= 1), annotation_min_agreement and "
        ~ "annotation_min_posterior (between 0 and 1) are out of range: "
        ~ var('annotation_min_annotators') ~ ", " ~ var('annotation_min_agreement') ~ ", "
        ~ var('annotation_min_posterior')) }}
{%- endif %}
{#- What differs between the rules: the leading tag, a tie, and when a leader is not enough. #}
{%- if rule == 'majority' %}
    {%- set top_tag, is_tie = 'with_top.top_tag', 'with_top.n_top > 1' %}
    {%- set top_posterior = 'cast(null as double)' %}
    {%- set undecided_status = 'no_majority' %}
    {%- set undecided = 'with_top.top_votes * 2 <= with_top.n_annotators or with_top.top_votes / '
        ~ 'with_top.n_annotators < ' ~ min_agreement %}
{%- else %}
    {%- set top_tag = 'case when posterior_leaders.n_top = 1 then posterior_leaders.top_tag end' %}
    {%- set is_tie, top_posterior = 'posterior_leaders.n_top > 1', 'posterior_leaders.top_posterior' %}
    {%- set undecided_status = 'low_posterior' %}
    {%- set undecided = 'posterior_leaders.top_posterior < ' ~ min_posterior %}
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

{% if rule == 'dawid_skene' %}
    posterior_leaders as (

        {{ labeling_posterior_leaders(ref('int_annotation_dawid_skene')) }}

    ),

{% endif %}
decided as (

    select
        with_top.id,
        with_top.n_annotators,
        with_top.votes,
        project_annotators.annotators,
        {{ top_tag }} as top_tag,
        with_top.top_votes,
        with_top.top_votes / with_top.n_annotators as agreement,
        {{ is_tie }} as is_tie,
        with_top.n_tags > 1 as annotators_disagree,
        case
            when with_top.n_annotators < {{ min_annotators }} then 'too_few_annotators'
            when {{ is_tie }} then 'tie'
            when {{ undecided }} then '{{ undecided_status }}'
            else 'consensus'
        end as consensus_status,
        '{{ rule }}' as consensus_rule,
        {{ top_posterior }} as top_posterior

    from with_top
    inner join project_annotators
        on with_top.id = project_annotators.project_id
    {%- if rule == 'dawid_skene' %}
        inner join posterior_leaders
            on with_top.id = posterior_leaders.project_id
    {%- endif %}

)

select
    *,
    case when consensus_status = 'consensus' then top_tag end as consensus_tag

from decided
