-- The rows the data tests stored (store_failures) for the raw rows with blocking problems, and
-- the rows left out of the labeled dataset. After a failed build, run it on
-- .build/labeling.duckdb, which holds that build's audit tables.
select
    raw_file,
    batch,
    raw_row_number,
    project_id,
    array_to_string(issues, ', ') as problem,
    coalesce(tag, title) as raw_value
from {{ target.database }}.audit.raw_rows_have_no_blocking_issues
union all
select
    raw_file,
    batch,
    raw_row_number,
    project_id,
    'left out: ' || reason as problem,
    coalesce(tag, title) as raw_value
from {{ ref('raw_row_audit') }}
where outcome = 'left_out'
order by raw_file, batch, raw_row_number
