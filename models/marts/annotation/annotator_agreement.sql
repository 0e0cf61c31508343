-- Per annotator: how often they agree with the consensus of the project (where there is one;
-- their own vote counts towards it) and with the gold answers (Label Studio annotations marked
-- ground_truth by someone else), with how long they took.
with

annotations as (

    select * from {{ ref('int_project_annotations') }}

),

votes as (

    select * from {{ ref('annotation_votes') }}

),

ranked_gold as (

    select
        project_id,
        tag as gold_tag,
        annotator as gold_annotator,
        row_number() over (
            partition by project_id order by annotated_at desc nulls last, annotator asc
        ) as gold_rank

    from annotations
    where is_ground_truth

),

gold as (

    select
        project_id,
        gold_tag,
        gold_annotator

    from ranked_gold
    where gold_rank = 1

),

joined as (

    select
        annotations.annotator,
        annotations.tool,
        annotations.tag,
        annotations.lead_time_seconds,
        votes.consensus_tag,
        case when gold.gold_annotator <> annotations.annotator then gold.gold_tag end as gold_tag

    from annotations
    left join votes
        on annotations.project_id = votes.id
    left join gold
        on annotations.project_id = gold.project_id

),

per_annotator as (

    select
        annotator,
        {{ labeling_list_agg('tool', ['tool'], distinct=true) }} as tools,
        count(*) as n_annotations,
        count(consensus_tag) as n_with_consensus,
        count(*) filter (where tag = consensus_tag) as n_agree_with_consensus,
        count(gold_tag) as n_with_gold,
        count(*) filter (where tag = gold_tag) as n_agree_with_gold,
        median(lead_time_seconds) as median_lead_time_seconds

    from joined
    group by annotator

)

select
    annotator,
    tools,
    n_annotations,
    n_with_consensus,
    n_with_gold,
    median_lead_time_seconds,
    n_agree_with_consensus / nullif(n_with_consensus, 0) as agreement_with_consensus,
    n_agree_with_gold / nullif(n_with_gold, 0) as agreement_with_gold

from per_annotator
