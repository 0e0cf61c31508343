-- Per annotator: how reliable Dawid-Skene estimates them to be from all the annotations, with
-- no gold answer needed: the mean posterior of the tags they gave (int_annotation_dawid_skene).
-- A spammer's estimate falls towards chance whatever the consensus rule.
with

fit as (

    select * from {{ ref('int_annotation_dawid_skene') }}

),

accuracy as (

    select
        source as annotator,
        n as n_annotations,
        value as estimated_accuracy

    from fit
    where part = 'accuracy'

)

select * from accuracy
