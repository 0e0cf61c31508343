-- Agreement between every two annotators, over the projects both annotated: percent agreement
-- and Cohen's kappa, (p_o - p_e) / (1 - p_e) with p_e from the two annotators' own tag
-- frequencies on those projects (as sklearn.metrics.cohen_kappa_score). Kappa is NULL when
-- p_e = 1 (both gave one and the same tag to everything: agreement by chance is certain).
with

annotations as (

    select * from {{ ref('int_project_annotations') }}

),

pairs as (

    select
        first_annotator.annotator as annotator_a,
        second_annotator.annotator as annotator_b,
        first_annotator.project_id,
        first_annotator.tag as tag_a,
        second_annotator.tag as tag_b

    from annotations as first_annotator
    inner join annotations as second_annotator
        on
            first_annotator.project_id = second_annotator.project_id
            and first_annotator.annotator < second_annotator.annotator

),

observed as (

    select
        annotator_a,
        annotator_b,
        count(*) as n_projects,
        count(*) filter (where tag_a = tag_b) as n_agreements

    from pairs
    group by annotator_a, annotator_b

),

marginal_a as (

    select
        annotator_a,
        annotator_b,
        tag_a as tag,
        count(*) as n_projects

    from pairs
    group by annotator_a, annotator_b, tag_a

),

marginal_b as (

    select
        annotator_a,
        annotator_b,
        tag_b as tag,
        count(*) as n_projects

    from pairs
    group by annotator_a, annotator_b, tag_b

),

chance as (

    select
        marginal_a.annotator_a,
        marginal_a.annotator_b,
        sum(marginal_a.n_projects * marginal_b.n_projects) as n_chance_products

    from marginal_a
    inner join marginal_b
        on
            marginal_a.annotator_a = marginal_b.annotator_a
            and marginal_a.annotator_b = marginal_b.annotator_b
            and marginal_a.tag = marginal_b.tag
    group by marginal_a.annotator_a, marginal_a.annotator_b

),

measured as (

    select
        observed.annotator_a,
        observed.annotator_b,
        observed.n_projects,
        observed.n_agreements,
        observed.n_agreements / observed.n_projects as percent_agreement,
        coalesce(chance.n_chance_products, 0)
        / (observed.n_projects * observed.n_projects) as expected_agreement

    from observed
    left join chance
        on
            observed.annotator_a = chance.annotator_a
            and observed.annotator_b = chance.annotator_b

)

select
    *,
    case
        when expected_agreement < 1
            then (percent_agreement - expected_agreement) / (1 - expected_agreement)
    end as cohens_kappa

from measured
