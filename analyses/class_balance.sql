-- Class balance of the labeled dataset: projects per tag, share of the total.
select
    tag,
    count(*) as n_projects,
    round(100.0 * count(*) / sum(count(*)) over (), 1) as pct
from {{ ref('labeled_projects') }}
group by tag
order by n_projects desc, tag asc
