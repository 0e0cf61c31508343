-- Each labeling function's wrong votes: the labeled projects where a rule voted for a tag
-- other than the given one, with the text the rule read, for reviewing rules (and labels).
with

rules as (

    select * from {{ ref('int_labeling_functions_unioned') }}

),

votes as (

    select * from {{ ref('int_labeling_function_votes') }}

),

gold as (

    select * from {{ ref('labeled_projects') }}

),

wrong as (

    select
        votes.rule_name,
        votes.id,
        votes.tag as voted_tag,
        gold.tag as given_tag,
        rules.rule_kind,
        rules.pattern,
        gold.title,
        gold.description,
        -- The first stretch of text the rule matched, so reviewers see why it voted: a
        -- hand-written regex's whole match, or the literal (group 1) of a whole-word rule.
        case
            when rules.rule_kind = 'regex'
                then regexp_extract(
                    {{ labeling_rule_text('rules.rule_field', 'gold.title', 'gold.description') }},
                    {{ labeling_regex_ignoring_case('rules.regex') }},
                    0
                )
            else regexp_extract(
                {{ labeling_rule_text('rules.rule_field', 'gold.title', 'gold.description') }},
                {{ labeling_regex_ignoring_case('rules.regex') }},
                1
            )
        end as matched_text

    from votes
    inner join gold
        on votes.id = gold.id
    inner join rules
        on votes.rule_name = rules.rule_name
    where votes.tag <> gold.tag

)

select * from wrong
