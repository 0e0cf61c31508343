-- Majority vote of the labeling functions per project, as Snorkel's MajorityLabelVoter with
-- its default tie_break_policy="abstain": the tag with the most votes, or NULL (abstain) when
-- no rule votes or two tags tie for the most votes. Beside it, where Python models run (var
-- python_models), the label model's tag and posterior (Dawid-Skene over the functions' votes,
-- int_labeling_function_label_model), which weighs each function by its estimated confusion
-- matrix; it abstains too where no rule votes, or on a tie of posteriors.
{%- set label_model = labeling_python_models() %}
{%- set label_model_tag = 'case when per_project.n_votes > 0 and label_model.n_top = 1 '
    ~ 'then label_model.top_tag end' if label_model else 'cast(null as ' ~ labeling_type('varchar') ~ ')' %}
{%- set label_model_posterior = 'case when per_project.n_votes > 0 '
    ~ 'then label_model.top_posterior end' if label_model else 'cast(null as double)' %}
with

votes as (

    select * from {{ ref('int_labeling_function_votes') }}

),

projects as (

    select * from {{ ref('stg_madewithml__projects') }}

),

gold as (

    select * from {{ ref('labeled_projects') }}

),

tag_votes as (

    select
        id,
        tag,
        count(*) as n_tag_votes,
        {{ labeling_list_agg('rule_name', ['rule_name']) }} as rules

    from votes
    group by id, tag

),

ranked as (

    select
        *,
        cast(sum(n_tag_votes) over (partition by id) as bigint) as n_votes,
        row_number() over (partition by id order by n_tag_votes desc, tag asc) as tag_rank

    from tag_votes

),

per_project as (

    select
        id,
        any_value(n_votes) as n_votes,
        max(n_tag_votes) filter (where tag_rank = 1) as top_votes,
        coalesce(max(n_tag_votes) filter (where tag_rank = 2), 0) as runner_up_votes,
        max(tag) filter (where tag_rank = 1) as top_tag,
        map_from_entries(
            {{ labeling_list_agg(labeling_struct([('k', 'tag'), ('v', 'n_tag_votes')]), ['tag']) }}
        ) as votes_per_tag,
        {{ labeling_list_agg('rules', ['tag']) }} as rules_per_tag

    from ranked
    group by id

),

{% if label_model %}
    label_model as (

        {{ labeling_posterior_leaders(ref('int_labeling_function_label_model')) }}

    ),

{% endif %}
weak as (

    select
        projects.project_id as id,
        per_project.votes_per_tag,
        gold.tag as given_tag,
        case
            when per_project.top_votes > per_project.runner_up_votes then per_project.top_tag
        end as weak_label,
        coalesce(per_project.n_votes, 0) as n_votes,
        coalesce(per_project.top_votes, 0) as top_votes,
        coalesce(per_project.top_votes - per_project.runner_up_votes, 0) as margin,
        coalesce(per_project.top_votes = per_project.runner_up_votes, false) as is_tie,
        coalesce(flatten(per_project.rules_per_tag), {{ labeling_list() }}) as voting_rules,
        {{ label_model_tag }} as label_model_tag,
        {{ label_model_posterior }} as label_model_posterior

    from projects
    left join per_project
        on projects.project_id = per_project.id
    left join gold
        on projects.project_id = gold.id
    {%- if label_model %}
        left join label_model
            on projects.project_id = label_model.project_id
    {%- endif %}

)

select
    *,
    weak_label is not null and given_tag is not null and weak_label <> given_tag
        as disagrees_with_given_tag

from weak
