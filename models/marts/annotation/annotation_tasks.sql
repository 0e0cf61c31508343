{{ config(tags=['labeling_workflow', 'annotation_loop']) }}
{%- set task_source = var('annotation_task_source') -%}
{%- set task_ids = var('annotation_task_ids') -%}
{%- set sources = ['active_learning_queue', 'label_issues', 'adjudication_queue', 'ids'] -%}
{%- if task_source not in sources -%}
    {{ exceptions.raise_compiler_error(
        "var annotation_task_source must be one of " ~ sources | join(', ') ~ "; got '"
        ~ task_source ~ "'") }}
{%- endif -%}
{%- for task_id in task_ids if not (task_id | string).lstrip('-').isdigit() -%}
    {{ exceptions.raise_compiler_error(
        "var annotation_task_ids must be a list of project ids (whole numbers); got "
        ~ task_ids | string) }}
{%- endfor -%}
-- depends_on: {{ ref('active_learning_queue') }}
-- depends_on: {{ ref('label_issues') }}
-- depends_on: {{ ref('adjudication_queue') }}
-- The projects to send to annotators next, chosen by var('annotation_task_source'): the
-- active-learning queue, the flagged label issues, the adjudication queue, or the ids of
-- var('annotation_task_ids'); with the classifier's top prediction and the weak label, both
-- named by model and build (model_version), as suggestions for the annotators.
with

projects as (

    select * from {{ ref('stg_madewithml__projects') }}

),

decisions as (

    select * from {{ ref('int_label_decisions') }}

),

probabilities as (

    select * from {{ ref('int_project_tag_probabilities') }}

),

weak_labels as (

    select * from {{ ref('weak_labels') }}

),

selected as (

    {%- if task_source == 'active_learning_queue' %}

        select
            id,
            queue_position as selection_rank
        from {{ ref('active_learning_queue') }}

    {%- elif task_source == 'label_issues' %}

    select
        id,
        review_rank as selection_rank
    from {{ ref('label_issues') }}
    where is_label_issue

    {%- elif task_source == 'adjudication_queue' %}

    select
        id,
        queue_position as selection_rank
    from {{ ref('adjudication_queue') }}

    {%- else %}

    {%- set requested = [] -%}
    {%- for task_id in task_ids -%}
        {%- do requested.append('(' ~ task_id ~ ', ' ~ loop.index ~ ')') -%}
    {%- endfor %}

    select
        cast(requested.id as bigint) as id,
        cast(requested.position as bigint) as selection_rank
    from (values {{ requested | join(', ') or '(null, null)' }}) as requested (id, position)
    where requested.id is not null

    {%- endif %}

),

ranked_predictions as (

    select
        id,
        tag as predicted_tag,
        probability as predicted_probability,
        model_name,
        row_number() over (partition by id order by probability desc, tag asc) as prediction_rank

    from probabilities

),

top_predictions as (

    select
        id,
        predicted_tag,
        predicted_probability,
        model_name

    from ranked_predictions
    where prediction_rank = 1

),

tasks as (

    select
        selected.id,
        projects.title,
        projects.description,
        concat_ws(' ', projects.title, projects.description) as task_text,
        '{{ task_source }}' as selected_from,
        selected.selection_rank,
        decisions.tag as current_tag,
        decisions.label_source as current_label_source,
        top_predictions.predicted_tag,
        top_predictions.predicted_probability,
        top_predictions.model_name || '@{{ invocation_id }}' as model_version,
        weak_labels.weak_label,
        weak_labels.top_votes / nullif(weak_labels.n_votes, 0) as weak_label_score,
        'majority_vote@{{ invocation_id }}' as weak_label_model_version

    from selected
    inner join projects
        on selected.id = projects.project_id
    left join decisions
        on selected.id = decisions.project_id
    left join top_predictions
        on selected.id = top_predictions.id
    left join weak_labels
        on selected.id = weak_labels.id

)

select * from tasks
