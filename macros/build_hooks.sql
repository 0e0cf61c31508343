{% macro labeling_preflight() %}
  {#- on-run-start: check every raw file that this invocation loads (selected seeds) against
      its seed's column_types before anything is loaded (on the read_csv path: the file and its
      header; the strict read_csv of staging reports bad lines). On a problem, raise one error listing
      each file, rule and line: no node runs, so nothing in the database or exports changes. -#}
  {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
  {%- set problems = [] -%}
  {%- for file in labeling_raw_files() if file.node.startswith('seed.') -%}
    {%- if file.shown.startswith('/') or file.shown.startswith('..') -%}
      {{ exceptions.raise_compiler_error(
          "LABELING_RAW_DIR must be a folder inside the project on the seed load path, not '"
          ~ file.shown.rsplit('/', 1)[0] ~ "': dbt writes each seed's compiled copy under target/ "
          ~ "by that path and would overwrite the raw file. Copy the files into the project "
          ~ "(scripts/extract.py --from DIR does), or read them in place with LABELING_LOAD=read_csv. "
          ~ "Nothing was loaded or changed.") }}
    {%- endif -%}
  {%- endfor -%}
  {%- for file in labeling_raw_files() -%}
    {%- set check -%}
      select labeling_check_raw_file(
          '{{ file.name }}',
          '{{ file.path | replace("'", "''") }}',
          '{{ tojson(file.columns) | replace("'", "''") }}',
          {{ 'true' if file.full else 'false' }}
      )
    {%- endset -%}
    {%- set problem = run_query(check)[0][0] -%}
    {%- if problem -%}
      {%- do problems.append(problem ~ ' (' ~ file.shown ~ ')') -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if problems | length > 0 -%}
    {{ exceptions.raise_compiler_error(
        "Raw input check failed; nothing was loaded, the database and exports are unchanged:\n  - "
        ~ problems | join("\n  - ")) }}
  {%- endif -%}
  {{ return('select 1') }}
{% endmacro %}


{% macro labeling_on_run_end(results) %}
  {#- on-run-end: report the rows that failing tests stored, the raw-row accounting, and, for a
      build on the private copy, publish the database only when every node succeeded. -#}
  {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
  {%- set incomplete = [] -%}
  {%- for result in results if result.status in ('error', 'fail', 'runtime error', 'skipped') -%}
    {%- do incomplete.append(result) -%}
  {%- endfor -%}
  {{ labeling_report_failures(results) }}
  {%- for result in results if result.node.name == 'raw_row_audit' and result.status == 'success' -%}
    {{ labeling_report_accounting() }}
  {%- endfor -%}
  {%- if run_query('select labeling_build_mode()')[0][0] -%}
    {%- if incomplete | length == 0 and results | length > 0 -%}
      {#- Switch in the staged exports, point their views at the published files, then
          publish the database: one build, one publication of both. -#}
      {%- set committed = fromjson(run_query('select labeling_commit_exports()')[0][0]) -%}
      {%- for export in committed -%}
        {%- do run_query('create or replace view ' ~ export.relation ~ ' as select * from '
            ~ export.reader ~ "('" ~ export.published ~ "')") -%}
        {%- do log('labeling: published ' ~ export.published, info=True) -%}
      {%- endfor -%}
      {%- do adapter.commit() -%}
      {%- do run_query('checkpoint') -%}
      {%- set published = run_query('select labeling_publish_database()')[0][0] -%}
      {%- do log('labeling: build succeeded; ' ~ published, info=True) -%}
    {%- else -%}
      {%- do log('labeling: build NOT published: ' ~ incomplete | length ~ ' node(s) failed or were '
          ~ 'skipped. labeling.duckdb and exports/ are unchanged. The failed build, audit.* '
          ~ 'failure rows included, is in .build/labeling.duckdb until the next build.', info=True) -%}
    {%- endif -%}
  {%- endif -%}
  {{ return('select 1') }}
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
  {#- Which database file holds this invocation's stored failures, for the log. -#}
  {%- if run_query('select labeling_build_mode()')[0][0] -%}
    {{ return(' (in .build/labeling.duckdb when the build fails, e.g. duckdb -readonly .build/labeling.duckdb)') }}
  {%- endif -%}
  {{ return('') }}
{% endmacro %}


{% macro labeling_report_accounting() %}
  {#- Log the outcome counts of raw_row_audit (called when this invocation built it). -#}
  {%- set audit = adapter.get_relation(database=target.database, schema=target.schema, identifier='raw_row_audit') -%}
  {%- if audit is none -%}{{ return('') }}{%- endif -%}
  {%- set rows = run_query("select raw_file, outcome || coalesce(':' || reason, ''), count(*) from " ~ audit ~ " group by all order by all") -%}
  {%- set parts = [] -%}
  {%- for row in rows -%}
    {%- do parts.append(row[0] ~ ' ' ~ row[1] ~ '=' ~ row[2]) -%}
  {%- endfor -%}
  {%- do log('labeling: raw rows accounted for: ' ~ parts | join(', '), info=True) -%}
{% endmacro %}


{% macro labeling_load_mode() %}
  {#- How the raw files load: 'seed' (default) or 'read_csv' (env LABELING_LOAD, the fast path). -#}
  {%- set mode = env_var('LABELING_LOAD', 'seed') -%}
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
  {#- The raw files this invocation reads, as a list of {name, path, columns, node}: selected
      seeds, or, on the read_csv path, the external sources of the `madewithml` source. -#}
  {%- set files = [] -%}
  {%- for node in graph.nodes.values()
        if node.resource_type == 'seed' and node.package_name == project_name
        and node.unique_id in selected_resources and (node.config.column_types or {}) | length > 0 -%}
    {%- do files.append({'name': node.original_file_path.split('/')[-1],
                         'path': labeling_abspath(node.original_file_path),
                         'columns': node.config.column_types, 'node': node.unique_id,
                         'shown': node.original_file_path, 'full': true}) -%}
  {%- endfor -%}
  {%- if labeling_load_mode() == 'read_csv' -%}
    {%- set raw_dir = run_query("select getvariable('labeling_raw_dir')")[0][0] -%}
    {%- for source in graph.sources.values()
          if source.package_name == project_name and source.source_name == 'madewithml_files' -%}
      {%- set columns = {} -%}
      {%- for name, column in source.columns.items() -%}
        {%- do columns.update({name: column.data_type}) -%}
      {%- endfor -%}
      {%- do files.append({'name': source.name ~ '.csv', 'path': raw_dir ~ '/' ~ source.name ~ '.csv',
                           'columns': columns, 'node': source.unique_id,
                           'shown': raw_dir ~ '/' ~ source.name ~ '.csv', 'full': false}) -%}
    {%- endfor -%}
  {%- endif -%}
  {{ return(files) }}
{% endmacro %}
