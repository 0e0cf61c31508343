-- Each labeling function that voted: Snorkel's coverage, overlaps and conflicts, and its
-- accuracy against the labels (empirical accuracy over the labeled projects it voted on),
-- from labeling_function_summary; least accurate first.
with

summary as (

    select * from {{ ref('labeling_function_summary') }}

)

select
    rule_name,
    tag,
    n_votes,
    correct,
    incorrect,
    round(coverage, 4) as coverage,
    round(overlap_fraction, 4) as overlap_fraction,
    round(conflict_fraction, 4) as conflict_fraction,
    round(empirical_accuracy, 4) as empirical_accuracy
from summary
where n_votes > 0
order by empirical_accuracy asc nulls first, n_votes desc, rule_name asc
