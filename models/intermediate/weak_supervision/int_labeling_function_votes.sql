-- The long table of weak-supervision votes: one row (id, rule, tag) per project and labeling
-- function that votes on it. Every project counts, labeled or not.
with

projects as (

    select * from {{ ref('stg_madewithml__projects') }}

),

rules as (

    select * from {{ ref('int_labeling_functions_unioned') }}

),

votes as (

    {{ labeling_function_votes('projects', 'rules', id_column='project_id') }}

)

select * from votes
