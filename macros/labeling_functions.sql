{% macro labeling_function_votes(projects, rules, id_column='id') %}
{#- The votes of every labeling function on every project, as a query: one row (id, rule, tag)
    per rule whose regular expression matches the field it reads (case-insensitive RE2, as
    DuckDB's regexp_matches). A rule that does not match abstains, so it has no row. The rules
    are data (a relation with rule, tag, rule_field and regex), so adding a rule needs no SQL. -#}
select
    projects.{{ id_column }} as id,
    rules.rule_name,
    rules.tag

from {{ projects }} as projects
inner join {{ rules }} as rules
    on regexp_matches(
        case rules.rule_field
            when 'title' then projects.title
            when 'description' then projects.description
            else concat_ws(' ', projects.title, projects.description)
        end,
        rules.regex,
        'i'
    )
{% endmacro %}
