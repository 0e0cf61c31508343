{{ config(enabled=labeling_python_models()) }}
-- Likely mislabels by given tag, from label_issues: the labeled projects, those confident
-- learning flags, those whose weak label disagrees, and those flagged either way.
with

issues as (

    select * from {{ ref('label_issues') }}

)

select
    given_tag,
    count(*) as n_labeled,
    count(*) filter (where is_confident_learning_issue) as n_confident_learning,
    count(*) filter (where weak_label_disagrees) as n_weak_label_disagrees,
    count(*) filter (where is_label_issue) as n_label_issues
from issues
group by given_tag
order by n_label_issues desc, given_tag asc
