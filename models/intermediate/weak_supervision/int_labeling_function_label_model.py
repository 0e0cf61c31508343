"""The label model of the labeling functions: Dawid–Skene over their votes, so that a function
that is often wrong counts for less than one that is rarely wrong.

The same estimator as the annotators' consensus (``plugins/labeling/dawid_skene.py``, with the
same ``dawid_skene_iterations`` and ``dawid_skene_tolerance``), over every project of staging:
a function that does not vote on a project abstains there, and the abstention is one of its
answers (``abstain_over``), so its confusion matrix says how often it fires on each true tag.
The class balance (the priors) is that of the final labels' tags, held fixed, as Snorkel's
``LabelModel.fit(class_balance=...)`` takes it: learned freely, the priors drift to the tag whose
functions fire least (its silence is the weakest evidence against it), and on the real data
the label model then calls 30 % of the projects mlops (8 % are). Without labeled projects the
priors are learned. The output is the fit as one long table
(``part``, see ``int_annotation_dawid_skene``); ``weak_labels`` and
``labeling_function_summary`` read it.
"""


from collections import Counter


def model(dbt, session):
    dbt.config(materialized="table")
    from labeling import dawid_skene

    votes = dawid_skene.records(dbt.ref("int_labeling_function_votes"), ["id", "rule_name", "tag"])
    projects = [row[0] for row in dawid_skene.records(dbt.ref("stg_madewithml__projects"), ["project_id"])]
    # The final labels (int_label_decisions' tags; labeled_projects is those rows with their text).
    labeled = dawid_skene.records(dbt.ref("int_label_decisions").filter("tag is not null"), ["tag"])
    balance = Counter(row[0] for row in labeled)
    result = dawid_skene.fit(votes, abstain_over=sorted(set(projects)), class_balance=balance or None,
                             n_iter=int(dbt.config.get("iterations")), tol=float(dbt.config.get("tolerance")))
    return dawid_skene.frame(session, result)
