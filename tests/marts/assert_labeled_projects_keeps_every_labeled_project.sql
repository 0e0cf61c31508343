-- Every project with a final label in int_label_decisions is in labeled_projects, with that
-- label, and nothing else is: the filter neither loses nor invents rows, and no label is
-- rewritten on the way. Failure rows name the id and the side.
-- One pass first: the count and the sum of hash(id, tag) of both sides (a multiset
-- fingerprint, a tenth of a second at 10 million rows). Only when they differ does the test
-- compare row by row, to name the rows; equal fingerprints of different sets would take a
-- 64-bit hash collision.
{%- set decided_sql -%}
    select
        project_id as id,
        tag
    from {{ ref('int_label_decisions') }}
    where tag is not null
{%- endset -%}
{%- set mart_sql -%}
    select
        id,
        tag
    from {{ ref('labeled_projects') }}
{%- endset -%}
{%- set same = false -%}
{#- Only when both tables exist: a compile before the first build (SQLFluff's templater, dbt
    compile) has nothing to fingerprint and gets the row-by-row form. -#}
{%- if execute
    and load_relation(ref('int_label_decisions')) is not none
    and load_relation(ref('labeled_projects')) is not none -%}
    {%- set fingerprints = run_query(
        'select (select count(*) || \':\' || ' ~ labeling_hash_sum(['id', 'tag']) ~ ' from ('
        ~ decided_sql ~ ')) = (select count(*) || \':\' || ' ~ labeling_hash_sum(['id', 'tag']) ~ ' from ('
        ~ mart_sql ~ '))') -%}
    {%- set same = fingerprints[0][0] -%}
{%- endif %}
with

labeled_in_decisions as (

    {{ decided_sql }}

),

labeled_projects as (

    {{ mart_sql }}

),

missing_from_mart as (

    select
        id,
        'decided in int_label_decisions ('
        || tag
        || ') but missing from labeled_projects' as problem
    from labeled_in_decisions
    except
    select
        id,
        'decided in int_label_decisions ('
        || tag
        || ') but missing from labeled_projects' as problem
    from labeled_projects

),

unexpected_in_mart as (

    select
        id,
        'in labeled_projects (' || tag || ') but not decided so in int_label_decisions' as problem
    from labeled_projects
    except
    select
        id,
        'in labeled_projects (' || tag || ') but not decided so in int_label_decisions' as problem
    from labeled_in_decisions

),

problems as (

    select * from missing_from_mart
    union all
    select * from unexpected_in_mart

)

select * from problems
{#- When the fingerprints of both sides were equal, there is nothing to compare. #}
where {{ 'false' if same else 'true' }}
