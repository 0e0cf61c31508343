-- What changed between the two newest published exports (exports/versions/ keeps three):
-- rows added, removed, or whose tag or text changed, by id. Run from the project folder.
with

versions as (

    select
        *,
        dense_rank() over (order by filename desc) as age
    from read_parquet(
        '{{ var("export_dir") }}/versions/*/labeled_projects.parquet', filename = true
    )

),

newest as (

    select
        id,
        tag,
        title,
        description
    from versions
    where age = 1

),

previous as (

    select
        id,
        tag,
        title,
        description
    from versions
    where age = 2

),

compared as (

    select
        previous.tag as previous_tag,
        newest.tag as new_tag,
        coalesce(newest.id, previous.id) as id,
        coalesce(newest.title, previous.title) as title,
        case
            when previous.id is null then 'added'
            when newest.id is null then 'removed'
            when newest.tag <> previous.tag then 'tag changed'
            when newest.title <> previous.title then 'text changed'
            when newest.description <> previous.description then 'text changed'
        end as change_kind
    from newest
    full outer join previous
        on newest.id = previous.id

)

select
    id,
    change_kind,
    previous_tag,
    new_tag,
    title
from compared
where change_kind is not null
order by id
