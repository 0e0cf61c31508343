{#- The Spark forms of the dispatched macros (macros/engine.sql and the hooks). `dbt build
    --target spark` is the plain dbt CLI: the project's dbt-core plugin checks the raw and
    annotation files before dbt parses (labeling.spark.prepare), and scripts/spark_publish.py
    publishes the exports after a build the gate lets through (labeling.publish.refusal). The
    raw files are read in place by Spark's CSV reader (external tables the on-run-start hook
    creates), the annotation records by its JSON reader. -#}

{% macro spark__labeling_type(name) %}
  {#- DuckDB type names as Spark's: varchar (and text, json) string, integer int, `T[]`
      array<T>, `struct(a T, b U)` struct<a: T, b: U>, `map(K, V)` map<K, V>, nested. -#}
  {%- set name = name | trim -%}
  {%- set lowered = name | lower -%}
  {%- if lowered.endswith('[]') -%}
    {{ return('array<' ~ spark__labeling_type(name[:-2]) ~ '>') }}
  {%- endif -%}
  {%- if lowered.startswith('struct(') and lowered.endswith(')') -%}
    {%- set state = namespace(depth=0, current='', fields=[]) -%}
    {%- for character in name[7:-1] -%}
      {%- if character == ',' and state.depth == 0 -%}
        {%- do state.fields.append(state.current) -%}
        {%- set state.current = '' -%}
      {%- else -%}
        {%- if character in '([' -%}{%- set state.depth = state.depth + 1 -%}{%- endif -%}
        {%- if character in ')]' -%}{%- set state.depth = state.depth - 1 -%}{%- endif -%}
        {%- set state.current = state.current ~ character -%}
      {%- endif -%}
    {%- endfor -%}
    {%- do state.fields.append(state.current) -%}
    {%- set fields = [] -%}
    {%- for field in state.fields -%}
      {%- set parts = field | trim -%}
      {%- set field_name = parts.split(' ')[0] -%}
      {%- do fields.append('`' ~ field_name.strip('"') ~ '`: ' ~ spark__labeling_type(parts[field_name | length:])) -%}
    {%- endfor -%}
    {{ return('struct<' ~ fields | join(', ') ~ '>') }}
  {%- endif -%}
  {%- if lowered.startswith('map(') and lowered.endswith(')') -%}
    {%- set state = namespace(depth=0, split=0) -%}
    {%- for character in name[4:-1] -%}
      {%- if character in '([' -%}{%- set state.depth = state.depth + 1 -%}{%- endif -%}
      {%- if character in ')]' -%}{%- set state.depth = state.depth - 1 -%}{%- endif -%}
      {%- if character == ',' and state.depth == 0 and state.split == 0 -%}{%- set state.split = loop.index0 -%}{%- endif -%}
    {%- endfor -%}
    {{ return('map<' ~ spark__labeling_type(name[4:4 + state.split]) ~ ', '
        ~ spark__labeling_type(name[5 + state.split:-1]) ~ '>') }}
  {%- endif -%}
  {%- set types = {'varchar': 'string', 'text': 'string', 'json': 'string', 'integer': 'int',
                   'timestamp with time zone': 'timestamp'} -%}
  {{ return(types.get(lowered, name)) }}
{% endmacro %}


{% macro spark__labeling_list(items, element_type) %}
  {%- if items | length == 0 -%}
    {{ return('cast(array() as array<' ~ labeling_type(element_type) ~ '>)') }}
  {%- endif -%}
  {{ return('array(' ~ items | join(', ') ~ ')') }}
{% endmacro %}


{% macro spark__labeling_list_concat(lists) %}
  {{ return('concat(' ~ lists | join(', ') ~ ')') }}
{% endmacro %}


{% macro spark__labeling_list_length(list) %}
  {{ return('size(' ~ list ~ ')') }}
{% endmacro %}


{% macro spark__get_empty_schema_sql(columns) %}
  {#- The contract check's empty select of the declared columns, with the declared (DuckDB)
      type names translated (labeling_type), so a contract is written once for both engines.
      Why an override: a contract's data_type is passed to the engine as written, and Spark
      has no bare `varchar` nor `varchar[]`; dbt has no per-adapter type alias for contracts. -#}
  {%- set translated = {} -%}
  {%- for name, column in columns.items() -%}
    {%- set copy = {} -%}
    {%- do copy.update(column) -%}
    {%- if column.get('data_type') -%}
      {%- do copy.update({'data_type': labeling_type(column['data_type'])}) -%}
    {%- endif -%}
    {%- do translated.update({name: copy}) -%}
  {%- endfor -%}
  {{ return(dbt.default__get_empty_schema_sql(translated)) }}
{% endmacro %}


{% macro spark__create_csv_table(model, agate_table) %}
  {#- dbt-spark's seed table, with the seeds' column_types (DuckDB names) translated.
      Why an override: column_types are used as written, and the seeds declare them once, in
      DuckDB's names, for both engines (Spark has no bare `varchar`). -#}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
  {% set sql %}
    create table {{ this.render() }} (
        {%- for col_name in agate_table.column_names -%}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
            {%- set type = labeling_type(column_override.get(col_name, inferred_type)) -%}
            {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ type }} {%- if not loop.last -%}, {%- endif -%}
        {%- endfor -%}
    )
    {{ file_format_clause() }}
  {% endset %}
  {% call statement('_') -%}
    {{ sql }}
  {%- endcall %}
  {{ return(sql) }}
{% endmacro %}


{% macro labeling_spark_inputs() %}
  {#- Where a Spark build reads and writes (env LABELING_SPARK_INPUTS, JSON, set by the project's
      dbt-core plugin, labeling.spark.prepare): project_dir, raw_dir (as this machine reads it),
      raw_uri (as the cluster reads it), stage_uri, the annotation records the project's
      annotation parser wrote (annotation_records, where the cluster reads them) with their
      columns' types (annotation_columns, labeling.annotations.RECORD_COLUMNS), and two rules of
      the raw files defined in Python: canonical_integer and csv_options (labeling.raw_files). -#}
  {%- set inputs = env_var('LABELING_SPARK_INPUTS', '') -%}
  {%- if not inputs -%}
    {{ exceptions.raise_compiler_error(
        "labeling: LABELING_SPARK_INPUTS is not set: the project's dbt-core plugin (plugins/dbt_labeling.py) "
        ~ "did not run. Install the project into the Spark venv (make spark-setup: pip install -e .).") }}
  {%- endif -%}
  {{ return(fromjson(inputs)) }}
{% endmacro %}


{% macro spark__labeling_project_dir() %}
  {%- if not execute -%}{{ return('.') }}{%- endif -%}
  {{ return(labeling_spark_inputs().project_dir) }}
{% endmacro %}


{% macro spark__labeling_preflight() %}
  {#- on-run-start on Spark: the files were checked by the dbt-core plugin; (re)create the
      external tables that read them in place. The raw files: Spark's CSV reader in the
      project's one dialect (labeling.raw_files.spark_csv_options: RFC 4180 quotes, multi-line
      records, header, FAILFAST: a malformed record stops the build), every column as text
      (labeling.raw_files.raw_columns: the seeds' column_types, defined once). The annotations: Spark's JSON reader over
      the records the project's annotation parser wrote (labeling.spark.prepare), with their
      fixed schema. -#}
  {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
  {%- set inputs = labeling_spark_inputs() -%}
  {%- do run_query('create database if not exists madewithml_files') -%}
  {%- set options = [] -%}
  {%- for key, value in inputs.csv_options.items() -%}
    {%- do options.append(key ~ ' ' ~ labeling_sql_string(value)) -%}
  {%- endfor -%}
  {%- for table, names in inputs.raw_columns.items() -%}
    {%- do run_query('drop table if exists madewithml_files.' ~ table) -%}
    {%- do run_query('create table madewithml_files.' ~ table ~ ' (' ~ names.keys() | join(' string, ')
        ~ ' string) using csv options (path ' ~ labeling_sql_string(inputs.raw_uri ~ '/' ~ table ~ '.csv')
        ~ ', ' ~ options | join(', ') ~ ')') -%}
  {%- endfor -%}
  {%- do run_query('create database if not exists annotations') -%}
  {%- set columns = [] -%}
  {%- for name, type in inputs.annotation_columns.items() -%}
    {%- do columns.append(name ~ ' ' ~ labeling_type(type)) -%}
  {%- endfor -%}
  {#- Spark 4 refuses DROP VIEW on a table (and DROP TABLE on a view): drop what is there. -#}
  {%- set records = adapter.get_relation(database=none, schema='annotations', identifier='records') -%}
  {%- if records is not none -%}{%- do adapter.drop_relation(records) -%}{%- endif -%}
  {%- do run_query('create table annotations.records (' ~ columns | join(', ') ~ ') using json options (path '
      ~ labeling_sql_string(inputs.annotation_records) ~ ", mode 'FAILFAST')") -%}
  {{ return('select 1') }}
{% endmacro %}


{% macro spark__labeling_plan_batches() %}
  {#- No batches on Spark: every build reads the raw files whole (labeling.spark.prepare
      refuses a batches/ folder). -#}
  {{ return('select 1') }}
{% endmacro %}


{% macro spark__labeling_batch_plan() %}
  {{ return({'mode': 'full', 'reason': 'Spark builds read the raw files whole', 'rebuild_key': '',
             'new': ['initial'], 'planned': false,
             'batches': [{'name': 'initial', 'files': {
                 'projects.csv': {'path': '', 'shown': 'projects.csv', 'sha256': ''},
                 'tags.csv': {'path': '', 'shown': 'tags.csv', 'sha256': ''}}}]}) }}
{% endmacro %}


{% macro spark__labeling_raw_batch_rows(table) %}
  {#- The raw file read by Spark's CSV reader: one multi-line CSV file is one split, read in
      file order, so the scan position numbers its rows. -#}
  {{ return("select 'initial' as batch, " ~ labeling_sql_string(table ~ '.csv') ~ " as raw_path, *, "
      ~ "row_number() over (order by monotonically_increasing_id()) - 1 as source_rowid from "
      ~ source('madewithml_files', table)) }}
{% endmacro %}


{% macro spark__labeling_canonical_integer(text) %}
  {#- The raw files' canonical-integer rule (labeling.raw_files.TYPE_RULES, handed over by the
      dbt-core plugin in LABELING_SPARK_INPUTS), in Spark's text type. -#}
  {{ return(labeling_spark_inputs().canonical_integer | replace('{v}', text)) }}
{% endmacro %}


{% macro spark__labeling_typed(table, column, file_sql) %}
  {#- The dbt-core plugin checked every value's canonical form before dbt parsed (the
      preflight's full check, labeling.spark.prepare), so a cast to the seed's type is all it
      takes. -#}
  {%- if not execute -%}{{ return(column) }}{%- endif -%}
  {{ return('cast(' ~ column ~ ' as ' ~ labeling_type(labeling_raw_columns()[table][column]) ~ ')') }}
{% endmacro %}


{% macro spark__labeling_raw_columns() %}
  {{ return(labeling_spark_inputs().raw_columns) }}
{% endmacro %}


{% macro spark__labeling_raw_dir() %}
  {#- The raw folder as the machine running dbt reads it (the dbt-core plugin checked it). -#}
  {{ return(labeling_spark_inputs().raw_dir) }}
{% endmacro %}


{% macro spark__labeling_on_run_end(results) %}
  {#- on-run-end on Spark: report failing tests' rows and the raw-row accounting. Whether the
      build may be published is decided after dbt returns, by scripts/spark_publish.py from
      target/manifest.json and run_results.json (labeling.publish.refusal, as on DuckDB). -#}
  {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
  {{ labeling_report_failures(results) }}
  {{ labeling_report_accounting(results) }}
  {{ return('select 1') }}
{% endmacro %}


{% macro spark__labeling_report_publication() %}
  {{ return('select 1') }}
{% endmacro %}


{% materialization gated_export, adapter='spark' %}
  {#-
    The Spark form of gated_export (macros/materializations/gated_export.sql). The model's
    rows are written once, in the model's order, as a Parquet table whose files are the
    build's stage for this export (<stage_uri>/<invocation_id>/<model>/, written by the
    cluster, wherever it runs); its manifest's fields (labeling_export_meta, the same SQL as on
    DuckDB) go beside it as JSON (<model>.meta/). scripts/spark_publish.py writes the model's files (CSV, Parquet,
    JSON...) from the staged rows with DuckDB's writer and dialect, and publishes them only
    when the gate lets the build through (labeling.publish.refusal, as on DuckDB).
  -#}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set stage = labeling_spark_inputs().stage_uri ~ '/' ~ invocation_id ~ '/' ~ model.name -%}
  {{ run_hooks(pre_hooks) }}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- if existing_relation is not none -%}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif -%}
  {#- An external table at the stage: dropping it (next build) leaves the files, which the
      driver removes once a later build is published. -#}
  {%- set rows_sql = sql -%}
  {%- if config.get('contract').enforced -%}
    {{ get_assert_columns_equivalent(sql) }}
    {%- set rows_sql = get_select_subquery(sql) -%}
  {%- endif -%}
  {% call statement('main') -%}
    create table {{ target_relation }} using parquet location {{ labeling_sql_string(stage) }} as
    {{ rows_sql }}
  {%- endcall %}
  {%- set row_count = run_query('select count(*) from ' ~ target_relation)[0][0] | int -%}
  {%- set meta = labeling_export_meta(target_relation, target_relation, row_count) -%}
  {%- do meta.update(config.get('manifest_extra', {})) -%}
  {% call statement('stage_meta') -%}
    insert overwrite directory {{ labeling_sql_string(stage ~ '.meta') }} using text
    select {{ labeling_sql_string(tojson(meta)) }} as value
  {%- endcall %}
  {{ run_hooks(post_hooks) }}
  {% do log(model.name ~ ": staged " ~ row_count ~ " rows at " ~ stage
            ~ " (written as files and published by scripts/spark_publish.py when the whole build succeeds)", info=True) %}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{% macro spark__load_csv_rows(model, agate_table) %}
  {#- dbt-spark's seed insert, with the seeds' column_types (DuckDB names) translated, and the
      values written as SQL literals. Why an override: dbt-spark's own binds the values as
      parameters, which its session method formats with Python's %, writing an empty field
      as the text 'None' instead of NULL. -#}
  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}
  {% set statements = [] %}
  {% for chunk in agate_table.rows | batch(batch_size) %}
    {% set sql %}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for col_name in agate_table.column_names -%}
          {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
          {%- set value = row[loop.index0] -%}
          cast({{ 'null' if value is none else labeling_sql_string(value | string) }} as {{ labeling_type(column_override.get(col_name, inferred_type)) }})
          {%- if not loop.last %},{%- endif %}
        {%- endfor -%})
        {%- if not loop.last %},{%- endif %}
      {%- endfor %}
    {% endset %}
    {% do adapter.add_query(sql, abridge_sql_log=True) %}
    {% if loop.index0 == 0 %}
      {% do statements.append(sql) %}
    {% endif %}
  {% endfor %}
  {{ return(statements[0]) }}
{% endmacro %}


{% macro spark__labeling_list_agg(value, order_by, distinct, filter) %}
  {#- collect_list has no ORDER BY: collect (keys..., value) structs, sort them, keep the value. -#}
  {%- set where = (' filter (where ' ~ filter ~ ')') if filter else '' -%}
  {%- if distinct -%}
    {{ return('array_sort(collect_set(' ~ value ~ ')' ~ where ~ ')') }}
  {%- endif -%}
  {%- set keys = [] -%}
  {%- for key in order_by -%}
    {%- do keys.append("'k" ~ loop.index ~ "', " ~ key) -%}
  {%- endfor -%}
  {{ return('transform(array_sort(collect_list(named_struct(' ~ keys | join(', ')
      ~ ", 'v', " ~ value ~ '))' ~ where ~ '), s -> s.v)') }}
{% endmacro %}


{% macro spark__labeling_struct(fields) %}
  {%- set parts = [] -%}
  {%- for name, value in fields -%}
    {%- do parts.append(labeling_sql_string(name) ~ ', ' ~ value) -%}
  {%- endfor -%}
  {{ return('named_struct(' ~ parts | join(', ') ~ ')') }}
{% endmacro %}


{% macro spark__labeling_list_element(list, position) %}
  {{ return('try_element_at(' ~ list ~ ', ' ~ position ~ ')') }}
{% endmacro %}


{% macro spark__labeling_list_head(list, n) %}
  {{ return('slice(' ~ list ~ ', 1, ' ~ n ~ ')') }}
{% endmacro %}


{% macro spark__labeling_list_distinct(list) %}
  {{ return('array_sort(array_distinct(' ~ list ~ '))') }}
{% endmacro %}


{% macro spark__labeling_unnest(list) %}
  {{ return('explode(' ~ list ~ ')') }}
{% endmacro %}


{% macro spark__labeling_split(text, delimiter) %}
  {{ return('split(' ~ text ~ ', ' ~ labeling_sql_string('[' ~ delimiter ~ ']') ~ ', -1)') }}
{% endmacro %}


{% macro spark__labeling_list_where(items) %}
  {%- set parts = [] -%}
  {%- for condition, value in items -%}
    {%- do parts.append('case when ' ~ condition ~ ' then ' ~ value ~ ' end') -%}
  {%- endfor -%}
  {{ return('filter(array(' ~ parts | join(', ') ~ '), item -> item is not null)') }}
{% endmacro %}


{% macro spark__labeling_seed_row_index() %}
  {{ return('row_number() over (order by monotonically_increasing_id()) - 1') }}
{% endmacro %}


{% macro spark__labeling_sql_string(value) %}
  {#- Spark SQL reads a backslash in a literal as an escape and joins adjacent literals ('a''b'
      is 'ab'): escape backslashes and quotes with a backslash. -#}
  {{ return("'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") }}
{% endmacro %}


{% macro spark__labeling_string_agg(value, separator, order_by) %}
  {{ return('array_join(' ~ labeling_list_agg(value, order_by) ~ ', ' ~ separator ~ ')') }}
{% endmacro %}


{% macro spark__labeling_hash_sum(columns) %}
  {{ return('coalesce(sum(cast(xxhash64(' ~ columns | join(', ') ~ ') as decimal(38, 0))), 0)') }}
{% endmacro %}


{% macro spark__labeling_regex_ignoring_case(regex) %}
  {{ return("'(?iu)' || " ~ regex) }}
{% endmacro %}


{% macro spark__labeling_regex_matches(text, regex) %}
  {{ return('regexp_like(' ~ text ~ ', ' ~ regex ~ ')') }}
{% endmacro %}


{% macro spark__labeling_regex_escape(text) %}
  {{ return('regexp_replace(' ~ text ~ ', ' ~ labeling_sql_string('([\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x7f])')
      ~ ', ' ~ labeling_sql_string('\\\\$1') ~ ')') }}
{% endmacro %}


{% macro spark__labeling_regex_compiles(regex) %}
  {#- Spark has no try(): ask java.util.regex through try_reflect (NULL when it throws). -#}
  {{ return("try_reflect('java.util.regex.Pattern', 'matches', " ~ regex ~ ", '') is not null") }}
{% endmacro %}
