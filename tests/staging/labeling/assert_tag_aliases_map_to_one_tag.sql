-- Every alias (and every canonical tag name) means one tag: an alias listed under two tags, or
-- an alias that is another tag's canonical name, would make alias-based labeling ambiguous.
-- Failure rows: the alias and the tags it maps to.
with

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

names as (

    select
        tag,
        trim(unnest(string_split(coalesce(aliases, ''), '|'))) as alias_name
    from taxonomy
    union all
    select
        tag,
        tag as alias_name
    from taxonomy

),

ambiguous as (

    select
        alias_name,
        list(distinct tag order by tag) as tags
    from names
    where alias_name <> ''
    group by alias_name
    having count(distinct tag) > 1

)

select * from ambiguous
