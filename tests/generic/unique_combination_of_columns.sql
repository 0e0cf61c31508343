{% test unique_combination_of_columns(model, combination, id_column=none) %}
{#- Fails for every combination of values that occurs in more than one row; one failure row
    per duplicated combination with its row count and the ids involved. -#}
with

checked as (

    select * from {{ model }}

),

duplicated as (

    select
        {% for column in combination -%}
        {{ column }},
        {% endfor -%}
        count(*) as n_rows
        {%- if id_column %},
        list({{ id_column }} order by {{ id_column }}) as ids
        {%- endif %}

    from checked
    group by {{ combination | join(', ') }}
    having count(*) > 1

)

select * from duplicated
{% endtest %}
