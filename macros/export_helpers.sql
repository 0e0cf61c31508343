{% macro labeling_project_dir() %}
  {#- Dispatched by engine: the DuckDB form below, the Spark form in macros/spark.sql. -#}
  {{ return(adapter.dispatch('labeling_project_dir')()) }}
{% endmacro %}


{% macro duckdb__labeling_project_dir() %}
  {#- Absolute path of the dbt project folder, from the labeling_export plugin's SQL function
      (dbt-duckdb resolves relative paths against the folder dbt is started from). -#}
  {%- if not execute -%}{{ return('.') }}{%- endif -%}
  {{ return(run_query('select labeling_project_dir()')[0][0]) }}
{% endmacro %}


{% macro labeling_abspath(path) %}
  {#- `path` if absolute, else `path` under the project folder. -#}
  {%- set path = path | string -%}
  {%- if path.startswith('/') -%}{{ return(path) }}{%- endif -%}
  {{ return(labeling_project_dir() ~ '/' ~ path) }}
{% endmacro %}


{% macro labeling_export_dir() %}
  {#- Absolute export folder: var('export_dir') (env LABELING_EXPORT_DIR), default `exports`. -#}
  {{ return(labeling_abspath(var('export_dir', 'exports'))) }}
{% endmacro %}


{% macro labeling_copy_options(format) %}
  {#- DuckDB COPY options per export file format (csv, parquet, json, jsonl, xml, txt), from
      labeling.publish.EXPORT_COPY_OPTIONS through the plugin's labeling_export_copy_options
      (scripts/spark_publish.py writes a Spark build's exports with the same options). -#}
  {%- set options = run_query('select labeling_export_copy_options(' ~ labeling_sql_string(format) ~ ')')[0][0] -%}
  {%- if not options -%}
    {{ exceptions.raise_compiler_error("gated_export: unsupported format '" ~ format
        ~ "' (csv, parquet, json, jsonl, xml or txt)") }}
  {%- endif -%}
  {{ return(options) }}
{% endmacro %}


{% macro labeling_upstream_nodes(model) %}
  {#- unique_ids of every node (model, seed, snapshot) upstream of `model`, via graph.nodes. -#}
  {%- set seen = [] -%}
  {%- set ns = namespace(frontier=model.depends_on.nodes | list) -%}
  {%- for _ in range(100) if ns.frontier | length > 0 -%}
    {%- set next_frontier = [] -%}
    {%- for uid in ns.frontier if uid not in seen -%}
      {%- do seen.append(uid) -%}
      {%- set node = graph.nodes.get(uid) -%}
      {%- if node is not none -%}
        {%- do next_frontier.extend(node.depends_on.nodes) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- set ns.frontier = next_frontier -%}
  {%- endfor -%}
  {{ return(seen) }}
{% endmacro %}


{% macro labeling_raw_dir() %}
  {#- The raw folder as this machine reads it (absolute). Dispatched by engine: DuckDB's below,
      Spark's in macros/spark.sql. -#}
  {{ return(adapter.dispatch('labeling_raw_dir')()) }}
{% endmacro %}


{% macro duckdb__labeling_raw_dir() %}
  {#- The DuckDB variable labeling_raw_dir, set by the labeling_export plugin (LABELING_RAW_DIR). -#}
  {{ return(run_query("select getvariable('labeling_raw_dir')")[0][0]) }}
{% endmacro %}


{% macro labeling_upstream_seed_files(model) %}
  {#- {file name: path} of the input files upstream of `model`, on either engine: its seeds and
      the raw files it reads (on DuckDB's read_csv path each batch's file too, named
      batches/<name>/<file>). The manifest's `inputs` (with each file's sha256 and size, and
      the annotation files when the annotation source is upstream) are described from it. -#}
  {%- set files = {} -%}
  {%- for uid in labeling_upstream_nodes(model) -%}
    {%- set node = graph.nodes.get(uid) -%}
    {%- if node is not none and node.resource_type == 'seed' -%}
      {%- do files.update({node.original_file_path.split('/')[-1]: labeling_abspath(node.original_file_path)}) -%}
    {%- elif uid in graph.sources and graph.sources[uid].source_name == 'madewithml_files' -%}
      {%- do files.update({graph.sources[uid].name ~ '.csv':
          labeling_raw_dir() ~ '/' ~ graph.sources[uid].name ~ '.csv'}) -%}
      {#- and every batch's file of that kind (data that arrives in batches, labeling.batches) -#}
      {%- for batch in labeling_batch_plan().batches if batch.name != 'initial' -%}
        {%- set file = batch.files[graph.sources[uid].name ~ '.csv'] -%}
        {%- do files.update({file.shown: file.path}) -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(files) }}
{% endmacro %}


{% macro labeling_sql_string(value) %}
  {#- `value` as a SQL string literal: every path and text that reaches SQL goes through here,
      so a quote in a folder name (o'brien) never breaks a statement. DuckDB: single quotes
      doubled; Spark (macros/spark.sql): backslash escapes. -#}
  {{ return(adapter.dispatch('labeling_sql_string')(value)) }}
{% endmacro %}


{% macro default__labeling_sql_string(value) %}
  {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}


{% macro labeling_raw_row_accounting(outcomes) %}
  {#- Where every raw row went, from raw_row_outcomes (the relation `outcomes`): {raw file:
      {outcome[:reason]: rows}}. The one query behind the export manifest's
      raw_row_accounting (both engines) and the build log's accounting line. -#}
  {%- set accounting = {} -%}
  {%- for row in run_query("select raw_file, outcome || coalesce(':' || reason, ''), sum(n_rows) from "
                           ~ outcomes ~ " group by 1, 2 order by 1, 2") -%}
    {%- do accounting.setdefault(row[0], {}).update({row[1]: row[2] | int}) -%}
  {%- endfor -%}
  {{ return(accounting) }}
{% endmacro %}


{% macro labeling_export_tallies(rows, count_by, accounting_model, label_source_model) %}
  {#- The counts a gated_export's manifest carries, computed in SQL on either engine: `counts`
      (rows per value of the `count_by` expression over `rows`, a relation or table function),
      `raw_row_accounting` (labeling_raw_row_accounting of `accounting_model`) and, with a
      `label_source_model`, `label_sources` (rows per label_source). -#}
  {%- set tallies = {'counts': {}, 'raw_row_accounting': {}} -%}
  {%- if count_by -%}
    {%- for row in run_query('select ' ~ count_by ~ ', count(*) from ' ~ rows ~ ' group by 1 order by 1') -%}
      {%- do tallies.counts.update({row[0] | string: row[1] | int}) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if accounting_model -%}
    {%- do tallies.update({'raw_row_accounting': labeling_raw_row_accounting(ref(accounting_model))}) -%}
  {%- endif -%}
  {%- if label_source_model -%}
    {%- set label_sources = {} -%}
    {%- for row in run_query('select label_source, count(*) from ' ~ ref(label_source_model)
                             ~ ' group by 1 order by 1') -%}
      {%- do label_sources.update({row[0]: row[1] | int}) -%}
    {%- endfor -%}
    {%- do tallies.update({'label_sources': label_sources}) -%}
  {%- endif -%}
  {{ return(tallies) }}
{% endmacro %}


{% macro labeling_export_meta(relation, rows, row_count) %}
  {#- The manifest fields every gated_export carries, on either engine (called by both
      materializations, in the model's context: `model`, `config`): the model, its relation,
      the invocation, dbt's version, the row count and labeling_export_tallies of the model's
      count_by, accounting_model and label_source_model, and the input files upstream
      (labeling_upstream_seed_files; `_reads_annotations`, private, says whether the annotation
      files are among them), which the publish describes with their sha256. Each engine adds
      the files' columns. -#}
  {%- set meta = {
      'model': model.unique_id,
      'relation': relation.render(),
      'invocation_id': invocation_id,
      'run_started_at': run_started_at.isoformat(),
      'dbt_version': dbt_version,
      'row_count': row_count,
      'counts_by': config.get('count_by', none),
      'inputs': labeling_upstream_seed_files(model),
      '_reads_annotations': graph.sources.values() | selectattr('source_name', 'equalto', 'annotations')
        | map(attribute='unique_id') | select('in', labeling_upstream_nodes(model)) | list | length > 0,
  } -%}
  {%- do meta.update(labeling_export_tallies(rows, config.get('count_by', none),
        config.get('accounting_model', none), config.get('label_source_model', none))) -%}
  {{ return(meta) }}
{% endmacro %}
