{{ config(enabled=var('history_snapshots') | string | lower == 'true') }}
-- The labels that changed between two published builds (the two newest of
-- audit.labeling_builds, or --vars '{from_build: <invocation id>, to_build: <invocation id>}'):
-- each label as it was when each build was published, from the snapshot label_history, with
-- where the new one came from and, for a correction, who decided it and why; change_kind says
-- whether the label was added, removed, changed its tag, or kept its tag from another source.
with

builds as (

    select
        invocation_id,
        recorded_at,
        row_number() over (order by recorded_at desc) as age
    from audit.labeling_builds

),

chosen as (

    select
        {% if var('to_build', none) -%}
            max(recorded_at) filter (where invocation_id = '{{ var("to_build") }}') as to_time,
        {%- else -%}
            max(recorded_at) filter (where age = 1) as to_time,
        {%- endif %}
        {% if var('from_build', none) -%}
            max(recorded_at) filter (where invocation_id = '{{ var("from_build") }}') as from_time
        {%- else -%}
            max(recorded_at) filter (where age = 2) as from_time
        {%- endif %}
    from builds

),

history as (

    select * from {{ ref('label_history') }}

),

before_labels as (

    select history.*
    from history
    cross join chosen
    where
        history.dbt_valid_from <= chosen.from_time
        and (history.dbt_valid_to is null or history.dbt_valid_to > chosen.from_time)

),

after_labels as (

    select history.*
    from history
    cross join chosen
    where
        history.dbt_valid_from <= chosen.to_time
        and (history.dbt_valid_to is null or history.dbt_valid_to > chosen.to_time)

)

select
    before_labels.tag as tag_before,
    after_labels.tag as tag_after,
    after_labels.label_source as source_after,
    after_labels.corrected_by,
    after_labels.correction_reason,
    case
        when before_labels.id is null then 'added'
        when after_labels.id is null then 'removed'
        when after_labels.tag <> before_labels.tag then 'tag changed'
        else 'source changed'
    end as change_kind,
    coalesce(after_labels.id, before_labels.id) as id
from after_labels
full outer join before_labels
    on after_labels.id = before_labels.id
where
    before_labels.id is null
    or after_labels.id is null
    or after_labels.tag <> before_labels.tag
    or after_labels.label_source <> before_labels.label_source
order by id
