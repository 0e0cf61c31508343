with

projects_with_tags as (

    select * from {{ ref('int_projects_joined_to_tags') }}

),

labeled as (

    select
        project_id as id,
        created_on,
        title,
        description,
        tag

    from projects_with_tags
    where is_labeled

)

-- No order by: sorting 10 million rows with their text costs more than the table is worth;
-- the export orders by id, and so should queries that need an order.
select * from labeled
