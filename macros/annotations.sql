{% macro labeling_integer_or_null(text) %}
{#- A project id given as text, as a BIGINT when it is an integer in canonical form (the rule
    of the raw files, labeling_canonical_integer), else NULL, so that `6.5` or ` 6` never
    becomes another project's id. -#}
case when {{ labeling_canonical_integer(text) }} then cast({{ text }} as bigint) end
{%- endmacro %}


{% macro labeling_canonical_integer(text) %}
  {#- SQL: whether `text` is an integer in canonical form. The rule is defined once, with the
      raw files' (labeling.raw_files.TYPE_RULES['bigint']); dispatched: DuckDB asks the
      labeling_export plugin for it, Spark reads it from the dbt-core plugin's inputs. -#}
  {{ return(adapter.dispatch('labeling_canonical_integer')(text)) }}
{% endmacro %}


{% macro duckdb__labeling_canonical_integer(text) %}
  {%- if not execute -%}{{ return('true') }}{%- endif -%}
  {{ return(run_query('select labeling_canonical_sql(' ~ labeling_sql_string('bigint') ~ ', '
      ~ labeling_sql_string(text) ~ ')')[0][0]) }}
{% endmacro %}


{% macro labeling_xml_escape(text) %}
{#- `text` escaped for an XML attribute value: & < > " ' as entities. -#}
replace(replace(replace(replace(replace({{ text }}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
    '"', '&quot;'), {{ labeling_sql_string("'") }}, '&apos;')
{%- endmacro %}


{% macro labeling_label_precedence(corrected_tag, consensus_tag, given_tag) %}
{#- The precedence of a project's labels, defined once: a reviewer's correction, else the
    annotators' consensus, else the tag given in tags.csv. A list of (label source, SQL of its
    tag) pairs, first wins; labeling_label_source and labeling_final_tag read it. -#}
{{ return([('reviewer_correction', corrected_tag), ('annotation_consensus', consensus_tag),
           ('tags_csv', given_tag)]) }}
{%- endmacro %}


{% macro labeling_label_source(corrected_tag, consensus_tag, given_tag) %}
{#- Where a project's final label comes from (labeling_label_precedence): the source of the
    first tag that is not NULL; NULL when none gives one. Used by int_label_decisions and
    int_raw_ids_classified. -#}
case
{%- for source, tag in labeling_label_precedence(corrected_tag, consensus_tag, given_tag) %}
    when {{ tag }} is not null then '{{ source }}'
{%- endfor %}
end
{%- endmacro %}


{% macro labeling_final_tag(corrected_tag, consensus_tag, given_tag) %}
{#- A project's final label: the first tag that is not NULL, in labeling_label_precedence's
    order. -#}
coalesce(
{%- for source, tag in labeling_label_precedence(corrected_tag, consensus_tag, given_tag) -%}
    {{ tag }}{{ ', ' if not loop.last }}
{%- endfor -%}
)
{%- endmacro %}


{% macro labeling_label_studio_prediction(model_version, score, tag) %}
  {#- SQL: a Label Studio prediction (a struct) of the SQL expressions model_version, score and
      tag: one `choices` result choosing the tag. -#}
  {{ return(labeling_struct([
      ('model_version', model_version),
      ('score', score),
      ('result', labeling_list([labeling_struct([
          ('from_name', "'tag'"),
          ('to_name', "'text'"),
          ('type', "'choices'"),
          ('value', labeling_struct([('choices', labeling_list([tag]))])),
      ])])),
  ])) }}
{% endmacro %}


{% macro labeling_posterior_leaders(fit) %}
  {#- Per project of a Dawid-Skene fit (int_annotation_dawid_skene, int_labeling_function_label_model):
      its highest posterior, how many tags share it (more than one: a tie) and the greatest of
      those tags (the leader when there is no tie). -#}
    select
        project_id,
        max(value) as top_posterior,
        count(*) as n_top,
        max(tag) as top_tag

    from (
        select
            project_id,
            tag,
            value,
            max(value) over (partition by project_id) as top_value
        from {{ fit }}
        where part = 'posterior'
    ) as posteriors
    where value = top_value
    group by project_id
{% endmacro %}
