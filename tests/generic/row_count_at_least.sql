{% test row_count_at_least(model, min_rows=1) %}
{#- Fails (one row) when the model has fewer than min_rows rows. -#}
with

counted as (

    select count(*) as n_rows from {{ model }}

)

select
    n_rows,
    {{ min_rows }} as min_rows

from counted
where n_rows < {{ min_rows }}
{% endtest %}
