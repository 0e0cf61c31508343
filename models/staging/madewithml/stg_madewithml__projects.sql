{% if labeling_load_mode() == 'seed' -%}
-- depends_on: {{ ref('projects') }}
{%- endif %}
with

source as (

    -- Every raw projects.csv this build reads, one after the other: the initial file, then each
    -- batch's (labeling_raw_batch_rows; an incremental build on the read_csv path reads only the
    -- batches not applied yet, and appends them).
    {{ labeling_raw_batch_rows('projects') }}

),

renamed as (

    select
        batch,
        cast(source_rowid + 1 as bigint) as raw_row_number,
        {{ labeling_typed('projects', 'id', 'raw_path') }} as project_id,
        {{ labeling_typed('projects', 'created_on', 'raw_path') }} as created_on,
        {{ labeling_typed('projects', 'title', 'raw_path') }} as title,
        {{ labeling_typed('projects', 'description', 'raw_path') }} as description

    from source

)

select * from renamed
