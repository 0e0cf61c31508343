-- Labeling functions ranked from the least to the most precise, with their coverage and one
-- wrong example each, to decide which rules to fix or drop.
with

summary as (

    select * from {{ ref('labeling_function_summary') }}

),

errors as (

    select * from {{ ref('labeling_function_errors') }}

),

first_error as (

    select
        rule_name,
        min(id) as example_id,
        min_by(given_tag, id) as example_given_tag,
        min_by(title, id) as example_title

    from errors
    group by rule_name

)

select
    summary.rule_name,
    summary.tag,
    summary.n_votes,
    summary.correct,
    summary.incorrect,
    first_error.example_id,
    first_error.example_given_tag,
    first_error.example_title,
    round(summary.coverage, 3) as coverage,
    round(summary.label_precision, 3) as label_precision,
    round(summary.empirical_accuracy, 3) as empirical_accuracy
from summary
left join first_error
    on summary.rule_name = first_error.rule_name
where summary.n_votes > 0
order by summary.label_precision asc, summary.n_votes desc
