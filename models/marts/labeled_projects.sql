-- The projects with a final label (int_label_decisions: a reviewer's correction, else an
-- annotation consensus, else the tag of tags.csv), with their raw values. With no annotations
-- and no corrections the final label is the given tag, and this is the lesson's merge and
-- notnull filter.
-- Incremental: a build that reads new raw batches recomputes only the projects whose ids occur
-- in them.
{{ config(**labeling_incremental_by_id('id')) }}
with

decisions as (

    select * from {{ ref('int_label_decisions') }}
    where {{ labeling_only_new_ids('project_id') }}

),

projects as (

    select * from {{ ref('stg_madewithml__projects') }}
    where {{ labeling_only_new_ids('project_id') }}

),

labeled as (

    select
        decisions.project_id as id,
        projects.created_on,
        projects.title,
        projects.description,
        decisions.tag

    from decisions
    -- By raw row, not id: a duplicated id (a blocking issue) is not multiplied again here.
    inner join projects
        on
            decisions.batch = projects.batch
            and decisions.raw_row_number = projects.raw_row_number
    where decisions.tag is not null

)

-- No order by: sorting 10 million rows with their text costs more than the table is worth;
-- the export orders by id, and so should queries that need an order.
select * from labeled
