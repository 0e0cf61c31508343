-- The hierarchy is closed: every parent named in the taxonomy is itself a tag of it, and no tag
-- is its own parent. Failure rows: the tag and the parent that breaks the rule.
with

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

)

select
    child.tag,
    child.parent_tag
from taxonomy as child
left join taxonomy as parent
    on child.parent_tag = parent.tag
where
    child.parent_tag is not null
    and (parent.tag is null or child.parent_tag = child.tag)
