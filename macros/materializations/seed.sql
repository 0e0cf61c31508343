{% materialization seed, adapter='duckdb' %}
  {#-
    Loads a seed with DuckDB alone: the table is created from the seed's `column_types` (every
    seed of this project declares them) and filled by `load_csv_rows` (a DuckDB COPY in the
    project's one CSV dialect). dbt's default seed materialization first parses the whole file
    in Python (agate) to infer types and count rows: a second CSV parser with its own limits
    (128 KiB fields) and rules, and most of the time a large seed takes. Here the file is parsed
    once, by the same reader as the preflight and the read_csv path. The table is recreated on
    every load, so `rowid` numbers the raw rows in file order.
    Why an override: dbt's seed task and its default materialization always parse the file with
    agate first (no config turns that off); only a materialization of the same name can skip it.
  -#}
  {%- set column_types = config.get('column_types') or {} -%}
  {%- if column_types | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        "seed " ~ model.name ~ " has no column_types: every seed of this project declares its "
        ~ "columns and their types (seeds/_seeds.yml), in file order.") }}
  {%- endif -%}
  {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=model['alias']) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- if old_relation is not none and old_relation.is_view -%}
    {{ exceptions.raise_compiler_error("Cannot seed to '" ~ old_relation.render() ~ "', it is a view") }}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- if old_relation is not none -%}
    {{ adapter.drop_relation(old_relation) }}
  {%- endif -%}
  {%- set create_sql -%}
    create table {{ target_relation }} (
    {%- for name, type in column_types.items() %}
        {{ adapter.quote_seed_column(name, config.get('quote_columns', none)) }} {{ type }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    )
  {%- endset -%}
  {% call statement('create_seed_table') -%}
    {{ create_sql }}
  {%- endcall %}
  {%- set load_sql = load_csv_rows(model, none) -%}
  {%- set rows_affected = run_query('select count(*) from ' ~ target_relation)[0][0] -%}

  {% call noop_statement('main', 'CREATE ' ~ rows_affected, 'CREATE', rows_affected) %}
    {{ create_sql }};
    {{ load_sql }};
  {% endcall %}
  {#- dbt's seed task reads an agate table from this result (for `dbt seed --show`): the
      loaded table's first rows, not a second parse of the file. -#}
  {%- do store_result('agate_table', response='OK',
        agate_table=run_query('select * from ' ~ target_relation ~ ' limit 10')) -%}

  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
