-- Per annotated project: how its annotators voted and what that settles, as decided by
-- int_annotation_votes (the consensus rule lives there, where the decisions read it); this is
-- its public table, with an enforced contract, for people and the marts to query.
with

votes as (

    select * from {{ ref('int_annotation_votes') }}

)

select
    id,
    n_annotators,
    votes,
    annotators,
    top_tag,
    top_votes,
    agreement,
    is_tie,
    annotators_disagree,
    consensus_status,
    consensus_tag

from votes
