-- The tag taxonomy is read by the accepted-values test on labeled_projects; depending on it
-- makes dbt build wait for that test before exporting; raw_row_outcomes (whose tests, with
-- raw_row_audit's, account for every raw row) feeds the manifest's accounting.
-- depends_on: {{ ref('stg_labeling__tag_taxonomy') }}
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
