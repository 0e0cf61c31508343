-- Class balance of the labeled dataset: projects per tag, share of the total, and the tag's
-- parent in the taxonomy (NULL for a top-level tag).
with

labeled as (

    select * from {{ ref('labeled_projects') }}

),

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

per_tag as (

    select
        tag,
        count(*) as n_projects,
        round(100.0 * count(*) / sum(count(*)) over (), 1) as pct
    from labeled
    group by tag

)

select
    per_tag.tag,
    per_tag.n_projects,
    per_tag.pct,
    taxonomy.parent_tag
from per_tag
left join taxonomy
    on per_tag.tag = taxonomy.tag
order by per_tag.n_projects desc, per_tag.tag asc
