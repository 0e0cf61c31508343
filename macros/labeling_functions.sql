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
        {{ labeling_rule_text('rules.rule_field', 'projects.title', 'projects.description') }},
        rules.regex,
        'i'
    )
{% endmacro %}


{% macro labeling_rule_text(field, title, description) %}
{#- The text a labeling function reads, by its field: the title, the description, or `text`
    (title, a space, description; a NULL part is left out). -#}
case {{ field }}
    when 'title' then {{ title }}
    when 'description' then {{ description }}
    else concat_ws(' ', {{ title }}, {{ description }})
end
{%- endmacro %}


{% macro labeling_whole_words(literal, body=none) %}
{#- The RE2 pattern that matches `literal` as whole words: not preceded or followed by a word
    character. `\b` does that only next to a word character, so an alias that starts or ends
    with another character (`c++`, `.net`) would never match; on those sides the pattern
    requires the start or end of the text or a non-word character instead. The literal itself
    is group 1, so `regexp_extract(..., 1)` shows just what matched. `body` replaces the
    escaped literal (the tag-name rules accept spaces for hyphens). -#}
case when regexp_matches({{ literal }}, '^\w') then '\b' else '(?:^|\W)' end
|| '(' || {{ body or 'regexp_escape(' ~ literal ~ ')' }} || ')'
|| case when regexp_matches({{ literal }}, '\w$') then '\b' else '(?:\W|$)' end
{%- endmacro %}
