{%- set strategy = var('active_learning_strategy') -%}
{%- set batch_size = var('active_learning_batch_size') | int -%}
{%- if strategy not in ['least_confidence', 'margin', 'entropy'] -%}
    {{ exceptions.raise_compiler_error(
        "var active_learning_strategy must be least_confidence, margin or entropy; got '"
        ~ strategy ~ "'") }}
{%- endif -%}
{%- if batch_size < 1 -%}
    {{ exceptions.raise_compiler_error(
        "var active_learning_batch_size must be a positive whole number; got '"
        ~ var('active_learning_batch_size') ~ "'") }}
{%- endif -%}
-- What to label next: projects without a tag, ranked by how unsure the classifier is about
-- them (uncertainty sampling), at most var('active_learning_batch_size') of them, ordered by
-- var('active_learning_strategy'). Ties break on the project id, so the queue is stable.
with

probabilities as (

    select * from {{ ref('int_project_tag_probabilities') }}
    where not is_labeled

),

projects as (

    select * from {{ ref('stg_madewithml__projects') }}

),

weak_labels as (

    select * from {{ ref('weak_labels') }}

),

ordered as (

    select
        *,
        cast(
            row_number() over (partition by id order by probability desc, tag asc) as bigint
        ) as probability_rank

    from probabilities

),

per_project as (

    select
        id,
        max(tag) filter (where probability_rank = 1) as predicted_tag,
        max(probability) filter (where probability_rank = 1) as top_probability,
        coalesce(max(probability) filter (where probability_rank = 2), 0) as second_probability,
        -- Shannon entropy in nats; 0 * ln(0) counts as 0.
        coalesce(-sum(probability * ln(probability)) filter (where probability > 0), 0) as entropy

    from ordered
    group by id

),

scored as (

    select
        id,
        predicted_tag,
        top_probability,
        second_probability,
        entropy,
        1 - top_probability as least_confidence,
        top_probability - second_probability as margin

    from per_project

),

ranked as (

    select
        *,
        cast(
            row_number() over (order by least_confidence desc, id asc) as bigint
        ) as rank_least_confidence,
        cast(row_number() over (order by margin asc, id asc) as bigint) as rank_margin,
        cast(row_number() over (order by entropy desc, id asc) as bigint) as rank_entropy

    from scored

),

queue as (

    select
        ranked.rank_{{ strategy }} as queue_position,
        ranked.id,
        projects.created_on,
        projects.title,
        projects.description,
        ranked.predicted_tag,
        ranked.top_probability,
        ranked.second_probability,
        ranked.least_confidence,
        ranked.margin,
        ranked.entropy,
        ranked.rank_least_confidence,
        ranked.rank_margin,
        ranked.rank_entropy,
        weak_labels.weak_label,
        weak_labels.n_votes as weak_label_votes,
        '{{ strategy }}' as strategy

    from ranked
    inner join projects
        on ranked.id = projects.project_id
    left join weak_labels
        on ranked.id = weak_labels.id
    where ranked.rank_{{ strategy }} <= {{ batch_size }}

)

select * from queue
