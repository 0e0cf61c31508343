{#- The SQL that differs between DuckDB and Spark, one dispatched macro per difference, so that
    no model is written twice. Models write DuckDB's spelling where both engines agree and call
    these where they do not; the Spark forms are in macros/spark.sql. -#}

{% macro labeling_python_models() %}
  {#- Whether this target runs dbt Python models: the var python_models of dbt_project.yml (the
      one definition; YAML configs take it by anchor), as a boolean for SQL and config(). -#}
  {{ return(var('python_models') | string | lower == 'true') }}
{% endmacro %}


{% macro labeling_type(name) %}
  {#- The engine's name of a column type given by its DuckDB name (`varchar`, `bigint`,
      `double`, `boolean`, `timestamp`, `varchar[]`): Spark has no bare `varchar` (it wants a
      length) and spells lists `array<...>`. -#}
  {{ return(adapter.dispatch('labeling_type')(name)) }}
{% endmacro %}

{% macro default__labeling_type(name) %}
  {{ return(name) }}
{% endmacro %}


{% macro labeling_list(items=[], element_type='varchar') %}
  {#- SQL: a list literal of the SQL expressions `items` (DuckDB `[a, b]`, Spark `array(a, b)`);
      an empty list is typed by element_type. -#}
  {{ return(adapter.dispatch('labeling_list')(items, element_type)) }}
{% endmacro %}

{% macro default__labeling_list(items, element_type) %}
  {%- if items | length == 0 -%}
    {{ return('cast([] as ' ~ element_type ~ '[])') }}
  {%- endif -%}
  {{ return('[' ~ items | join(', ') ~ ']') }}
{% endmacro %}


{% macro labeling_list_concat(lists) %}
  {#- SQL: the lists (SQL expressions) one after the other (DuckDB list_concat, Spark concat). -#}
  {{ return(adapter.dispatch('labeling_list_concat')(lists)) }}
{% endmacro %}

{% macro default__labeling_list_concat(lists) %}
  {{ return('list_concat(' ~ lists | join(', ') ~ ')') }}
{% endmacro %}


{% macro labeling_list_length(list) %}
  {#- SQL: the number of elements of a list (DuckDB len, Spark size). -#}
  {{ return(adapter.dispatch('labeling_list_length')(list)) }}
{% endmacro %}

{% macro default__labeling_list_length(list) %}
  {{ return('len(' ~ list ~ ')') }}
{% endmacro %}


{% macro labeling_list_agg(value, order_by, distinct=false, filter=none) %}
  {#- SQL aggregate: the values of a group as a list, ordered by the SQL expressions order_by
      (ascending; negate a number to order it descending). distinct: each value once (then
      ordered by the value itself; order_by is ignored, and NULL is left out). filter: a SQL
      condition on the rows aggregated. -#}
  {{ return(adapter.dispatch('labeling_list_agg')(value, order_by, distinct, filter)) }}
{% endmacro %}

{% macro default__labeling_list_agg(value, order_by, distinct, filter) %}
  {%- set where = (' filter (where ' ~ filter ~ ')') if filter else '' -%}
  {%- if distinct -%}
    {{ return('list(distinct ' ~ value ~ ' order by ' ~ value ~ ')' ~ where) }}
  {%- endif -%}
  {{ return('list(' ~ value ~ ' order by ' ~ order_by | join(', ') ~ ')' ~ where) }}
{% endmacro %}


{% macro labeling_struct(fields) %}
  {#- SQL: a struct of the (name, SQL expression) pairs `fields`. -#}
  {{ return(adapter.dispatch('labeling_struct')(fields)) }}
{% endmacro %}

{% macro default__labeling_struct(fields) %}
  {%- set parts = [] -%}
  {%- for name, value in fields -%}
    {%- do parts.append(labeling_sql_string(name) ~ ': ' ~ value) -%}
  {%- endfor -%}
  {{ return('{' ~ parts | join(', ') ~ '}') }}
{% endmacro %}


{% macro labeling_list_element(list, position) %}
  {#- SQL: the element at the 1-based `position` of a list (NULL past its end). -#}
  {{ return(adapter.dispatch('labeling_list_element')(list, position)) }}
{% endmacro %}

{% macro default__labeling_list_element(list, position) %}
  {{ return(list ~ '[' ~ position ~ ']') }}
{% endmacro %}


{% macro labeling_list_head(list, n) %}
  {#- SQL: the first n elements of a list. -#}
  {{ return(adapter.dispatch('labeling_list_head')(list, n)) }}
{% endmacro %}

{% macro default__labeling_list_head(list, n) %}
  {{ return('(' ~ list ~ ')[1:' ~ n ~ ']') }}
{% endmacro %}


{% macro labeling_list_distinct(list) %}
  {#- SQL: the distinct elements of a list, sorted (the same order on every engine). -#}
  {{ return(adapter.dispatch('labeling_list_distinct')(list)) }}
{% endmacro %}

{% macro default__labeling_list_distinct(list) %}
  {{ return('list_sort(list_distinct(' ~ list ~ '))') }}
{% endmacro %}


{% macro labeling_unnest(list) %}
  {#- SQL, in a select list: one row per element of the list (DuckDB unnest, Spark explode). -#}
  {{ return(adapter.dispatch('labeling_unnest')(list)) }}
{% endmacro %}

{% macro default__labeling_unnest(list) %}
  {{ return('unnest(' ~ list ~ ')') }}
{% endmacro %}


{% macro labeling_split(text, delimiter) %}
  {#- SQL: the text split at each occurrence of the literal one-character delimiter, as a list. -#}
  {{ return(adapter.dispatch('labeling_split')(text, delimiter)) }}
{% endmacro %}

{% macro default__labeling_split(text, delimiter) %}
  {{ return('string_split(' ~ text ~ ', ' ~ labeling_sql_string(delimiter) ~ ')') }}
{% endmacro %}


{% macro labeling_issue_list(issues) %}
  {#- SQL: the list of the issue names whose condition holds, in the given order, from the
      (SQL condition, issue name) pairs `issues`; an empty list when none does. -#}
  {%- set items = [] -%}
  {%- for condition, name in issues -%}
    {%- do items.append((condition, labeling_sql_string(name))) -%}
  {%- endfor -%}
  {{ return(labeling_list_where(items)) }}
{% endmacro %}


{% macro labeling_list_where(items) %}
  {#- SQL: the list of the values whose condition holds, in the given order, from the
      (SQL condition, SQL value) pairs `items` (values that are not NULL). -#}
  {{ return(adapter.dispatch('labeling_list_where')(items)) }}
{% endmacro %}

{% macro default__labeling_list_where(items) %}
  {%- set parts = [] -%}
  {%- for condition, value in items -%}
    {%- do parts.append('case when ' ~ condition ~ ' then [' ~ value ~ '] else [] end') -%}
  {%- endfor -%}
  {{ return('list_concat(' ~ parts | join(', ') ~ ')') }}
{% endmacro %}


{% macro labeling_seed_row_index() %}
  {#- SQL: the 0-based position of a row in its seed's file (seeds are recreated on every load):
      DuckDB's rowid; on Spark the scan position (a seed is one small file, read in order). -#}
  {{ return(adapter.dispatch('labeling_seed_row_index')()) }}
{% endmacro %}

{% macro default__labeling_seed_row_index() %}
  {{ return('rowid') }}
{% endmacro %}


{% macro labeling_string_agg(value, separator, order_by) %}
  {#- SQL aggregate: the texts of a group joined by the SQL expression separator, in the order of
      the SQL expressions order_by (ascending). -#}
  {{ return(adapter.dispatch('labeling_string_agg')(value, separator, order_by)) }}
{% endmacro %}

{% macro default__labeling_string_agg(value, separator, order_by) %}
  {{ return('string_agg(' ~ value ~ ', ' ~ separator ~ ' order by ' ~ order_by | join(', ') ~ ')') }}
{% endmacro %}


{% macro labeling_hash_sum(columns) %}
  {#- SQL aggregate: an order-independent fingerprint of a set of rows, the sum of each row's
      64-bit hash of the SQL expressions `columns` (without overflow; 0 for no rows). -#}
  {{ return(adapter.dispatch('labeling_hash_sum')(columns)) }}
{% endmacro %}

{% macro default__labeling_hash_sum(columns) %}
  {{ return('coalesce(sum(hash(' ~ columns | join(', ') ~ ')::hugeint), 0)') }}
{% endmacro %}


{% macro labeling_regex_ignoring_case(regex) %}
  {#- SQL: the regular expression (a SQL expression) matching case-insensitively: RE2's `(?i)`
      (Unicode case folding) in DuckDB, Java's `(?iu)` in Spark (`(?i)` alone folds ASCII). -#}
  {{ return(adapter.dispatch('labeling_regex_ignoring_case')(regex)) }}
{% endmacro %}

{% macro default__labeling_regex_ignoring_case(regex) %}
  {{ return("'(?i)' || " ~ regex) }}
{% endmacro %}


{% macro labeling_regex_matches(text, regex) %}
  {#- SQL: whether the regular expression (a SQL expression) matches somewhere in the text
      (RE2 in DuckDB, java.util.regex in Spark). -#}
  {{ return(adapter.dispatch('labeling_regex_matches')(text, regex)) }}
{% endmacro %}

{% macro default__labeling_regex_matches(text, regex) %}
  {{ return('regexp_matches(' ~ text ~ ', ' ~ regex ~ ')') }}
{% endmacro %}


{% macro labeling_regex_escape(text) %}
  {#- SQL: the text as a regular expression matching it literally: every ASCII character but
      letters, digits and `_` escaped with a backslash (RE2's QuoteMeta, DuckDB's
      regexp_escape; the same text on Spark, where Java's regex reads it the same way). -#}
  {{ return(adapter.dispatch('labeling_regex_escape')(text)) }}
{% endmacro %}

{% macro default__labeling_regex_escape(text) %}
  {{ return('regexp_escape(' ~ text ~ ')') }}
{% endmacro %}


{% macro labeling_regex_compiles(regex) %}
  {#- SQL: whether the regular expression (a SQL expression) compiles on this engine. -#}
  {{ return(adapter.dispatch('labeling_regex_compiles')(regex)) }}
{% endmacro %}

{% macro default__labeling_regex_compiles(regex) %}
  {{ return("try(regexp_matches('', " ~ regex ~ ')) is not null') }}
{% endmacro %}
