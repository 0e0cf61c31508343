{#- Joins of many rows cut into pieces that fit in memory, on DuckDB (issue 22, target 5). -#}

{% macro labeling_pieces(relation, column) %}
  {#- The pieces a model cuts its big join into, as ranges of `column`'s values in `relation`:
      a list of {lo, hi} (lo none: from the lowest value, NULL included; hi none: to the
      highest), together every row once. One piece per LABELING_PIECE_ROWS rows of `relation`
      (default 10 million): a hash join whose build side does not fit in DuckDB's memory_limit
      spills both sides to disk, so the join grows faster than the data, and DuckDB runs the
      pieces of a `union all` one after another. One piece, [{lo: none, hi: none}], below that,
      on Spark (which partitions joins itself), in unit tests and before `relation` exists. -#}
  {{ return(adapter.dispatch('labeling_pieces')(relation, column)) }}
{% endmacro %}


{% macro default__labeling_pieces(relation, column) %}
  {{ return([{'lo': none, 'hi': none}]) }}
{% endmacro %}


{% macro duckdb__labeling_pieces(relation, column) %}
  {%- set whole = [{'lo': none, 'hi': none}] -%}
  {%- if not execute or model.resource_type == 'unit_test' or load_relation(relation) is none -%}
    {{ return(whole) }}
  {%- endif -%}
  {%- set piece_rows = env_var('LABELING_PIECE_ROWS', '10000000') | int -%}
  {%- set stats = run_query('select count(*), min(' ~ column ~ '), max(' ~ column ~ ') from '
      ~ relation)[0] -%}
  {%- set n_pieces = (stats[0] + piece_rows - 1) // piece_rows -%}
  {%- if n_pieces < 2 or stats[1] is none or stats[1] == stats[2] -%}
    {{ return(whole) }}
  {%- endif -%}
  {%- set step = (stats[2] - stats[1]) // n_pieces + 1 -%}
  {%- set pieces = [] -%}
  {%- for k in range(n_pieces) -%}
    {%- do pieces.append({'lo': none if loop.first else stats[1] + k * step,
                          'hi': none if loop.last else stats[1] + (k + 1) * step}) -%}
  {%- endfor -%}
  {{ return(pieces) }}
{% endmacro %}


{% macro labeling_in_piece(column, piece) %}
  {#- SQL: whether the SQL expression `column` falls in `piece` (one of labeling_pieces). -#}
  {%- if piece.lo is none and piece.hi is none -%}
    {{ return('true') }}
  {%- elif piece.lo is none -%}
    {{ return('(' ~ column ~ ' < ' ~ piece.hi ~ ' or ' ~ column ~ ' is null)') }}
  {%- elif piece.hi is none -%}
    {{ return(column ~ ' >= ' ~ piece.lo) }}
  {%- endif -%}
  {{ return(column ~ ' >= ' ~ piece.lo ~ ' and ' ~ column ~ ' < ' ~ piece.hi) }}
{% endmacro %}


{% macro labeling_inlined(pieces) %}
  {#- `not materialized ` for an import CTE that the pieces read, when there is more than one:
      DuckDB materializes a CTE that a query reads more than once, which would copy the whole
      input first (at 5e7 rows, 27 GB spilled); inlined, each piece reads only its range (the
      range filter reaches the table scan). Empty for one piece (and so on Spark). -#}
  {{ return('not materialized ' if pieces | length > 1 else '') }}
{% endmacro %}
