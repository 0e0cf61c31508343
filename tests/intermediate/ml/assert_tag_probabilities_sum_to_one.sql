-- The classifier's probabilities of a project are a distribution: between 0 and 1, summing to
-- 1 (within 1e-9). Failure rows: the project, the sum and the extreme probabilities.
with

probabilities as (

    select * from {{ ref('int_project_tag_probabilities') }}

),

per_project as (

    select
        id,
        sum(probability) as probability_sum,
        min(probability) as min_probability,
        max(probability) as max_probability

    from probabilities
    group by id

)

select * from per_project
where
    abs(probability_sum - 1) > 1e-9
    or min_probability < 0
    or max_probability > 1
