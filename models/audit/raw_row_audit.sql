-- The raw rows someone must look at, with their raw values: every row of projects.csv and
-- tags.csv that is left out (and why), has a blocking issue, or is labeled from annotations
-- or a reviewer rather than by its own tag. The other rows - labeled by their own tag, without
-- an issue - are counted in raw_row_outcomes and are in labeled_projects; writing each of
-- them here too would double what a large build writes. Only the rows of the ids that need a
-- look (int_raw_ids_classified) are joined back. Incremental: a build that reads new raw
-- batches recomputes only the rows of the ids that occur in them.
{{ config(**labeling_incremental_by_id('project_id')) }}
with

ids as (

    select * from {{ ref('int_raw_ids_classified') }}
    where {{ labeling_only_new_ids('project_id') }}

),

projects as (

    select * from {{ ref('stg_madewithml__projects') }}
    where {{ labeling_only_new_ids('project_id') }}

),

tags as (

    select * from {{ ref('stg_madewithml__tags') }}
    where {{ labeling_only_new_ids('project_id') }}

),

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

ids_to_list as (

    select *

    from ids
    where
        (
            n_project_rows > 0
            and (
                label_source is null
                or label_source <> 'tags_csv'
                or {{ labeling_list_length('project_row_issues') }} > 0
            )
        )
        or (
            n_tag_rows > 0
            and (
                n_project_rows = 0
                or n_tag_rows > n_tags
                or n_tags_outside_taxonomy > 0
                or {{ labeling_list_length('tag_row_issues') }} > 0
            )
        )

),

project_rows as (

    select
        'projects.csv' as raw_file,
        projects.batch,
        projects.raw_row_number,
        projects.project_id,
        ids_to_list.project_outcome as outcome,
        ids_to_list.project_reason as reason,
        ids_to_list.label_source,
        ids_to_list.project_row_issues as issues,
        projects.created_on,
        projects.title,
        projects.description,
        cast(null as {{ dbt.type_string() }}) as tag

    from projects
    inner join ids_to_list
        on projects.project_id = ids_to_list.project_id

),

tag_rows as (

    select
        'tags.csv' as raw_file,
        tags.batch,
        tags.raw_row_number,
        tags.project_id,
        case
            when ids_to_list.n_project_rows > 0 and tags.tag is not null then 'labeled'
            else 'left_out'
        end as outcome,
        case
            when ids_to_list.n_project_rows = 0 then 'unknown_project'
            when tags.tag is null then 'empty_tag'
        end as reason,
        cast(null as {{ dbt.type_string() }}) as label_source,
        {{ labeling_list_concat([
            'ids_to_list.tag_row_issues',
            labeling_issue_list([('tags.tag is not null and taxonomy.tag is null', 'tag_not_in_taxonomy')]),
        ]) }} as issues,
        cast(null as timestamp) as created_on,
        cast(null as {{ dbt.type_string() }}) as title,
        cast(null as {{ dbt.type_string() }}) as description,
        tags.tag

    from tags
    inner join ids_to_list
        on tags.project_id = ids_to_list.project_id
    left join taxonomy
        on tags.tag = taxonomy.tag

),

audited as (

    -- The same columns in the same order on both sides.
    select * from project_rows
    union all
    select * from tag_rows

)

select
    raw_file,
    batch,
    raw_row_number,
    project_id,
    outcome,
    reason,
    label_source,
    issues,
    created_on,
    title,
    description,
    tag

from audited
where
    outcome = 'left_out'
    or {{ labeling_list_length('issues') }} > 0
    or coalesce(label_source <> 'tags_csv', false)
