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

-- Labels from annotations and reviewers, read from their own models rather than through the
-- join, so that the audit still runs (and names the raw rows) when the join's uniqueness test
-- fails on duplicate ids.
consensus as (

    select
        id as project_id,
        consensus_tag

    from {{ ref('annotation_votes') }}
    where consensus_tag is not null

),

corrected as (

    select distinct project_id

    from {{ ref('stg_labeling__label_corrections') }}

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
        coalesce(tag_row_counts.n_tag_rows, 0) as n_tag_rows,
        coalesce(tag_row_counts.n_tags, 0) as n_tags,
        {{ labeling_label_source(
            'corrected.project_id',
            'consensus.consensus_tag',
            'nullif(coalesce(tag_row_counts.n_tags, 0), 0)'
        ) }} as label_source

    from projects
    inner join project_id_counts
        on projects.project_id = project_id_counts.project_id
    left join tag_row_counts
        on projects.project_id = tag_row_counts.project_id
    left join consensus
        on projects.project_id = consensus.project_id
    left join corrected
        on projects.project_id = corrected.project_id

),

project_outcomes as (

    select
        *,
        label_source is not null
        and n_project_rows = 1
        and n_tag_rows <= 1 as is_clean

    from project_flags

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

    from project_outcomes

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
