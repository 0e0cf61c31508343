-- raw_row_audit's tests (with raw_row_outcomes', which feeds the manifest's accounting) account
-- for every raw row: depending on it makes them gate this export (labeling.publish.refusal).
-- depends_on: {{ ref('raw_row_audit') }}
-- depends_on: {{ ref('raw_row_outcomes') }}
-- depends_on: {{ ref('label_provenance') }}
{{ config(
    file_stem='labeled_projects',
    formats=['csv', 'parquet'],
    count_by='tag',
    accounting_model='raw_row_outcomes',
    label_source_model='label_provenance',
) }}

with

labeled_projects as (

    select * from {{ ref('labeled_projects') }}

),

exported as (

    select
        id,
        created_on,
        title,
        description,
        tag

    from labeled_projects

)

select * from exported
order by id
