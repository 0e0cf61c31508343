{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Use a configured schema name as it is (raw, staging, audit...), not target_custom. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
