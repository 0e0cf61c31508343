-- Cohen's kappa of every pair of annotators who rated a project in common, both ways round
-- (the report draws it as a symmetric heat map), from annotator_pair_agreement.
with

pairs as (

    select * from {{ ref('annotator_pair_agreement') }}

),

both_ways as (

    select
        annotator_a,
        annotator_b,
        n_projects,
        percent_agreement,
        cohens_kappa
    from pairs
    union all
    select
        annotator_b as annotator_a,
        annotator_a as annotator_b,
        n_projects,
        percent_agreement,
        cohens_kappa
    from pairs

)

select
    annotator_a,
    annotator_b,
    n_projects,
    round(percent_agreement, 4) as percent_agreement,
    round(cohens_kappa, 4) as cohens_kappa
from both_ways
order by annotator_a, annotator_b
