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

    -- The three staging models have the same columns (same names, same order; their
    -- contracts and unit tests keep it so).
    select * from label_studio  -- noqa: AM04
    union all
    select * from doccano  -- noqa: AM04
    union all
    select * from prodigy  -- noqa: AM04

)

select * from unioned  -- noqa: AM04
