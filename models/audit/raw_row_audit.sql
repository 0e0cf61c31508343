with

projects as (

    select * from {{ ref('stg_madewithml__projects') }}

),

tags as (

    select * from {{ ref('stg_madewithml__tags') }}

),

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

decisions as (

    select
        project_id,
        label_source

    from {{ ref('int_label_decisions') }}
    where tag is not null

),

project_id_counts as (

    select
        project_id,
        count(*) as n_project_rows

    from projects
    group by project_id

),

tag_row_counts as (

    select
        project_id,
        count(*) as n_tag_rows,
        count(tag) as n_tags

    from tags
    group by project_id

),

project_flags as (

    select
        projects.*,
        project_id_counts.n_project_rows,
        decisions.label_source,
        coalesce(tag_row_counts.n_tag_rows, 0) as n_tag_rows,
        coalesce(tag_row_counts.n_tags, 0) as n_tags,
        decisions.project_id is not null
        and project_id_counts.n_project_rows = 1
        and coalesce(tag_row_counts.n_tag_rows, 0) <= 1 as is_clean

    from projects
    inner join project_id_counts
        on projects.project_id = project_id_counts.project_id
    left join tag_row_counts
        on projects.project_id = tag_row_counts.project_id
    left join decisions
        on projects.project_id = decisions.project_id

),

project_rows as (

    select
        'projects.csv' as raw_file,
        raw_row_number,
        project_id,
        -- Labeled when the project has a final label: its tag, or one from annotations or a
        -- reviewer (label_source says which), even without a tag of its own.
        case
            when label_source is not null then 'labeled'
            else 'left_out'
        end as outcome,
        case
            when label_source is not null then null
            when n_tag_rows = 0 then 'no_tag_row'
            when n_tags = 0 then 'empty_tag'
        end as reason,
        label_source,
        list_concat(
            case when n_project_rows > 1 then ['duplicate_project_id'] else [] end,
            case when n_tag_rows > 1 then ['duplicate_tag_row'] else [] end
        ) as issues,
        -- Raw values only where someone must look: labeled rows are in labeled_projects, and
        -- repeating their text here would double what a large build writes.
        case when not is_clean then created_on end as created_on,
        case when not is_clean then title end as title,
        case when not is_clean then description end as description,
        cast(null as varchar) as tag

    from project_flags

),

tag_rows as (

    select
        'tags.csv' as raw_file,
        tags.raw_row_number,
        tags.project_id,
        case
            when project_id_counts.project_id is not null and tags.tag is not null then 'labeled'
            else 'left_out'
        end as outcome,
        case
            when project_id_counts.project_id is null then 'unknown_project'
            when tags.tag is null then 'empty_tag'
        end as reason,
        cast(null as varchar) as label_source,
        list_concat(
            case when project_id_counts.project_id is null then ['unknown_project'] else [] end,
            case when tag_row_counts.n_tag_rows > 1 then ['duplicate_tag_row'] else [] end,
            case
                when project_id_counts.n_project_rows > 1 then ['duplicate_project_id'] else []
            end,
            case
                when tags.tag is not null and taxonomy.tag is null
                    then ['tag_not_in_taxonomy']
                else []
            end
        ) as issues,
        cast(null as timestamp) as created_on,
        cast(null as varchar) as title,
        cast(null as varchar) as description,
        tags.tag

    from tags
    inner join tag_row_counts
        on tags.project_id = tag_row_counts.project_id
    left join project_id_counts
        on tags.project_id = project_id_counts.project_id
    left join taxonomy
        on tags.tag = taxonomy.tag

)

select * from project_rows
union all by name
select * from tag_rows
