{{ config(enabled=labeling_python_models()) }}
-- The labelers' review list: the likely mislabeled projects, most suspicious first, with what
-- the classifier and the labeling functions suggest instead.
select
    review_rank,
    id,
    given_tag,
    confident_tag,
    predicted_tag,
    weak_label,
    is_confident_learning_issue,
    weak_label_disagrees,
    title,
    round(self_confidence, 3) as self_confidence
from {{ ref('label_issues') }}
where is_label_issue
order by review_rank
