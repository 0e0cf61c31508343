-- Which annotations count: every annotation found in the annotation files, with its
-- outcome, loaded (it counts) or left out with a reason; int_project_annotations reads the
-- loaded ones, annotation_audit publishes them all. Reasons, the first that applies:
-- cancelled (Label Studio's skip), rejected or ignored (Prodigy's answers), invalid_project_id
-- (not an integer in canonical form), unknown_project, empty (no tag chosen), several_tags,
-- tag_not_in_taxonomy, duplicate_in_another_file (the same annotation pulled twice: see
-- `copies`), superseded (a later answer of the same annotator contradicts it: see
-- `contradicted`).
-- A table: the staging view under it reads the annotation records through a table macro that
-- only the build's connection defines, and the views above it are queried from any session.
{{ config(materialized='table') }}
with

annotations as (

    select * from {{ ref('stg_annotations__annotations') }}

),

projects as (

    select distinct project_id from {{ ref('stg_madewithml__projects') }}

),

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

with_choices as (

    select
        annotations.*,
        {{ labeling_list_distinct('annotations.choices') }} as chosen_tags

    from annotations

),

classified as (

    select
        with_choices.*,
        case
            when {{ labeling_list_length('with_choices.chosen_tags') }} = 1
                then {{ labeling_list_element('with_choices.chosen_tags', 1) }}
        end as tag,
        case
            when with_choices.was_cancelled then 'cancelled'
            when with_choices.answer = 'reject' then 'rejected'
            when with_choices.answer = 'ignore' then 'ignored'
            when with_choices.project_id is null then 'invalid_project_id'
            when projects.project_id is null then 'unknown_project'
            when {{ labeling_list_length('with_choices.chosen_tags') }} = 0 then 'empty'
            when {{ labeling_list_length('with_choices.chosen_tags') }} > 1 then 'several_tags'
            when taxonomy.tag is null then 'tag_not_in_taxonomy'
        end as problem

    from with_choices
    left join projects
        on with_choices.project_id = projects.project_id
    left join taxonomy
        on
            {{ labeling_list_length('with_choices.chosen_tags') }} = 1
            and {{ labeling_list_element('with_choices.chosen_tags', 1) }} = taxonomy.tag

),

-- What identifies an annotation across pulled files: its tool, the tool's own annotation id,
-- the project, the annotator and what it says (its outcome and tag). A tool's ids are unique
-- only within one instance (Label Studio numbers annotations from 1 in each), so two records
-- with the same id that differ in project, annotator or tag are different annotations and
-- are never merged; the same annotation pulled twice counts once, as its latest copy
-- (updated_at, then the later file).
copies as (

    select
        *,
        case
            when source_annotation_id is not null
                then row_number() over (
                    partition by
                        tool, source_annotation_id, project_id, annotator, problem, tag
                    order by annotated_at desc nulls last, source_file desc, record_number desc
                )
            else 1
        end as copy_rank

    from classified

),

-- The order of each annotator's answers on a project, the latest first.
ordered as (

    select
        *,
        case
            when copy_rank = 1 and project_id is not null
                then row_number() over (
                    partition by
                        project_id,
                        annotator,
                        copy_rank = 1 and project_id is not null
                    order by
                        annotated_at desc nulls last,
                        source_file desc,
                        record_number desc,
                        annotation_number desc
                )
        end as answer_order

    from copies

),

-- A later answer of the same annotator on the same project retires the earlier answers it
-- contradicts, whatever the later one's outcome. An answer about the whole task (Label
-- Studio, Doccano, Prodigy's choice interface) contradicts every earlier answer. Prodigy's
-- binary interface answers about one label (`binary_label`): such an answer contradicts the
-- earlier answers about that label, an accept also every earlier tag (a project has one
-- tag), and a reject the earlier whole-task answer that chose that label; a reject of label B
-- says nothing about an accept of label A.
contradicted as (

    select
        earlier.source_file,
        earlier.record_number,
        earlier.annotation_number

    from ordered as earlier
    inner join ordered as later
        on
            earlier.project_id = later.project_id
            and earlier.annotator = later.annotator
            and earlier.answer_order > later.answer_order
    where
        later.binary_label is null
        or later.binary_label = earlier.binary_label
        or (later.answer = 'accept' and earlier.tag is not null)
        or (
            later.answer = 'reject'
            and earlier.binary_label is null
            and earlier.tag = later.binary_label
        )
    group by earlier.source_file, earlier.record_number, earlier.annotation_number

),

latest as (

    select
        ordered.*,
        contradicted.source_file is not null as is_superseded

    from ordered
    left join contradicted
        on
            ordered.source_file = contradicted.source_file
            and ordered.record_number = contradicted.record_number
            and ordered.annotation_number = contradicted.annotation_number

),

outcomes as (

    select
        tool,
        source_file,
        record_number,
        annotation_number,
        source_annotation_id,
        raw_project_id,
        project_id,
        annotator,
        chosen_tags,
        tag,
        is_ground_truth,
        lead_time_seconds,
        annotated_at,
        case
            when problem is null and copy_rank = 1 and not is_superseded then 'loaded'
            else 'left_out'
        end as outcome,
        case
            when problem is not null then problem
            when copy_rank > 1 then 'duplicate_in_another_file'
            when is_superseded then 'superseded'
        end as reason

    from latest

)

select * from outcomes
