{% macro duckdb__load_csv_rows(model, agate_table) %}
  {#- Load a seed file with DuckDB's CSV reader and the project's one CSV dialect (the same
      options as the preflight and the read_csv path, from the labeling_export plugin) instead
      of dbt-duckdb's sniffing COPY: the bytes of every value, line breaks inside quotes
      included, land unchanged, and a file one reader accepts every reader accepts.
      Why an override: dbt-duckdb's load_csv_rows lets DuckDB sniff each file's dialect, and no
      seed config passes COPY options. -#}
  {%- set seed_file_path = adapter.get_seed_file_path(model) -%}
  {%- set options = run_query("select labeling_csv_options('copy')")[0][0] -%}
  {%- set sql -%}
    copy {{ this.render() }} from {{ labeling_sql_string(seed_file_path) }} ({{ options }})
  {%- endset -%}
  {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
  {{ return(sql) }}
{% endmacro %}
