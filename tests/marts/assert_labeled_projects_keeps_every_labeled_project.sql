-- Every project with a final label in int_label_decisions is in labeled_projects, with that
-- label, and nothing else is: the filter neither loses nor invents rows, and no label is
-- rewritten on the way. Failure rows name the id and the side.
with

labeled_in_join as (

    select
        project_id as id,
        tag
    from {{ ref('int_label_decisions') }}
    where tag is not null

),

labeled_projects as (

    select
        id,
        tag
    from {{ ref('labeled_projects') }}

),

missing_from_mart as (

    select
        id,
        'decided in int_label_decisions ('
        || tag
        || ') but missing from labeled_projects' as problem
    from labeled_in_join
    except
    select
        id,
        'decided in int_label_decisions ('
        || tag
        || ') but missing from labeled_projects' as problem
    from labeled_projects

),

unexpected_in_mart as (

    select
        id,
        'in labeled_projects (' || tag || ') but not decided so in int_label_decisions' as problem
    from labeled_projects
    except
    select
        id,
        'in labeled_projects (' || tag || ') but not decided so in int_label_decisions' as problem
    from labeled_in_join

)

select * from missing_from_mart
union all
select * from unexpected_in_mart
