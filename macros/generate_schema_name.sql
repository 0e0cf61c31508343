{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Use a configured schema name as it is (raw, staging, audit...), not target_custom: the
        override dbt documents for this (its default prefixes the target's schema). -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
