-- Likely mislabeled projects: cleanlab's find_label_issues(filter_by="confident_learning") in
-- SQL over the classifier's out-of-sample probabilities, plus the projects whose weak label
-- (majority vote of the labeling functions) disagrees with the given tag. One row per labeled
-- project; classes are indexed in tag order, which breaks ties as numpy's argmax does.
with

probabilities as (

    select * from {{ ref('int_project_tag_probabilities') }}
    where is_labeled

),

weak_labels as (

    select * from {{ ref('weak_labels') }}

),

projects as (

    select * from {{ ref('labeled_projects') }}

),

distinct_tags as (

    select distinct tag from probabilities

),

classes as (

    select
        tag,
        cast(row_number() over (order by tag) as bigint) - 1 as class_index

    from distinct_tags

),

indexed as (

    select
        probabilities.id,
        probabilities.given_tag,
        probabilities.tag,
        probabilities.probability,
        classes.class_index

    from probabilities
    inner join classes
        on probabilities.tag = classes.tag

),

-- Per-class threshold: the mean probability of the class over the projects given that class
-- (cleanlab's get_confident_thresholds), never below 2e-6.
thresholds as (

    select
        tag,
        greatest(avg(probability), 2e-6) as confident_threshold

    from indexed
    where tag = given_tag
    group by tag

),

with_thresholds as (

    -- ST06 reads the cast of row_number() below as a simple target; it is a window function.
    select  -- noqa: ST06
        indexed.*,
        coalesce(thresholds.confident_threshold, 2) as confident_threshold,
        indexed.probability >= coalesce(thresholds.confident_threshold, 2) - 1e-6 as is_confident,
        cast(row_number() over (
            partition by indexed.id order by indexed.probability desc, indexed.class_index asc
        ) as bigint) as probability_rank

    from indexed
    left join thresholds
        on indexed.tag = thresholds.tag

),

per_project as (

    select
        id,
        any_value(given_tag) as given_tag,
        max(probability) filter (where tag = given_tag) as self_confidence,
        max(class_index) filter (where tag = given_tag) as given_class_index,
        max(confident_threshold) filter (where tag = given_tag) as given_tag_threshold,
        coalesce(max(probability) filter (where tag <> given_tag), 0) as max_other_probability,
        max(tag) filter (where probability_rank = 1) as predicted_tag,
        max(probability) filter (where probability_rank = 1) as predicted_probability,
        count(*) filter (where is_confident) as n_confident_tags,
        -- With one confident class it is the guess; with several, the most probable class.
        case
            when count(*) filter (where is_confident) > 1
                then max(tag) filter (where probability_rank = 1)
            else max(tag) filter (where is_confident)
        end as confident_tag

    from with_thresholds
    group by id

),

-- cleanlab drops an off-diagonal example when the given label, raised by 1e-6, is the argmax
-- (numpy's argmax takes the lowest class index on a tie).
beaten as (

    select distinct with_thresholds.id

    from with_thresholds
    inner join per_project
        on with_thresholds.id = per_project.id
    where
        with_thresholds.tag <> per_project.given_tag
        and (
            with_thresholds.probability > per_project.self_confidence + 1e-6
            or (
                with_thresholds.probability = per_project.self_confidence + 1e-6
                and with_thresholds.class_index < per_project.given_class_index
            )
        )

),

flagged as (

    select
        per_project.*,
        (per_project.self_confidence - per_project.max_other_probability + 1) / 2
            as normalized_margin,
        per_project.confident_tag is not null
        and per_project.confident_tag <> per_project.given_tag
        and beaten.id is not null as is_confident_learning_issue

    from per_project
    left join beaten
        on per_project.id = beaten.id

),

ranked as (

    select
        flagged.*,
        case
            when flagged.is_confident_learning_issue
                then
                    cast(row_number() over (
                        partition by flagged.is_confident_learning_issue
                        order by flagged.self_confidence asc, flagged.id asc
                    ) as bigint)
        end as rank_by_self_confidence,
        case
            when flagged.is_confident_learning_issue
                then
                    cast(row_number() over (
                        partition by flagged.is_confident_learning_issue
                        order by flagged.normalized_margin asc, flagged.id asc
                    ) as bigint)
        end as rank_by_normalized_margin

    from flagged

),

final as (

    select
        ranked.id,
        projects.title,
        projects.description,
        ranked.given_tag,
        ranked.predicted_tag,
        ranked.predicted_probability,
        ranked.self_confidence,
        ranked.normalized_margin,
        ranked.given_tag_threshold,
        ranked.n_confident_tags,
        ranked.confident_tag,
        ranked.is_confident_learning_issue,
        ranked.rank_by_self_confidence,
        ranked.rank_by_normalized_margin,
        weak_labels.weak_label,
        weak_labels.n_votes as weak_label_votes,
        weak_labels.margin as weak_label_margin,
        coalesce(weak_labels.disagrees_with_given_tag, false) as weak_label_disagrees,
        ranked.is_confident_learning_issue
        or coalesce(weak_labels.disagrees_with_given_tag, false) as is_label_issue

    from ranked
    inner join projects
        on ranked.id = projects.id
    left join weak_labels
        on ranked.id = weak_labels.id

)

select
    *,
    -- Review order: flagged by both methods first, then by confident learning, then by the
    -- weak label only; within each, the lowest self-confidence first.
    case
        when is_label_issue
            then
                cast(row_number() over (
                    partition by is_label_issue
                    order by
                        is_confident_learning_issue and weak_label_disagrees desc,
                        is_confident_learning_issue desc,
                        self_confidence asc,
                        id asc
                ) as bigint)
    end as review_rank

from final
