-- Every labeling function as one row with the RE2 regular expression it applies: the
-- hand-written rules of the seed, one rule per taxonomy alias and one per tag name.
with

seed_rules as (

    select * from {{ ref('stg_labeling__labeling_functions') }}

),

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

aliases as (

    select
        tag,
        trim(lower(alias_name)) as alias_name

    from (
        select
            tag,
            {{ labeling_unnest(labeling_split('aliases', '|')) }} as alias_name
        from taxonomy
        where aliases is not null
    ) as split_aliases

),

hand_written as (

    select
        rule_name,
        tag,
        rule_kind,
        rule_field,
        pattern,
        case
            when rule_kind = 'keyword' then {{ labeling_whole_words('pattern') }}
            else pattern
        end as regex,
        rule_description

    from seed_rules

),

from_aliases as (

    select
        'alias:' || alias_name as rule_name,
        tag,
        'alias' as rule_kind,
        'text' as rule_field,
        alias_name as pattern,
        {{ labeling_whole_words('alias_name') }} as regex,
        'The taxonomy lists "'
        || alias_name
        || '" as an alias of '
        || tag
        || '.' as rule_description

    from aliases
    where alias_name <> ''

),

from_tag_names as (

    select
        'tag_name:' || tag as rule_name,
        tag,
        'tag_name' as rule_kind,
        'text' as rule_field,
        tag as pattern,
        -- natural-language-processing also matches "natural language processing".
        {{ labeling_whole_words(
            'tag',
            'replace(' ~ labeling_regex_escape('tag') ~ ', ' ~ labeling_sql_string('\\-') ~ ", '[- ]')",
        ) }} as regex,
        'The tag''s own name, with spaces or hyphens between its words.' as rule_description

    from taxonomy

),

unioned as (

    select * from hand_written
    union all
    select * from from_aliases
    union all
    select * from from_tag_names

)

select
    *,
    -- A pattern that does not compile (RE2 in DuckDB, Java's in Spark) would stop the vote
    -- query with the engine's message;
    -- the test assert_labeling_function_patterns_compile names the rule first.
    {{ labeling_regex_compiles('regex') }} as pattern_compiles

from unioned
