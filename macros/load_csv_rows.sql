{% macro duckdb__load_csv_rows(model, agate_table) %}
  {#- Load a seed file with DuckDB's CSV reader and the same explicit dialect as the preflight
      (comma, '"' quote and escape, header, strict), instead of dbt-duckdb's sniffing COPY: the
      bytes of every value, line breaks inside quotes included, land unchanged. -#}
  {%- set seed_file_path = adapter.get_seed_file_path(model) -%}
  {%- set sql -%}
    copy {{ this.render() }} from '{{ seed_file_path }}'
    (format csv, header true, delimiter ',', quote '"', escape '"', strict_mode true)
  {%- endset -%}
  {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
  {{ return(sql) }}
{% endmacro %}
