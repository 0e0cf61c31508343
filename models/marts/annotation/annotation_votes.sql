-- Per annotated project: how its annotators voted and what that settles, as decided by
-- int_annotation_votes (the consensus rule lives there, where the decisions read it); this is
-- its public table, with an enforced contract, for people and the marts to query.
with

votes as (

    select * from {{ ref('int_annotation_votes') }}

)

-- The columns are the contract's (the YAML); the rule's model defines them.
select * from votes  -- noqa: AM04
