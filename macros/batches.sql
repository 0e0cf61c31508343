{% macro labeling_batch_plan() %}
  {#- Dispatched by engine: the DuckDB form below, the Spark form in macros/spark.sql. -#}
  {{ return(adapter.dispatch('labeling_batch_plan')()) }}
{% endmacro %}


{% macro duckdb__labeling_batch_plan() %}
  {#- This build's batch plan (labeling.batches.plan, made once by on-run-start): mode
      ('full' or 'incremental'), reason, rebuild_key, batches (every batch with its files),
      new (the names of the batches this build reads) and planned (false in a command that does
      not build: a full plan, made without the database). At parse time, without a database, a
      full plan of the initial files. -#}
  {%- if not execute -%}
    {{ return({'mode': 'full', 'reason': 'parse', 'rebuild_key': '', 'new': ['initial'], 'planned': false,
               'batches': [{'name': 'initial', 'files': {
                   'projects.csv': {'path': '', 'shown': 'projects.csv', 'sha256': ''},
                   'tags.csv': {'path': '', 'shown': 'tags.csv', 'sha256': ''}}}]}) }}
  {%- endif -%}
  {{ return(fromjson(run_query('select labeling_batch_plan()')[0][0])) }}
{% endmacro %}


{% macro labeling_reads_new_batches_only() %}
  {#- Whether the model being built reads only the batches not applied yet: an incremental
      model whose table exists, in an incremental build. A full build has dropped the
      incremental tables first (labeling_plan_batches), so the two agree; if they do not,
      stop rather than append every row again. -#}
  {#- A unit test has no `this`: it tests the full form. -#}
  {%- if not execute or this is none or not is_incremental() -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set plan = labeling_batch_plan() -%}
  {#- A command that does not build (compile, show, docs) shows the full form. -#}
  {%- if not plan.planned -%}
    {{ return(false) }}
  {%- endif -%}
  {%- if plan.mode != 'incremental' -%}
    {{ exceptions.raise_compiler_error("labeling: " ~ this ~ " exists in a full build ("
        ~ plan.reason ~ "); on-run-start should have dropped it. Run dbt build --full-refresh.") }}
  {%- endif -%}
  {{ return(true) }}
{% endmacro %}


{% macro labeling_raw_batch_files(file_name) %}
  {#- The raw files named file_name (projects.csv or tags.csv) that the model being built reads,
      in batch order, as [{batch, path, shown, empty}]: only the new batches' when it reads new
      batches only, else every batch's. When there is nothing to read, one entry with empty
      true: the initial file, read with `where false` (no rows, the same columns). -#}
  {%- set plan = labeling_batch_plan() -%}
  {%- set only_new = labeling_reads_new_batches_only() -%}
  {%- set files = [] -%}
  {%- for batch in plan.batches if batch.name in plan.new or not only_new -%}
    {%- set file = batch.files[file_name] -%}
    {%- do files.append({'batch': batch.name, 'path': file.path, 'shown': file.shown, 'empty': false}) -%}
  {%- endfor -%}
  {%- if files | length == 0 -%}
    {%- do files.append({'batch': 'initial', 'path': '', 'shown': file_name, 'empty': true}) -%}
  {%- endif -%}
  {{ return(files) }}
{% endmacro %}


{% macro labeling_raw_batch_rows(table) %}
  {#- Dispatched by engine: the DuckDB form below, the Spark form in macros/spark.sql. -#}
  {{ return(adapter.dispatch('labeling_raw_batch_rows')(table)) }}
{% endmacro %}


{% macro duckdb__labeling_raw_batch_rows(table) %}
  {#- SQL: the raw rows of every file named <table>.csv that the model being built reads
      (labeling_raw_batch_files), one select per file joined by union all, each with `batch`,
      `raw_path` (the file relative to the raw folder, for error messages) and `source_rowid`
      (the 0-based position of the row in its file), then the file's columns: as text on the
      read_csv path, typed from the seeds. The initial file is read through source() (so
      lineage shows it); a batch's file through the same read_csv table macro
      (labeling_read_<table>, defined by the plugin), in the same dialect and columns. -#}
  {%- set selects = [] -%}
  {%- for file in labeling_raw_batch_files(table ~ '.csv') -%}
    {%- if file.batch == 'initial' -%}
      {%- set rows = source(labeling_raw_source(), table) -%}
      {%- set position = labeling_source_row_index() -%}
    {%- else -%}
      {%- set rows = 'labeling_read_' ~ table ~ '(' ~ labeling_sql_string(file.path) ~ ')' -%}
      {%- set position = 'row_number() over () - 1' -%}
    {%- endif -%}
    {%- do selects.append('select ' ~ labeling_sql_string(file.batch) ~ ' as batch, '
        ~ labeling_sql_string(file.shown) ~ ' as raw_path, *, ' ~ position ~ ' as source_rowid from '
        ~ rows ~ (' where false' if file.empty else '')) -%}
  {%- endfor -%}
  {{ return('(' ~ selects | join(')\n    union all\n    (') ~ ')') }}
{% endmacro %}


{% macro labeling_in_new_batches(column) %}
  {#- SQL condition: the row's batch (column) is one this build reads for the first time. -#}
  {%- set names = [] -%}
  {%- for name in labeling_batch_plan().new -%}
    {%- do names.append(labeling_sql_string(name)) -%}
  {%- endfor -%}
  {{ return((column ~ ' in (' ~ names | join(', ') ~ ')') if names | length > 0 else 'false') }}
{% endmacro %}


{% macro labeling_only_new_ids(column, touched=none) %}
  {#- SQL condition for the incremental models keyed by project id: true in a full build; in an
      incremental one, the row's column (a project id) is one of the ids the new batches touch,
      NULL-safe. Those ids are the model int_project_ids_touched: a model refs it whatever the
      build, so it depends on it (lineage shows the edge). Data tests and the snapshot
      override, which narrow their reads the same way when the build is incremental, pass
      `touched` (labeling_touched_ids_for_tests) and get the incremental form. -#}
  {%- if touched is none -%}
    {%- set touched = ref('int_project_ids_touched') -%}
    {%- if not labeling_reads_new_batches_only() -%}
      {{ return('true') }}
    {%- endif -%}
  {%- endif -%}
  {{ return('(' ~ column ~ ' in (select project_id from ' ~ touched ~ ') or (' ~ column
      ~ ' is null and exists (select 1 from ' ~ touched ~ ' where project_id is null)))') }}
{% endmacro %}


{% macro labeling_touched_ids_for_tests() %}
  {#- The relation of int_project_ids_touched, for the data tests' `where` and the snapshot
      override, which read it in an incremental build. Why not ref(): dbt records a test's
      dependencies when it parses the test, and never renders a `unique` or `not_null` test's
      arguments then (nor a YAML snapshot's SQL), so a ref() there would fail at run time. The
      model is upstream of every model those tests check, so dbt has built it by then. -#}
  {{ return(graph.nodes['model.' ~ project_name ~ '.int_project_ids_touched'].relation_name) }}
{% endmacro %}


{% macro labeling_incremental_by_id(column) %}
  {#- The config of the models keyed by project id that grow batch by batch
      (int_raw_ids_classified, int_label_decisions, labeled_projects, raw_row_audit), as
      keyword arguments of config(): on DuckDB an incremental table in the database file (never
      in `scratch`), appended to after labeling_delete_rows_of_new_ids(column) deleted the rows
      of the ids the new batches touch. On Spark, which has no batches
      (labeling.spark.prepare refuses batches), a table rebuilt by every build.
      Why not dbt-duckdb's delete+insert (or merge) strategy: it deletes the rows whose key is
      among the rows the model returns now, so an id the new batches touch that now has no
      row (its tag emptied, its rows left out) would keep its old row; the delete here is by
      the ids the batches touch, whatever the model returns for them. -#}
  {%- if target.type != 'duckdb' -%}
    {{ return({'materialized': 'table'}) }}
  {%- endif -%}
  {{ return({
      'materialized': 'incremental',
      'incremental_strategy': 'append',
      'on_schema_change': 'fail',
      'database': target.database,
      'pre_hook': "{{ labeling_delete_rows_of_new_ids('" ~ column ~ "') }}",
  }) }}
{% endmacro %}


{% macro labeling_delete_rows_of_new_ids(column) %}
  {#- pre-hook of the incremental models keyed by project id: in an incremental build, delete
      the rows of the ids the new batches touch, which the model then recomputes and appends
      (all rows of those ids, old batches' included). A no-op in a full build. -#}
  {%- if not labeling_reads_new_batches_only() -%}
    {{ return('select 1') }}
  {%- endif -%}
  {{ return('delete from ' ~ this ~ ' where ' ~ labeling_only_new_ids(column)) }}
{% endmacro %}


{% macro labeling_plan_batches() %}
  {#- Dispatched by engine: the DuckDB form below, the Spark form in macros/spark.sql. -#}
  {{ return(adapter.dispatch('labeling_plan_batches')()) }}
{% endmacro %}


{% macro duckdb__labeling_plan_batches() %}
  {#- on-run-start of a build: plan which raw batches it reads (labeling.batches.plan), from
      audit.raw_batches in the database being built (a copy of the published one) and the
      incremental tables it has. A full plan drops the incremental tables (through the
      adapter, so dbt's cache agrees) and they are rebuilt from every batch; an incremental one
      keeps them and the models read only the new batches. Logs the decision and its reason.
      An incremental model configured `full_refresh: false` (a history, such as
      labeling_progress) is no batch's: dbt never rebuilds it, and neither does the plan.
      Why not dbt's --full-refresh: whether a build can be incremental depends on the data
      (a batch already applied that changed, a batch removed, another rebuild key), which only
      this plan sees; a user would have to know when to pass the flag, and a forgotten one
      would append a changed batch twice. -#}
  {%- if not execute or not run_query('select labeling_build_mode()')[0][0] -%}
    {{ return('select 1') }}
  {%- endif -%}
  {%- set existing = [] -%}
  {%- set missing = [] -%}
  {%- set recorded = [] -%}
  {%- set selected_models = [] -%}
  {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name
        and node.config.materialized == 'incremental' and node.config.full_refresh is not false -%}
    {%- if node.unique_id in selected_resources -%}
      {%- do selected_models.append(node.name) -%}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=node.database, schema=node.schema,
                                            identifier=node.alias) -%}
    {%- if relation is none -%}
      {%- do missing.append(node.name) -%}
    {%- else -%}
      {%- if node.unique_id in selected_resources -%}
        {%- do existing.append(relation) -%}
      {%- endif -%}
      {%- if node.name == 'raw_batches' -%}
        {%- for row in run_query('select batch, raw_file, sha256, rebuild_key from ' ~ relation) -%}
          {%- do recorded.append({'batch': row[0], 'raw_file': row[1], 'sha256': row[2],
                                  'rebuild_key': row[3]}) -%}
        {%- endfor -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set plan = fromjson(run_query('select labeling_plan_batches('
      ~ labeling_sql_string(tojson(recorded)) ~ ', '
      ~ ('true' if flags.FULL_REFRESH else 'false') ~ ', '
      ~ labeling_sql_string(tojson(missing)) ~ ', '
      ~ labeling_sql_string(tojson({'vars': invocation_args_dict.get('vars', {}), 'target': target.name})) ~ ')')[0][0]) -%}
  {#- A full build drops the incremental tables it builds (a command that builds none of them,
      such as dbt test or dbt seed, drops nothing). -#}
  {%- if plan.mode == 'full' -%}
    {%- for relation in existing -%}
      {%- do adapter.drop_relation(relation) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if selected_models | length > 0 -%}
    {%- do log('labeling: batches: ' ~ plan.mode ~ ' build (' ~ plan.reason ~ '); reading '
        ~ (plan.new | join(', ') if plan.new | length > 0 else 'no new batch'), info=True) -%}
  {%- endif -%}
  {{ return('select 1') }}
{% endmacro %}


{% macro get_where_subquery(relation) -%}
  {#- dbt's `where` config of data tests, plus three placeholders that make a test on an
      incremental model check, in an incremental build, only what the new batches can change
      (in a full build, everything). The tested tables have been checked whole by the builds
      that made their other rows, and nothing else changed since (the batch plan's rebuild key):
        labeling_new_batches            rows of the batches read for the first time (`batch`);
        labeling_new_ids:<column>        rows whose project id (<column>) occurs in them;
        labeling_new_groups:<id>:<cols>  rows sharing the comma-separated columns <cols> with a
                                         row of such an id (for uniqueness of other columns).
      A tested model's meta `labeling_incremental_tests` gives its tests' default (one of the
      above); a test that must see the whole table says `where: labeling_whole_table`. Any other
      `where` is dbt's own.
      Why an override: a test's `where` is rendered when the project is parsed, before the build
      plans its batches (on-run-start), so it cannot name the rows a build reads for the first
      time; dbt documents overriding get_where_subquery, with placeholders, for such run-time
      conditions. -#}
  {%- set where = config.get('where') -%}
  {%- if not execute -%}
    {{ return(relation) }}
  {%- endif -%}
  {#- The tested model, if it is one of ours that this invocation builds too. -#}
  {%- set tested = namespace(meta={}, built_now=false) -%}
  {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name
        and node.alias == relation.identifier and node.schema == relation.schema -%}
    {%- set tested.meta = node.config.meta or {} -%}
    {%- set tested.built_now = node.unique_id in selected_resources -%}
  {%- endfor -%}
  {%- if not where -%}
    {#- The default of a tested model: its meta labeling_incremental_tests. -#}
    {%- set where = tested.meta.get('labeling_incremental_tests') -%}
  {%- endif -%}
  {%- if not where or where == 'labeling_whole_table' -%}
    {{ return(relation) }}
  {%- endif -%}
  {%- if where.startswith('labeling_new_') -%}
    {#- Only in an incremental build that also builds the tested model: `dbt test` alone, or
        a build that does not select the model, checks the whole table. -#}
    {%- set plan = labeling_batch_plan() -%}
    {%- set active = plan.planned and plan.mode == 'incremental' and tested.built_now -%}
    {%- set parts = where.split(':') -%}
    {%- if not active -%}
      {%- set where = 'true' -%}
    {%- elif parts[0] == 'labeling_new_batches' -%}
      {%- set where = labeling_in_new_batches('batch') -%}
    {%- elif parts[0] == 'labeling_new_ids' -%}
      {%- set where = labeling_only_new_ids(parts[1], labeling_touched_ids_for_tests()) -%}
    {%- elif parts[0] == 'labeling_new_groups' -%}
      {%- set columns = parts[2].split(',') | join(', ') -%}
      {%- set where = '(' ~ columns ~ ') in (select ' ~ columns ~ ' from ' ~ relation ~ ' where '
          ~ labeling_only_new_ids(parts[1], labeling_touched_ids_for_tests()) ~ ')' -%}
    {%- else -%}
      {{ exceptions.raise_compiler_error("labeling: unknown where placeholder " ~ where) }}
    {%- endif -%}
  {%- endif -%}
  {%- do return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") -%}
{%- endmacro %}


{% macro snapshot_staging_table(strategy, source_sql, target_relation) -%}
  {#- dbt's snapshot staging query (what to insert, update, invalidate), unchanged except in an
      incremental build that also rebuilds int_label_decisions: there, label_history compares
      only the projects whose ids the new batches touch, on both sides. No other label can have
      changed (the batch plan's rebuild key covers everything else), and comparing them all
      would read 10 million rows to find none; hard deletes among those ids are still closed.
      Why an override: a dbt snapshot always compares its whole query with its whole table, and
      no snapshot config narrows that compare; this macro is where dbt builds it. -#}
  {%- set plan = labeling_batch_plan() -%}
  {%- set decisions_built = namespace(value=false) -%}
  {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name
        and node.name == 'int_label_decisions' -%}
    {%- set decisions_built.value = node.unique_id in selected_resources -%}
  {%- endfor -%}
  {%- if plan.planned and plan.mode == 'incremental' and decisions_built.value
        and model.name == 'label_history' -%}
    {%- set only_new = labeling_only_new_ids('id', labeling_touched_ids_for_tests()) -%}
    {%- set source_sql = 'select * from (' ~ source_sql ~ ') as labeling_source where ' ~ only_new -%}
    {%- set target_relation = '(select * from ' ~ target_relation ~ ' where ' ~ only_new ~ ')' -%}
  {%- endif -%}
  {{ return(adapter.dispatch('snapshot_staging_table', 'dbt')(strategy, source_sql, target_relation)) }}
{%- endmacro %}
