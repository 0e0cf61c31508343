-- Every annotation from every labeling tool, in one shape (see the staging models).
with

label_studio as (

    select * from {{ ref('stg_annotations__label_studio') }}

),

doccano as (

    select * from {{ ref('stg_annotations__doccano') }}

),

prodigy as (

    select * from {{ ref('stg_annotations__prodigy') }}

),

unioned as (

    select * from label_studio
    union all by name
    select * from doccano
    union all by name
    select * from prodigy

)

select * from unioned
