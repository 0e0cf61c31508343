-- Agreement over all annotators, one row per build. Fleiss' kappa is taken over the projects
-- every annotator rated (as statsmodels' fleiss_kappa, which needs the same number of ratings
-- per item); Krippendorff's alpha (nominal) over every project with at least two ratings,
-- missing ratings allowed (as the krippendorff package). Either is NULL when undefined: no
-- such project, fewer than two annotators, or a single tag in all ratings (chance agreement
-- of 1). Percent agreement is the share of agreeing pairs of ratings on the same project.
with

annotations as (

    select * from {{ ref('int_project_annotations') }}

),

sizes as (

    select
        count(distinct annotator) as n_annotators,
        count(distinct project_id) as n_projects,
        count(*) as n_annotations

    from annotations

),

ratings_per_project as (

    select
        project_id,
        count(*) as n_ratings

    from annotations
    group by project_id

),

-- Fleiss' kappa: projects rated by every annotator; n = ratings per project, N = projects.
rated_by_all as (

    select ratings_per_project.project_id

    from ratings_per_project
    cross join sizes
    where ratings_per_project.n_ratings = sizes.n_annotators

),

fleiss_counts as (

    select
        annotations.project_id,
        annotations.tag,
        count(*) as n_ratings

    from annotations
    inner join rated_by_all
        on annotations.project_id = rated_by_all.project_id
    group by annotations.project_id, annotations.tag

),

fleiss_per_project as (

    select
        fleiss_counts.project_id,
        (sum(fleiss_counts.n_ratings * fleiss_counts.n_ratings) - any_value(sizes.n_annotators))
        / (any_value(sizes.n_annotators) * (any_value(sizes.n_annotators) - 1)) as p_project

    from fleiss_counts
    cross join sizes
    where sizes.n_annotators >= 2
    group by fleiss_counts.project_id

),

fleiss_per_tag as (

    select
        fleiss_counts.tag,
        sum(fleiss_counts.n_ratings)
        / ((select count(*) from rated_by_all) * any_value(sizes.n_annotators)) as p_tag

    from fleiss_counts
    cross join sizes
    group by fleiss_counts.tag

),

fleiss as (

    select
        (select count(*) from rated_by_all) as n_projects_rated_by_all,
        (select avg(p_project) from fleiss_per_project) as p_observed,
        (select sum(p_tag * p_tag) from fleiss_per_tag) as p_expected

),

-- Krippendorff's alpha (nominal): coincidences within pairable projects (2+ ratings).
unit_counts as (

    select
        annotations.project_id,
        annotations.tag,
        count(*) as n_ratings,
        any_value(ratings_per_project.n_ratings) as n_unit

    from annotations
    inner join ratings_per_project
        on annotations.project_id = ratings_per_project.project_id
    where ratings_per_project.n_ratings >= 2
    group by annotations.project_id, annotations.tag

),

tag_totals as (

    select
        tag,
        sum(n_ratings) as n_tag

    from unit_counts
    group by tag

),

krippendorff as (

    select
        (select count(distinct project_id) from unit_counts) as n_pairable_projects,
        (select sum(n_tag) from tag_totals) as n_pairable,
        (select sum(n_tag * n_tag) from tag_totals) as sum_tag_squares,
        (select sum(n_ratings * (n_ratings - 1) / (n_unit - 1)) from unit_counts) as n_coinciding,
        (select sum(n_ratings * (n_ratings - 1) / 2) from unit_counts) as n_agreeing_pairs,
        (select sum(n_ratings * (n_unit - 1) / 2) from unit_counts) as n_pairs

)

select
    '{{ invocation_id }}' as invocation_id,
    sizes.n_annotators,
    sizes.n_projects,
    sizes.n_annotations,
    fleiss.n_projects_rated_by_all,
    case
        when
            sizes.n_annotators >= 2
            and fleiss.n_projects_rated_by_all > 0
            and fleiss.p_expected < 1
            then (fleiss.p_observed - fleiss.p_expected) / (1 - fleiss.p_expected)
    end as fleiss_kappa,
    coalesce(krippendorff.n_pairable_projects, 0) as n_pairable_projects,
    case
        when krippendorff.n_pairable * krippendorff.n_pairable > krippendorff.sum_tag_squares
            then
                1 - (krippendorff.n_pairable - 1)
                * (krippendorff.n_pairable - krippendorff.n_coinciding)
                / (krippendorff.n_pairable * krippendorff.n_pairable - krippendorff.sum_tag_squares)
    end as krippendorff_alpha,
    krippendorff.n_agreeing_pairs / nullif(krippendorff.n_pairs, 0) as percent_agreement

from sizes
cross join fleiss
cross join krippendorff
