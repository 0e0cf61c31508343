"""Dawid–Skene over the annotations: how reliable each annotator is, and what each project's
tag most likely is given who said what.

The estimator is ``plugins/labeling/dawid_skene.py``: Bayesian, with a Dirichlet prior on each
annotator's confusion matrix (``var('dawid_skene_prior_right')`` and ``_wrong``; both 0 switch
it off for crowd-kit's maximum likelihood),
from the majority vote's shares, ``var('dawid_skene_iterations')`` iterations at most, to
``var('dawid_skene_tolerance')``. A missing answer says nothing. The output is the fit as one long table (``part``): each
annotated project's posterior over the tags, the priors, each annotator's confusion matrix and
estimated accuracy, and the iterations run. ``int_annotation_votes`` reads the posteriors when
``var('annotation_consensus')`` is ``dawid_skene``; ``annotator_reliability`` and
``annotator_confusion`` publish the rest under either rule.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from labeling import dawid_skene

    answers = dawid_skene.records(dbt.ref("int_project_annotations"), ["project_id", "annotator", "tag"])
    prior = dawid_skene.Prior(float(dbt.config.get("prior_right")), float(dbt.config.get("prior_wrong")))
    result = dawid_skene.fit(answers, n_iter=int(dbt.config.get("iterations")),
                             tol=float(dbt.config.get("tolerance")), prior=prior)
    return dawid_skene.frame(session, result)

