{% test unique_combination(model, combination, id_column=none) %}
{#- Fails for every combination of values that occurs in more than one row; one failure row
    per duplicated combination with its row count and the ids involved. Two passes: the hash of
    each combination is counted first (one fixed-size key per row, not the values, which may be
    long texts), and only the rows whose hash repeats are grouped by their values, so a hash
    collision cannot make a false failure. -#}
with

checked as (

    select * from {{ model }}

),

repeated_hashes as (

    select hash({{ combination | join(', ') }}) as combination_hash

    from checked
    group by combination_hash
    having count(*) > 1

),

candidates as (

    select checked.*

    from checked
    semi join repeated_hashes
        on hash({% for column in combination %}checked.{{ column }}{{ ', ' if not loop.last }}{% endfor %})
            = repeated_hashes.combination_hash

),

duplicated as (

    select
        {% for column in combination -%}
        {{ column }},
        {% endfor -%}
        count(*) as n_rows
        {%- if id_column %},
        {{ labeling_list_agg(id_column, [id_column]) }} as ids
        {%- endif %}

    from candidates
    group by {{ combination | join(', ') }}
    having count(*) > 1

)

select * from duplicated
{% endtest %}
