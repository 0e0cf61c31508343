-- With var('annotation_task_source') = 'ids', every id of var('annotation_task_ids') is a
-- project: an unknown id fails the build instead of silently dropping the task. Failure rows
-- name the id.
{%- set task_ids = var('annotation_task_ids') if var('annotation_task_source') == 'ids' else [] %}
with

requested as (

    select cast(requested_id as bigint) as id
    from (
        select {{ labeling_unnest(labeling_list(task_ids or ['null'])) }} as requested_id
    ) as requested_ids

),

projects as (

    select project_id from {{ ref('stg_madewithml__projects') }}

)

select
    requested.id,
    'requested as an annotation task (var annotation_task_ids) but not a project of projects.csv'
        as problem
from requested
left join projects
    on requested.id = projects.project_id
where requested.id is not null and projects.project_id is null
