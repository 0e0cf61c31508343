-- Every project with a tag in the join is in labeled_projects, and nothing else is:
-- the null-tag filter neither loses nor invents rows. Failure rows name the id and the side.
with

labeled_in_join as (

    select project_id as id from {{ ref('int_projects_joined_to_tags') }}
    where is_labeled

),

labeled_projects as (

    select id from {{ ref('labeled_projects') }}

),

missing_from_mart as (

    select
        id,
        'labeled in int_projects_joined_to_tags but missing from labeled_projects' as problem
    from labeled_in_join
    except
    select
        id,
        'labeled in int_projects_joined_to_tags but missing from labeled_projects' as problem
    from labeled_projects

),

unexpected_in_mart as (

    select
        id,
        'in labeled_projects but not labeled in int_projects_joined_to_tags' as problem
    from labeled_projects
    except
    select
        id,
        'in labeled_projects but not labeled in int_projects_joined_to_tags' as problem
    from labeled_in_join

)

select * from missing_from_mart
union all
select * from unexpected_in_mart
