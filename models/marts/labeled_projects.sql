-- The projects with a final label (int_label_decisions: a reviewer's correction, else an
-- annotation consensus, else the tag of tags.csv). With no annotations and no corrections the
-- final label is the given tag, and this is the lesson's merge and notnull filter.
with

decisions as (

    select * from {{ ref('int_label_decisions') }}

),

labeled as (

    select
        project_id as id,
        created_on,
        title,
        description,
        tag

    from decisions
    where tag is not null

)

-- No order by: sorting 10 million rows with their text costs more than the table is worth;
-- the export orders by id, and so should queries that need an order.
select * from labeled
