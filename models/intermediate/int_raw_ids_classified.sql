-- Every project id found in projects.csv or tags.csv, with what decides the outcome of its raw
-- rows: how many rows of each file carry it, how many of its tags are non-empty and how many
-- are outside the taxonomy, and where its final label comes from. Everything about a raw row
-- but its own tag depends on its id only, so raw_row_outcomes counts rows from these groups
-- without joining 20 million rows back, and raw_row_audit lists the rows of the few ids that
-- need a look. Labels from annotations and reviewers are read from their own models rather
-- than through int_label_decisions, so the accounting still runs (and names the raw rows)
-- when the decisions' uniqueness test fails on duplicate ids.
-- Incremental: a build that reads new raw batches recomputes only the ids that occur in them
-- (from all their rows, earlier batches' included); every count is per id.
{{ config(**labeling_incremental_by_id('project_id')) }}
with

projects as (

    select project_id from {{ ref('stg_madewithml__projects') }}
    where {{ labeling_only_new_ids('project_id') }}

),

tags as (

    select
        project_id,
        tag

    from {{ ref('stg_madewithml__tags') }}
    where {{ labeling_only_new_ids('project_id') }}

),

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

consensus as (

    select
        id as project_id,
        consensus_tag

    from {{ ref('int_annotation_votes') }}
    where consensus_tag is not null

),

corrected as (

    select distinct project_id

    from {{ ref('stg_labeling__label_corrections') }}

),

raw_ids as (

    select
        project_id,
        true as is_project_row,
        cast(null as {{ dbt.type_string() }}) as tag,
        false as is_outside_taxonomy

    from projects
    union all
    select
        tags.project_id,
        false as is_project_row,
        tags.tag,
        tags.tag is not null and taxonomy.tag is null as is_outside_taxonomy

    from tags
    left join taxonomy
        on tags.tag = taxonomy.tag

),

counted as (

    select
        project_id,
        count(*) filter (where is_project_row) as n_project_rows,
        count(*) filter (where not is_project_row) as n_tag_rows,
        count(tag) as n_tags,
        count(*) filter (where is_outside_taxonomy) as n_tags_outside_taxonomy

    from raw_ids
    group by project_id

),

classified as (

    select
        counted.*,
        -- A final label: its tag, or one from annotations or a reviewer (label_source says
        -- which), even without a tag of its own.
        {{ labeling_label_source(
            'corrected.project_id',
            'consensus.consensus_tag',
            'nullif(counted.n_tags, 0)'
        ) }} as label_source

    from counted
    left join consensus
        on counted.project_id = consensus.project_id
    left join corrected
        on counted.project_id = corrected.project_id

)

select
    *,
    -- What becomes of this id's projects.csv rows, defined here once (raw_row_outcomes counts
    -- them, raw_row_audit lists them): labeled when the project has a final label, else left
    -- out, with the reason (as the lesson's inner join and tag.notnull() filter).
    case
        when n_project_rows = 0 then null
        when label_source is not null then 'labeled'
        else 'left_out'
    end as project_outcome,
    case
        when n_project_rows = 0 or label_source is not null then null
        when n_tag_rows = 0 then 'no_tag_row'
        when n_tags = 0 then 'empty_tag'
    end as project_reason,
    -- Blocking issues of every projects.csv row with this id.
    {{ labeling_issue_list([
        ('n_project_rows > 1', 'duplicate_project_id'),
        ('n_tag_rows > 1', 'duplicate_tag_row'),
    ]) }} as project_row_issues,
    -- Blocking issues of every tags.csv row with this id (a row's own tag can add
    -- tag_not_in_taxonomy).
    {{ labeling_issue_list([
        ('n_project_rows = 0', 'unknown_project'),
        ('n_tag_rows > 1', 'duplicate_tag_row'),
        ('n_project_rows > 1', 'duplicate_project_id'),
    ]) }} as tag_row_issues

from classified
