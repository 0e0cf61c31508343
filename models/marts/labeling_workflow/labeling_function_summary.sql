-- Snorkel's LFAnalysis.lf_summary(Y) as a table, one row per labeling function, over N = all
-- projects (labeled or not); the gold label Y is the project's tag in labeled_projects. Where
-- Python models run (var python_models), with each function's accuracy as the label model
-- estimates it (int_labeling_function_label_model), which needs no gold label.
{%- set label_model = labeling_python_models() %}
{%- set estimated_accuracy = 'label_model.estimated_accuracy' if label_model
    else 'cast(null as double)' %}
with

rules as (

    select * from {{ ref('int_labeling_functions_unioned') }}

),

votes as (

    select * from {{ ref('int_labeling_function_votes') }}

),

projects as (

    select * from {{ ref('stg_madewithml__projects') }}

),

gold as (

    select * from {{ ref('labeled_projects') }}

),

n_projects as (

    select count(*) as n_projects from projects

),

project_votes as (

    select * from {{ ref('int_labeling_function_votes_per_project') }}

),

per_rule as (

    select
        rules.rule_name,
        count(votes.id) as n_votes,
        coalesce(
            {{ labeling_list_agg(
                'votes.tag', ['votes.tag'], distinct=true, filter='votes.id is not null'
            ) }},
            {{ labeling_list() }}
        ) as polarity,
        count(*) filter (where project_votes.n_rules_voting >= 2) as n_overlaps,
        count(*) filter (where project_votes.n_tags_voted >= 2) as n_conflicts,
        count(*) filter (where gold.tag = votes.tag) as correct,
        count(*) filter (where gold.tag <> votes.tag) as incorrect,
        count(*) filter (where votes.id is not null and gold.id is null) as n_votes_unlabeled

    from rules
    left join votes
        on rules.rule_name = votes.rule_name
    left join project_votes
        on votes.id = project_votes.id
    left join gold
        on votes.id = gold.id
    group by rules.rule_name

),

{% if label_model %}
    label_model as (

        select
            source as rule_name,
            value as estimated_accuracy

        from {{ ref('int_labeling_function_label_model') }}
        where part = 'accuracy'

    ),

{% endif %}
summary as (

    select
        rules.rule_name,
        rules.tag,
        rules.rule_kind,
        rules.rule_field,
        rules.pattern,
        cast(per_rule.polarity as {{ labeling_type('varchar[]') }}) as polarity,
        per_rule.n_votes,
        per_rule.correct,
        per_rule.incorrect,
        per_rule.n_votes_unlabeled,
        n_projects.n_projects,
        per_rule.n_votes / n_projects.n_projects as coverage,
        per_rule.n_overlaps / n_projects.n_projects as overlap_fraction,
        per_rule.n_conflicts / n_projects.n_projects as conflict_fraction,
        per_rule.correct / nullif(per_rule.n_votes, 0) as empirical_accuracy,
        per_rule.correct / nullif(per_rule.correct + per_rule.incorrect, 0) as label_precision,
        {{ estimated_accuracy }} as estimated_accuracy

    from rules
    inner join per_rule
        on rules.rule_name = per_rule.rule_name
    cross join n_projects
    {%- if label_model %}
        left join label_model
            on rules.rule_name = label_model.rule_name
    {%- endif %}

)

select * from summary
