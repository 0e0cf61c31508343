with

projects as (

    select * from {{ ref('stg_madewithml__projects') }}

),

tags as (

    select * from {{ ref('stg_madewithml__tags') }}

),

joined as (

    select
        projects.project_id,
        projects.created_on,
        projects.title,
        projects.description,
        tags.tag,
        tags.project_id is not null as has_tag_row,
        tags.tag is not null as is_labeled

    from projects
    left join tags
        on projects.project_id = tags.project_id

)

select * from joined
