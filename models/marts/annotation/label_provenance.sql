-- Where every label of labeled_projects comes from: a reviewer's correction (the
-- label_corrections seed; the latest per project), else an annotation consensus
-- (annotation_votes), else the given tag of tags.csv; with the evidence of each. The snapshot
-- label_history keeps every version of it. A view over the int_label_decisions table: writing
-- the same 10 million rows again would cost more than filtering them when read.
{{ config(materialized='view') }}
with

decisions as (

    select * from {{ ref('int_label_decisions') }}

)

select
    project_id as id,
    tag,
    label_source,
    given_tag,
    coalesce(tag <> given_tag, true) as changed_from_given_tag,
    consensus_tag,
    consensus_status,
    consensus_rule,
    consensus_posterior,
    n_annotators,
    annotation_agreement,
    annotators,
    corrected_tag,
    corrected_by,
    correction_reason,
    corrected_at,
    n_corrections,
    '{{ invocation_id }}' as decided_in_build

from decisions
where tag is not null
