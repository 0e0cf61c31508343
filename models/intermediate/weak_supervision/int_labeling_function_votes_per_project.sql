-- Per project that got at least one vote: how many labeling functions voted on it, and for how
-- many different tags (Snorkel's overlapped and conflicted data points).
with

votes as (

    select * from {{ ref('int_labeling_function_votes') }}

),

per_project as (

    select
        id,
        count(*) as n_rules_voting,
        count(distinct tag) as n_tags_voted

    from votes
    group by id

)

select * from per_project
