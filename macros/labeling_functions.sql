{% macro labeling_function_votes(projects, rules, id_column='id') %}
{#- The votes of every labeling function on every project, as a query: one row (id, rule, tag)
    per rule whose regular expression matches the field it reads, ignoring case
    (labeling_regex_matches: RE2 in DuckDB, java.util.regex in Spark). A rule that does not match abstains, so it has no row. The rules
    are data (a relation with rule, tag, rule_field and regex), so adding a rule needs no SQL. -#}
select
    projects.{{ id_column }} as id,
    rules.rule_name,
    rules.tag

from {{ projects }} as projects
inner join {{ rules }} as rules
    on {{ labeling_regex_matches(
        labeling_rule_text('rules.rule_field', 'projects.title', 'projects.description'),
        labeling_regex_ignoring_case('rules.regex'),
    ) }}
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
case when {{ labeling_regex_matches(literal, labeling_sql_string('^\\w')) }}
    then {{ labeling_sql_string('\\b') }} else {{ labeling_sql_string('(?:^|\\W)') }} end
|| '(' || {{ body or labeling_regex_escape(literal) }} || ')'
|| case when {{ labeling_regex_matches(literal, labeling_sql_string('\\w$')) }}
    then {{ labeling_sql_string('\\b') }} else {{ labeling_sql_string('(?:\\W|$)') }} end
{%- endmacro %}
