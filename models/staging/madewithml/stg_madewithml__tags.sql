{% if labeling_load_mode() == 'seed' -%}
-- depends_on: {{ ref('tags') }}
{%- endif %}
with

source as (

    -- Every raw tags.csv this build reads, one after the other: the initial file, then each
    -- batch's (labeling_raw_batch_rows; an incremental build on the read_csv path reads only the
    -- batches not applied yet, and appends them).
    {{ labeling_raw_batch_rows('tags') }}

),

renamed as (

    select
        batch,
        cast(source_rowid + 1 as bigint) as raw_row_number,
        {{ labeling_typed('tags', 'id', 'raw_path') }} as project_id,
        {{ labeling_typed('tags', 'tag', 'raw_path') }} as tag

    from source

)

select * from renamed
