-- Labeled projects per month of creation and tag.
select
    tag,
    cast(date_trunc('month', created_on) as date) as created_month,
    count(*) as n_projects
from {{ ref('labeled_projects') }}
group by created_month, tag
order by created_month, tag
