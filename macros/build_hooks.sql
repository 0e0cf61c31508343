{% macro labeling_preflight() %}
  {#- Dispatched by engine: the DuckDB form below, the Spark form in macros/spark.sql. -#}
  {{ return(adapter.dispatch('labeling_preflight')()) }}
{% endmacro %}


{% macro duckdb__labeling_preflight() %}
  {#- on-run-start: check every raw file that this invocation loads (selected seeds, or on the
      read_csv path the external sources' files) and the export folder before anything is
      loaded. On the seed path each file is parsed whole (format and every value's canonical
      form); on the read_csv path the file and its header, since staging applies the same
      rules while it parses the file. On a problem, raise one error listing each file, rule
      and line: no node runs, so nothing in the database or exports changes. (The raw folder
      itself, a missing one, stray CSVs and encodings dbt's parser would trip on, is checked
      before dbt parses, by the dbt_labeling plugin.) -#}
  {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
  {%- set problems = [] -%}
  {%- for file in labeling_raw_files() -%}
    {%- set check -%}
      select labeling_check_raw_file(
          {{ labeling_sql_string(file.name) }},
          {{ labeling_sql_string(file.path) }},
          {{ labeling_sql_string(tojson(file.columns)) }},
          {{ 'true' if file.full else 'false' }},
          {{ 'true' if file.allow_empty else 'false' }}
      )
    {%- endset -%}
    {%- set problem = run_query(check)[0][0] -%}
    {%- if problem -%}
      {%- do problems.append(problem ~ ' (' ~ file.shown ~ ')') -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set annotation_problems = run_query('select labeling_check_annotations()')[0][0] -%}
  {%- if annotation_problems -%}
    {%- do problems.extend(annotation_problems.split('\n')) -%}
  {%- endif -%}
  {%- if run_query('select labeling_build_mode()')[0][0] and labeling_exports_selected() -%}
    {%- set problem = run_query('select labeling_claim_export_dir('
        ~ labeling_sql_string(labeling_export_dir()) ~ ')')[0][0] -%}
    {%- if problem -%}
      {%- do problems.append(problem) -%}
    {%- endif -%}
  {%- endif -%}
  {%- if problems | length > 0 -%}
    {{ exceptions.raise_compiler_error(
        "Input check failed; nothing was loaded, the database and exports are unchanged:\n  - "
        ~ problems | join("\n  - ")) }}
  {%- endif -%}
  {{ return('select 1') }}
{% endmacro %}


{% macro labeling_exports_selected() %}
  {#- Whether this invocation runs a gated_export model (so it writes to the export folder). -#}
  {%- for node in graph.nodes.values()
        if node.unique_id in selected_resources and node.config.materialized == 'gated_export' -%}
    {{ return(true) }}
  {%- endfor -%}
  {{ return(false) }}
{% endmacro %}


{% macro labeling_on_run_end(results) %}
  {#- Dispatched by engine: the DuckDB form below, the Spark form in macros/spark.sql. -#}
  {{ return(adapter.dispatch('labeling_on_run_end')(results)) }}
{% endmacro %}


{% macro duckdb__labeling_on_run_end(results) %}
  {#- on-run-end: report the rows that failing tests stored and the raw-row accounting. For a
      build on the private copy that the gate lets through: turn the staged export files
      into a version and point the export views at it (labeling_stage_exports), record the
      build in audit.labeling_builds, and return the SQL that publishes the copy with that
      version, together (labeling_publish: checkpoint, then one atomic switch; it stops with
      "NOT published: <cause>" if anything is in the way). Run as the hook's SQL, a
      failure there is reported by dbt as this hook's error and fails the invocation, and
      readers keep the previous database and exports. -#}
  {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
  {{ labeling_report_failures(results) }}
  {{ labeling_report_accounting(results) }}
  {%- if not run_query('select labeling_build_mode()')[0][0] -%}
    {{ return('select 1') }}
  {%- endif -%}
  {#- The gate (labeling.publish.refusal, which Spark's publish asks too), on dbt's nodes in the
      manifest's shape and this invocation's results; refusing removes what the build staged. -#}
  {%- set nodes = {} -%}
  {%- for uid, node in graph.nodes.items() -%}
    {%- do nodes.update({uid: {
        'name': node.name, 'resource_type': node.resource_type, 'attached_node': node.get('attached_node'),
        'depends_on': {'nodes': node.depends_on.get('nodes', [])},
        'config': {'materialized': node.config.materialized, 'allow_empty': node.config.get('allow_empty', false)}}}) -%}
  {%- endfor -%}
  {%- set ran = [] -%}
  {%- for result in results -%}
    {%- do ran.append({'unique_id': result.node.unique_id, 'status': result.status | string}) -%}
  {%- endfor -%}
  {%- set refusal = run_query('select labeling_refusal(' ~ labeling_sql_string(tojson(nodes)) ~ ', '
      ~ labeling_sql_string(tojson(ran)) ~ ')')[0][0] -%}
  {%- if refusal -%}
    {%- do log('labeling: build NOT published: ' ~ refusal ~ '. The published database and exports '
        ~ 'are unchanged. The failed build, audit.* failure rows included, is in '
        ~ '.build/labeling.duckdb until the next build.', info=True) -%}
    {{ return('select error(' ~ labeling_sql_string('labeling: build NOT published: ' ~ refusal) ~ ')') }}
  {%- endif -%}
  {%- set staged = fromjson(run_query('select labeling_stage_exports('
      ~ labeling_sql_string(invocation_id) ~ ')')[0][0]) -%}
  {%- if staged.error -%}
    {%- do log('labeling: build ' ~ staged.error, info=True) -%}
    {{ return('select error(' ~ labeling_sql_string('labeling: build ' ~ staged.error) ~ ')') }}
  {%- endif -%}
  {%- for export in staged.views -%}
    {%- do run_query('create or replace view ' ~ export.relation ~ ' as select * from '
        ~ export.reader ~ '(' ~ labeling_sql_string(export.published) ~ ')') -%}
  {%- endfor -%}
  {%- do labeling_record_build(results) -%}
  {%- do adapter.commit() -%}
  {%- set publish -%}
    select case when outcome like 'NOT published%' then error('labeling: build ' || outcome) end
    from (select labeling_publish({{ labeling_sql_string(invocation_id) }}) as outcome)
  {%- endset -%}
  {{ return(publish) }}
{% endmacro %}


{% macro labeling_report_publication() %}
  {#- Dispatched by engine: the DuckDB form below, the Spark form in macros/spark.sql. -#}
  {{ return(adapter.dispatch('labeling_report_publication')()) }}
{% endmacro %}


{% macro duckdb__labeling_report_publication() %}
  {#- The last on-run-end hook: logs what labeling_publish published (it runs only when the
      publishing hook before it succeeded). -#}
  {%- if execute and run_query('select labeling_build_mode()')[0][0] -%}
    {%- set outcome = run_query('select labeling_publication()')[0][0] -%}
    {%- if outcome -%}
      {%- do log('labeling: build succeeded; ' ~ outcome, info=True) -%}
    {%- endif -%}
  {%- endif -%}
  {{ return('select 1') }}
{% endmacro %}


{% macro labeling_record_build(results) %}
  {#- Append this build to audit.labeling_builds (in the copy about to be published): the dbt
      invocation id, which is also the export manifest's `invocation_id`, so a reader can
      check that the database and the export files come from the same build. -#}
  {%- set status_counts = {} -%}
  {%- for result in results -%}
    {%- do status_counts.update({result.status | string: status_counts.get(result.status | string, 0) + 1}) -%}
  {%- endfor -%}
  {%- do run_query(
      'create table if not exists audit.labeling_builds (invocation_id varchar primary key, '
      ~ 'run_started_at timestamp with time zone, recorded_at timestamp with time zone, '
      ~ 'dbt_version varchar, command varchar, load_mode varchar, raw_dir varchar, '
      ~ 'export_dir varchar, node_statuses json)') -%}
  {%- do run_query(
      'insert into audit.labeling_builds values ('
      ~ labeling_sql_string(invocation_id) ~ ', '
      ~ labeling_sql_string(run_started_at.isoformat()) ~ ', now(), '
      ~ labeling_sql_string(dbt_version) ~ ', '
      ~ labeling_sql_string(flags.WHICH) ~ ', '
      ~ labeling_sql_string(labeling_load_mode()) ~ ', '
      ~ "getvariable('labeling_raw_dir'), "
      ~ labeling_sql_string(labeling_export_dir()) ~ ', '
      ~ labeling_sql_string(tojson(status_counts)) ~ ')') -%}
{% endmacro %}


{% macro labeling_report_failures(results) %}
  {#- Log, for each failed data test, its stored failure rows (up to 5) and where to query them. -#}
  {%- for result in results if result.status == 'fail' and result.node.resource_type == 'test' -%}
    {%- set relation = result.node.relation_name -%}
    {%- set inputs = labeling_upstream_seed_files(result.node).keys() | list -%}
    {%- set header = 'FAILED ' ~ result.node.name ~ ' (raw input: ' ~ (inputs | join(', ') or 'n/a')
        ~ '): ' ~ result.failures ~ ' failing row(s)' -%}
    {%- if relation -%}
      {%- set rows = run_query('select * from ' ~ relation ~ ' limit 5') -%}
      {%- set shown = [] -%}
      {%- for row in rows -%}
        {%- set cells = [] -%}
        {%- for column in rows.column_names -%}
          {%- do cells.append(column ~ '=' ~ row[column]) -%}
        {%- endfor -%}
        {%- do shown.append('{' ~ cells | join(', ') ~ '}') -%}
      {%- endfor -%}
      {%- do log(header ~ '; e.g. ' ~ shown | join(' ') ~ '; all rows: select * from ' ~ relation ~ labeling_where_failures_are(), info=True) -%}
    {%- else -%}
      {%- do log(header, info=True) -%}
    {%- endif -%}
  {%- endfor -%}
{% endmacro %}


{% macro labeling_where_failures_are() %}
  {#- Where this invocation's stored failures are, for the log (dispatched: on Spark, in its
      warehouse, where the relation names them). -#}
  {{ return(adapter.dispatch('labeling_where_failures_are')()) }}
{% endmacro %}


{% macro default__labeling_where_failures_are() %}
  {{ return('') }}
{% endmacro %}


{% macro duckdb__labeling_where_failures_are() %}
  {#- A DuckDB build writes into a copy of the database, published only on success. -#}
  {%- if run_query('select labeling_build_mode()')[0][0] -%}
    {{ return(' (in .build/labeling.duckdb when the build fails, e.g. duckdb -readonly .build/labeling.duckdb)') }}
  {%- endif -%}
  {{ return('') }}
{% endmacro %}


{% macro labeling_report_accounting(results) %}
  {#- Log the outcome counts of raw_row_outcomes, when this invocation built it (its result
      names the relation). -#}
  {%- for result in results if result.node.name == 'raw_row_outcomes' and result.status == 'success' -%}
    {%- set parts = [] -%}
    {%- for raw_file, outcomes in labeling_raw_row_accounting(result.node.relation_name).items() -%}
      {%- for outcome, n_rows in outcomes.items() -%}
        {%- do parts.append(raw_file ~ ' ' ~ outcome ~ '=' ~ n_rows) -%}
      {%- endfor -%}
    {%- endfor -%}
    {%- do log('labeling: raw rows accounted for: ' ~ parts | join(', '), info=True) -%}
  {%- endfor -%}
{% endmacro %}


{% macro labeling_load_mode() %}
  {#- How the raw files load: on DuckDB 'seed' (default) or 'read_csv' (env LABELING_LOAD, the
      fast path); Spark always reads them in place ('read_csv'). -#}
  {%- set mode = env_var('LABELING_LOAD', 'seed') if target.type == 'duckdb' else 'read_csv' -%}
  {%- if mode not in ('seed', 'read_csv') -%}
    {{ exceptions.raise_compiler_error("LABELING_LOAD must be 'seed' or 'read_csv', not '" ~ mode ~ "'") }}
  {%- endif -%}
  {{ return(mode) }}
{% endmacro %}


{% macro labeling_raw_source() %}
  {#- The source staging reads: `madewithml` (seeds) or `madewithml_files` (read_csv path). -#}
  {{ return('madewithml_files' if labeling_load_mode() == 'read_csv' else 'madewithml') }}
{% endmacro %}


{% macro labeling_source_row_index() %}
  {#- 0-based position of a raw row in its file: a seed table's rowid (seeds are recreated on
      every load), or, on the read_csv path, the row's position in the scan (DuckDB keeps file
      order with preserve_insertion_order, its default). -#}
  {%- if labeling_load_mode() == 'read_csv' -%}
    {{ return('row_number() over () - 1') }}
  {%- endif -%}
  {{ return('rowid') }}
{% endmacro %}


{% macro labeling_raw_files() %}
  {#- The raw files this invocation reads, as a list of {name, path, columns, shown, full,
      allow_empty}: selected seeds with their column_types, or, on the read_csv path, the raw
      files and the batches this build reads for the first time (labeling.batches), with their
      columns as text (labeling_raw_columns: the same seeds' column_types, defined once). -#}
  {%- set files = [] -%}
  {%- for node in graph.nodes.values()
        if node.resource_type == 'seed' and node.package_name == project_name
        and node.unique_id in selected_resources and (node.config.column_types or {}) | length > 0 -%}
    {%- do files.append({'name': node.original_file_path.split('/')[-1],
                         'path': labeling_abspath(node.original_file_path),
                         'columns': node.config.column_types,
                         'shown': node.original_file_path, 'full': true,
                         'allow_empty': (node.config.meta or {}).get('allow_empty', false)}) -%}
  {%- endfor -%}
  {%- if labeling_load_mode() == 'read_csv' -%}
    {%- set raw_dir = labeling_raw_dir() -%}
    {%- set as_text = {} -%}
    {%- for stem, names in labeling_raw_columns().items() -%}
      {%- do as_text.update({stem ~ '.csv': {}}) -%}
      {%- for column in names -%}
        {%- do as_text[stem ~ '.csv'].update({column: 'varchar'}) -%}
      {%- endfor -%}
    {%- endfor -%}
    {%- for name, columns in as_text.items() -%}
      {%- do files.append({'name': name, 'path': raw_dir ~ '/' ~ name, 'columns': columns,
                           'shown': raw_dir ~ '/' ~ name, 'full': false, 'allow_empty': false}) -%}
    {%- endfor -%}
    {%- set plan = labeling_batch_plan() -%}
    {%- for batch in plan.batches if batch.name in plan.new and batch.name != 'initial' -%}
      {%- for name, file in batch.files.items() if name in as_text -%}
        {%- do files.append({'name': file.shown, 'path': file.path, 'columns': as_text[name],
                             'shown': file.path, 'full': false, 'allow_empty': name == 'tags.csv'}) -%}
      {%- endfor -%}
    {%- endfor -%}
  {%- endif -%}
  {{ return(files) }}
{% endmacro %}


{% macro labeling_raw_columns() %}
  {#- The raw files' columns in file order with their types, {stem: {column: type}}: the seeds'
      column_types (labeling.raw_files.raw_columns, their one definition). Dispatched: DuckDB
      asks the labeling_export plugin, Spark reads the dbt-core plugin's inputs. -#}
  {{ return(adapter.dispatch('labeling_raw_columns')()) }}
{% endmacro %}


{% macro duckdb__labeling_raw_columns() %}
  {%- if not execute -%}{{ return({}) }}{%- endif -%}
  {{ return(fromjson(run_query('select labeling_raw_columns()')[0][0])) }}
{% endmacro %}


{% macro labeling_typed(table, column, file_sql) %}
  {#- Dispatched by engine: the DuckDB form below, the Spark form in macros/spark.sql. -#}
  {{ return(adapter.dispatch('labeling_typed')(table, column, file_sql)) }}
{% endmacro %}


{% macro duckdb__labeling_typed(table, column, file_sql) %}
  {#- The SQL that types a raw column in staging, to its type in the seed's column_types
      (labeling_raw_columns). Seeds are loaded typed, after the preflight checked every
      value's canonical form, so a cast is all it takes. The read_csv path reads the raw files
      as text, and this applies the same canonical-form rule while the file is parsed: a value
      that is not canonical (an id of 140.5, a time with an offset) stops the build naming the
      file (file_sql, a SQL expression: the row's raw_path), line, column and value, instead
      of being cast to something else. -#}
  {%- if not execute -%}{{ return(column) }}{%- endif -%}
  {%- set type = labeling_raw_columns()[table][column] -%}
  {%- if labeling_load_mode() == 'seed' -%}
    {{ return('cast(' ~ column ~ ' as ' ~ type ~ ')') }}
  {%- endif -%}
  {%- set sql = run_query('select labeling_checked_cast_sql(' ~ labeling_sql_string(column) ~ ', '
      ~ labeling_sql_string(type) ~ ', ' ~ labeling_sql_string(file_sql) ~ ', '
      ~ "'source_rowid + 2')")[0][0] -%}
  {{ return(sql) }}
{% endmacro %}
