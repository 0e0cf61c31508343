-- Every alias (and every canonical tag name) means one tag: an alias listed under two tags, or
-- an alias that is another tag's canonical name, would make alias-based labeling ambiguous.
-- Failure rows: the alias and the tags it maps to.
with

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

aliases as (

    select
        tag,
        {{ labeling_unnest(labeling_split("coalesce(aliases, '')", '|')) }} as alias_name
    from taxonomy

),

names as (

    select
        tag,
        trim(alias_name) as alias_name
    from aliases
    union all
    select
        tag,
        tag as alias_name
    from taxonomy

),

ambiguous as (

    select
        alias_name,
        {{ labeling_list_agg('tag', ['tag'], distinct=true) }} as tags
    from names
    where alias_name <> ''
    group by alias_name
    having count(distinct tag) > 1

)

select * from ambiguous
