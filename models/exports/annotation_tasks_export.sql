-- The tests of raw_row_audit and raw_row_outcomes account for every raw row: depending on
-- them makes those tests gate this export too (labeling.publish.refusal).
-- depends_on: {{ ref('raw_row_audit') }}
-- depends_on: {{ ref('raw_row_outcomes') }}
{{ config(
    files=[
        {'name': 'annotation/tasks.parquet'},
        {'name': 'annotation/tasks.label_studio.json',
         'select': 'label_studio_data as data, label_studio_predictions as predictions, meta'},
        {'name': 'annotation/tasks.doccano.jsonl',
         'select': 'task_text as text, doccano_label as label, meta'},
        {'name': 'annotation/tasks.prodigy.jsonl',
         'select': 'task_text as text, prodigy_options as options, prodigy_accept as accept, meta'},
    ],
    manifest_name='annotation/tasks.manifest.json',
    allow_empty=true,
    count_by='meta.selected_from',
    tags=['labeling_workflow', 'annotation_loop'],
) }}
-- The annotation tasks as the labeling tools import them: Label Studio JSON (data and
-- predictions: the classifier's top tag with its probability as score, and the weak label),
-- Doccano JSONL (text, the predicted tag as label) and Prodigy JSONL (text, every tag as an
-- option, the predicted tag accepted); each with meta.id, the project id their exports carry
-- back. An empty selection writes empty files (nothing to annotate is not an error).
with

tasks as (

    select * from {{ ref('annotation_tasks') }}

),

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

options as (

    select
        {{ labeling_list_agg(labeling_struct([('id', 'tag'), ('text', 'tag')]), ['tag']) }}
            as prodigy_options
    from taxonomy

),

shaped as (

    select
        tasks.id,
        tasks.task_text,
        options.prodigy_options,
        {{ labeling_struct([
            ('id', 'tasks.id'),
            ('title', 'tasks.title'),
            ('description', 'tasks.description'),
            ('text', 'tasks.task_text'),
        ]) }} as label_studio_data,
        {{ labeling_list_where([
            ('tasks.predicted_tag is not null',
             labeling_label_studio_prediction('tasks.model_version', 'tasks.predicted_probability', 'tasks.predicted_tag')),
            ('tasks.weak_label is not null',
             labeling_label_studio_prediction('tasks.weak_label_model_version', 'tasks.weak_label_score', 'tasks.weak_label')),
        ]) }} as label_studio_predictions,
        {{ labeling_list_where([('tasks.predicted_tag is not null', 'tasks.predicted_tag')]) }}
            as doccano_label,
        {{ labeling_list_where([('tasks.predicted_tag is not null', 'tasks.predicted_tag')]) }}
            as prodigy_accept,
        {{ labeling_struct([
            ('id', 'tasks.id'),
            ('selected_from', 'tasks.selected_from'),
            ('selection_rank', 'tasks.selection_rank'),
            ('current_tag', 'tasks.current_tag'),
            ('predicted_tag', 'tasks.predicted_tag'),
            ('predicted_probability', 'tasks.predicted_probability'),
            ('model_version', 'tasks.model_version'),
        ]) }} as meta

    from tasks
    cross join options

)

select shaped.* from shaped
order by shaped.meta.selection_rank, shaped.id
