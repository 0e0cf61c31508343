-- The project ids of the raw rows this build reads for the first time, from either raw file
-- (NULL included): the ids whose rows the incremental models recompute in a build that applies
-- new raw batches, and whose rows their data tests then check (labeling_only_new_ids). In a
-- full build every batch is new, so every id is here.
with

projects as (

    select project_id from {{ ref('stg_madewithml__projects') }}
    where {{ labeling_in_new_batches('batch') }}

),

tags as (

    select project_id from {{ ref('stg_madewithml__tags') }}
    where {{ labeling_in_new_batches('batch') }}

)

select project_id from projects
union
select project_id from tags
