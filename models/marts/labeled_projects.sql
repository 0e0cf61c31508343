-- The projects with a final label (int_label_decisions: a reviewer's correction, else an
-- annotation consensus, else the tag of tags.csv), with their raw values. With no annotations
-- and no corrections the final label is the given tag, and this is the lesson's merge and
-- notnull filter.
-- Incremental: a build that reads new raw batches recomputes only the projects whose ids occur
-- in them.
-- Many raw rows are joined in pieces of raw rows (labeling_pieces), each fitting in memory.
{{ config(**labeling_incremental_by_id('id')) }}
{%- set pieces = labeling_pieces(ref('stg_madewithml__projects'), 'raw_row_number') %}
with

decisions as {{ labeling_inlined(pieces) }}(

    select * from {{ ref('int_label_decisions') }}
    where {{ labeling_only_new_ids('project_id') }}

),

projects as {{ labeling_inlined(pieces) }}(

    select * from {{ ref('stg_madewithml__projects') }}
    where {{ labeling_only_new_ids('project_id') }}

),

labeled as (
    {%- for piece in pieces %}
        {%- if not loop.first %}

            union all
        {%- endif %}

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
        where
            decisions.tag is not null
            and {{ labeling_in_piece('decisions.raw_row_number', piece) }}
            and {{ labeling_in_piece('projects.raw_row_number', piece) }}
    {%- endfor %}

)

-- No order by: sorting 10 million rows with their text costs more than the table is worth;
-- the export orders by id, and so should queries that need an order.
select * from labeled
