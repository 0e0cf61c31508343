{{ config(
    files=[
        {'name': 'annotation/label_config.parquet'},
        {'name': 'annotation/label_config.xml', 'select': 'label_config'},
    ],
    manifest_name='annotation/label_config.manifest.json',
    tags=['annotation_loop'],
) }}
-- The Label Studio labeling configuration as a file, to create the project with
-- (scripts/label_studio.py push, or paste it into Settings > Labeling Interface).
select
    label_config,
    n_tags

from {{ ref('label_studio_config') }}
