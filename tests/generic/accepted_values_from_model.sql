{% test accepted_values_from_model(model, column_name, to, field, id_column=none) %}
{#- Fails for every distinct non-NULL value of column_name that is not a value of `field` in
    `to`; one failure row per offending value with its row count and a few example ids. -#}
with

checked as (

    select * from {{ model }}

),

checked_values as (

    select distinct {{ column_name }} as checked_value
    from checked
    where {{ column_name }} is not null

),

-- Only the accepted values that occur: the join builds on the few distinct checked values
-- rather than on every row of `to` (10 million project ids for a relationship test).
accepted as (

    select distinct accepted_values.{{ field }} as accepted_value
    from {{ to }} as accepted_values
    inner join checked_values
        on accepted_values.{{ field }} = checked_values.checked_value

),

offending as (

    select
        checked.{{ column_name }} as offending_value,
        count(*) as n_rows
        {%- if id_column %},
        {{ labeling_list_head(labeling_list_agg('checked.' ~ id_column, ['checked.' ~ id_column]), 5) }} as example_ids
        {%- endif %}

    from checked
    left join accepted
        on checked.{{ column_name }} = accepted.accepted_value
    where checked.{{ column_name }} is not null
        and accepted.accepted_value is null
    group by checked.{{ column_name }}

)

select * from offending
{% endtest %}
