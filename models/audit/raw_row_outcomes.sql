-- How many rows of each raw file have each outcome: labeled (and from which label source) or
-- left out (and why), how many of them have a blocking issue, and how many raw_row_audit
-- lists. Counted from the per-id groups of int_raw_ids_classified in one pass: every rule
-- about a raw row depends on its id, except a tag row's own tag (empty, or outside the
-- taxonomy), which the groups count too. assert_raw_rows_are_conserved proves that the counts
-- add up to the raw files, to labeled_projects and to raw_row_audit.
with

ids as (

    select * from {{ ref('int_raw_ids_classified') }}

),

id_outcomes as (

    select
        *,
        {{ labeling_list_length('project_row_issues') }} > 0 as project_rows_have_issues,
        {{ labeling_list_length('tag_row_issues') }} > 0 as tag_rows_have_issues

    from ids

),

grouped as (

    select
        project_outcome,
        project_reason,
        label_source,
        sum(n_project_rows) as n_project_rows,
        sum(n_project_rows) filter (
            where project_rows_have_issues
        ) as n_project_rows_with_issues,
        sum(n_project_rows) filter (
            where
            project_outcome = 'left_out'
            or project_rows_have_issues
            or label_source <> 'tags_csv'
        ) as n_project_rows_listed,
        sum(n_tags) filter (where n_project_rows > 0) as n_labeled_tag_rows,
        sum(
            case when tag_rows_have_issues then n_tags else n_tags_outside_taxonomy end
        ) filter (where n_project_rows > 0) as n_labeled_tag_rows_with_issues,
        sum(n_tag_rows - n_tags) filter (where n_project_rows > 0) as n_empty_tag_rows,
        sum(n_tag_rows - n_tags) filter (
            where n_project_rows > 0 and tag_rows_have_issues
        ) as n_empty_tag_rows_with_issues,
        sum(n_tag_rows) filter (where n_project_rows = 0) as n_unknown_project_rows

    from id_outcomes
    group by project_outcome, project_reason, label_source

),

project_counts as (

    select
        'projects.csv' as raw_file,
        project_outcome as outcome,
        project_reason as reason,
        label_source,
        n_project_rows as n_rows,
        coalesce(n_project_rows_with_issues, 0) as n_rows_with_issues,
        coalesce(n_project_rows_listed, 0) as n_rows_listed

    from grouped
    where project_outcome is not null

),

tag_totals as (

    select
        coalesce(sum(n_labeled_tag_rows), 0) as n_labeled,
        coalesce(sum(n_labeled_tag_rows_with_issues), 0) as n_labeled_with_issues,
        coalesce(sum(n_empty_tag_rows), 0) as n_empty,
        coalesce(sum(n_empty_tag_rows_with_issues), 0) as n_empty_with_issues,
        coalesce(sum(n_unknown_project_rows), 0) as n_unknown

    from grouped

),

tag_counts as (

    -- A labeled tag row is listed only when it has an issue; a left-out one always is.
    select
        'tags.csv' as raw_file,
        'labeled' as outcome,
        cast(null as {{ dbt.type_string() }}) as reason,
        cast(null as {{ dbt.type_string() }}) as label_source,
        n_labeled as n_rows,
        n_labeled_with_issues as n_rows_with_issues,
        n_labeled_with_issues as n_rows_listed
    from tag_totals
    where n_labeled > 0
    union all
    select
        'tags.csv' as raw_file,
        'left_out' as outcome,
        'empty_tag' as reason,
        cast(null as {{ dbt.type_string() }}) as label_source,
        n_empty as n_rows,
        n_empty_with_issues as n_rows_with_issues,
        n_empty as n_rows_listed
    from tag_totals
    where n_empty > 0
    union all
    select
        'tags.csv' as raw_file,
        'left_out' as outcome,
        'unknown_project' as reason,
        cast(null as {{ dbt.type_string() }}) as label_source,
        n_unknown as n_rows,
        n_unknown as n_rows_with_issues,
        n_unknown as n_rows_listed
    from tag_totals
    where n_unknown > 0

),

counted as (

    select * from project_counts
    union all
    select * from tag_counts

)

select
    raw_file,
    outcome,
    reason,
    label_source,
    cast(n_rows as bigint) as n_rows,
    cast(n_rows_with_issues as bigint) as n_rows_with_issues,
    cast(n_rows_listed as bigint) as n_rows_listed

from counted
