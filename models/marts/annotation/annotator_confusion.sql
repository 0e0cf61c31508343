-- Each annotator's confusion matrix as Dawid-Skene estimates it (int_annotation_dawid_skene):
-- the probability that they answer given_tag when the project's true tag is true_tag, over
-- the tags they gave (a tag they never gave has probability 0 and no row).
with

fit as (

    select * from {{ ref('int_annotation_dawid_skene') }}

),

confusion as (

    select
        source as annotator,
        observed_tag as given_tag,
        tag as true_tag,
        value as probability

    from fit
    where part = 'confusion'

)

select * from confusion
