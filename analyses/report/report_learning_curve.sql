-- The active-learning curve of scripts/simulate_active_learning.py (the file of
-- var('learning_curve_csv'), relative to the project folder): test accuracy and macro F1 by
-- the number of labeled projects for each strategy, averaged over the repeats.
with

curve as (

    select *
    from read_csv(
        '{{ var("learning_curve_csv", "reports/active_learning/learning_curve.csv") }}',
        header = true,
        columns = {
            'strategy': 'varchar',
            'repeat': 'integer',
            'round': 'integer',
            'n_labeled': 'integer',
            'accuracy': 'double',
            'macro_f1': 'double'
        }
    )

)

select
    strategy,
    n_labeled,
    count(*) as n_repeats,
    round(avg(accuracy), 4) as accuracy,
    round(avg(macro_f1), 4) as macro_f1
from curve
group by strategy, n_labeled
order by strategy, n_labeled
