{% materialization gated_export, adapter='duckdb' %}
  {#-
    Writes the model's rows once, as its first Parquet file, into the build's staging folder
    (after checking the enforced contract against the query's columns), writes every other
    file from that Parquet file (so the query runs, and sorts, once), and registers them with
    the `labeling_export` plugin, which publishes them with a manifest, together with the
    database, when the whole build succeeds. The model's relation is a view over its Parquet
    file, so querying the node reads exactly what was exported. Whether the files are published
    is the gate's decision once every node has run (labeling.publish.refusal: every node
    succeeded, every data test on this model or upstream of it ran, the result is not empty
    unless `allow_empty` is set).

    The files: `files`, a list of {name, select}: `name` is the path in the export folder (it
    may be in a subfolder, `annotation/tasks.label_studio.json`) and its extension the format
    (csv, parquet, json: one array, jsonl: one object per line, xml or txt: the one selected
    column's text as it is, one value per row); `select` is the select list over the model's
    rows (default `*`). Without `files`, `formats` (default csv and parquet) and `file_stem`
    (default the model's name) give `<file_stem>.<format>` with every column. One of the files
    must be Parquet with every column (no `select`): the view reads it and the other files are
    written from it.
  -#}
  {%- set file_stem = config.get('file_stem', model.name) -%}
  {%- set files = config.get('files', none) -%}
  {%- if files is none -%}
    {%- set files = [] -%}
    {%- for format in config.get('formats', ['csv', 'parquet']) -%}
      {%- do files.append({'name': file_stem ~ '.' ~ format}) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set export_dir = labeling_export_dir() -%}
  {%- set parquet_files = [] -%}
  {%- for file in files if file.name.endswith('.parquet') and file.get('select', '*') == '*' -%}
    {%- do parquet_files.append(file.name) -%}
  {%- endfor -%}
  {%- if parquet_files | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        "gated_export " ~ model.name ~ ": one of its files must be Parquet with every column (no "
        ~ "'select'): the model's view reads it and the other files are written from it") }}
  {%- endif -%}
  {%- set read_file = parquet_files[0] -%}

  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set staging_dir = export_dir ~ '/.staging/' ~ invocation_id -%}
  {%- set base_file = labeling_sql_string(staging_dir ~ '/' ~ read_file) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- if config.get('contract').enforced -%}
    {{ get_assert_columns_equivalent(sql) }}
  {%- endif -%}
  {#- The staging folder is private to this build (nothing reads it until on-run-end publishes
      it), so files written here before a check below fails are never seen. -#}
  {%- set subfolders = [] -%}
  {%- for file in files if '/' in file.name -%}
    {%- do subfolders.append(file.name.rsplit('/', 1)[0]) -%}
  {%- endfor -%}
  {%- do adapter.store_relation('labeling_export', target_relation, [], export_dir, 'prepare',
        {'invocation_id': invocation_id, '_subfolders': subfolders | unique | list}) -%}
  {% call statement('main') -%}
    copy (
      {% if config.get('contract').enforced -%}
        {{ get_select_subquery(sql) }}
      {%- else -%}
        {{ sql }}
      {%- endif %}
    )
    to {{ base_file }}
    ({{ labeling_copy_options('parquet') }})
  {%- endcall %}

  {%- set row_count = run_query('select count(*) from read_parquet(' ~ base_file ~ ')')[0][0] -%}
  {#- The file's columns and their types, as DuckDB describes them (nested types whole). -#}
  {%- set columns = run_query('select column_name, column_type from (describe select * from read_parquet('
      ~ base_file ~ '))') -%}

  {%- set meta = labeling_export_meta(target_relation, 'read_parquet(' ~ base_file ~ ')', row_count) -%}
  {%- set counts = meta.counts -%}
  {%- do meta.update({
      'columns': columns.columns[0].values() | list,
      'column_types': columns.columns[1].values() | list,
  }) -%}
  {%- for key, value in config.get('manifest_extra', {}).items() -%}
    {%- do meta.update({key: value}) -%}
  {%- endfor -%}

  {%- do run_query("select labeling_fault('export:copying')") -%}
  {%- for file in files if file.name != read_file -%}
    {% call statement('copy_' ~ loop.index) -%}
      copy (select {{ file.get('select', '*') }} from read_parquet({{ base_file }}))
      to {{ labeling_sql_string(staging_dir ~ '/' ~ file.name) }}
      ({{ labeling_copy_options(file.name.rsplit('.', 1)[-1]) }})
    {%- endcall %}
  {%- endfor -%}
  {#- The files are switched in by on-run-end, together with the database, only when every
      node of the build succeeded; until then the view reads the staged file, and on-run-end
      points it at the published version. -#}
  {%- do meta.update({'_published': export_dir ~ '/' ~ read_file, '_reader': 'read_parquet',
                      '_files': files | map(attribute='name') | list,
                      '_manifest': config.get('manifest_name', 'manifest.json')}) -%}
  {%- do adapter.store_relation('labeling_export', target_relation, [], export_dir, 'commit', meta) -%}

  {%- set existing_relation = load_cached_relation(this) -%}
  {%- if existing_relation is not none and existing_relation.type != 'view' -%}
    {{ drop_relation_if_exists(existing_relation) }}
  {%- endif -%}
  {% call statement('publish_view') -%}
    create or replace view {{ target_relation }} as
    select * from read_parquet({{ labeling_sql_string(staging_dir ~ '/' ~ read_file) }})
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {% do log(model.name ~ ": staged " ~ row_count ~ " rows as " ~ files | map(attribute='name') | join(', ')
            ~ " in " ~ export_dir ~ (" " ~ (counts | tojson) if counts else "")
            ~ " (published with the database when the whole build succeeds)", info=True) %}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
