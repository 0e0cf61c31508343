-- Every annotation found in the annotation files, with its outcome: loaded (it counts), or
-- left out with a reason, as int_annotations_classified decides (the rule lives there, where
-- the annotations that count are read); this is its public, contracted table, with the tests
-- that account for every annotation.
with

classified as (

    select * from {{ ref('int_annotations_classified') }}

)

-- The columns are the contract's (the YAML); the rule's model defines them.
select * from classified  -- noqa: AM04
