{% test empty_list(model, column, show=none) %}
{#- Fails for every row whose list `column` is not empty; failure rows carry `show` columns. -#}
select
    {% for name in (show or [column]) -%}
    {{ name }}{{ ',' if not loop.last }}
    {% endfor %}
from {{ model }}
where {{ labeling_list_length(column) }} > 0
{% endtest %}
