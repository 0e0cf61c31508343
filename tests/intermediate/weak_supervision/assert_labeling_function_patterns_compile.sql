-- Every labeling function's pattern compiles as an RE2 regular expression, so a typo in the
-- labeling_functions seed stops the build here, naming the rule, before the votes are computed.
-- Failure rows: the rule, its pattern and the regular expression built from it.
with

rules as (

    select * from {{ ref('int_labeling_functions_unioned') }}

)

select
    rule_name,
    pattern,
    regex,
    'does not compile as an RE2 regular expression' as problem
from rules
where not pattern_compiles
