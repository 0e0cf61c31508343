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

select * from labeled
order by id
