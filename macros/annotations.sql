{% macro labeling_integer_or_null(text) %}
{#- A project id given as text, as a BIGINT when it is an integer in canonical form (the rule
    of the raw files: the cast printed back is the text itself), else NULL, so that `6.5` or
    ` 6` never becomes another project's id. The same SQL on both engines but for the text
    type's name (labeling_type). -#}
case
    when cast(try_cast({{ text }} as bigint) as {{ labeling_type('varchar') }}) = {{ text }}
        then cast({{ text }} as bigint)
end
{%- endmacro %}


{% macro labeling_xml_escape(text) %}
{#- `text` escaped for an XML attribute value: & < > " ' as entities. -#}
replace(replace(replace(replace(replace({{ text }}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
    '"', '&quot;'), {{ labeling_sql_string("'") }}, '&apos;')
{%- endmacro %}


{% macro labeling_label_source(corrected_tag, consensus_tag, given_tag) %}
{#- Where a project's final label comes from, by precedence: a reviewer's correction, else the
    annotators' consensus, else the tag given in tags.csv; NULL when none gives one. One
    definition for int_label_decisions and int_raw_rows_classified. -#}
case
    when {{ corrected_tag }} is not null then 'reviewer_correction'
    when {{ consensus_tag }} is not null then 'annotation_consensus'
    when {{ given_tag }} is not null then 'tags_csv'
end
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
