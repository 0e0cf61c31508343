-- Each annotator against the consensus and against gold (Label Studio's ground-truth
-- answers), from annotator_agreement.
with

annotators as (

    select * from {{ ref('annotator_agreement') }}

)

select
    annotator,
    n_annotations,
    n_with_consensus,
    n_with_gold,
    round(agreement_with_consensus, 4) as agreement_with_consensus,
    round(agreement_with_gold, 4) as agreement_with_gold
from annotators
order by annotator
