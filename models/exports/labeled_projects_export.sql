-- The tag taxonomy is read by the accepted-values test on labeled_projects; depending on it
-- makes dbt build wait for that test before exporting.
-- depends_on: {{ ref('stg_labeling__tag_taxonomy') }}
{{ config(file_stem='labeled_projects', formats=['csv', 'parquet'], count_by='tag') }}

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
