"""Class probabilities of the baseline text classifier for every project.

Labeled projects get out-of-sample probabilities by stratified k-fold cross-validation (each is
scored by a model that never saw it), which is what confident learning needs. Projects without
a final label (int_label_decisions) are scored by a model fitted on all labeled projects, for
the active-learning queue.
The classifier (TF-IDF + logistic regression, fixed seed) is defined in plugins/labeling_ml.py.
"""

import pandas as pd


def model(dbt, session):
    dbt.config(materialized="table")
    import labeling_ml

    folds = int(dbt.config.get("folds"))
    seed = int(dbt.config.get("seed"))

    labeled = dbt.ref("labeled_projects").df().sort_values("id", kind="stable")
    # Projects without a final label, with their text from staging (the decisions have none).
    undecided = dbt.ref("int_label_decisions").filter("tag is null").select("raw_row_number")
    unlabeled = (
        dbt.ref("stg_madewithml__projects")
        .join(undecided, "raw_row_number", how="semi")
        .select("project_id, title, description")
        .df()
        .drop_duplicates("project_id")
        .sort_values("project_id", kind="stable")
    )

    labeled_texts = [labeling_ml.project_text(t, d) for t, d in zip(labeled["title"], labeled["description"])]
    labels = list(labeled["tag"])
    unlabeled_texts = [
        labeling_ml.project_text(t, d) for t, d in zip(unlabeled["title"], unlabeled["description"])
    ]

    frames = []
    if len(labeled) and len(set(labels)) >= 2:
        classes, oof, fold_of, used = labeling_ml.cross_validated_probabilities(labeled_texts, labels, folds, seed)
        frames.append(
            _long(labeled["id"].tolist(), labels, classes, oof, fold_of.tolist(), used, is_labeled=True,
                  model_name=labeling_ml.MODEL_NAME)
        )
        scored = labeling_ml.fit_predict(labeled_texts, labels, unlabeled_texts, seed, classes=classes)
        frames.append(
            _long(
                unlabeled["project_id"].tolist(), [None] * len(unlabeled), classes, scored,
                [None] * len(unlabeled), used, is_labeled=False, model_name=labeling_ml.MODEL_NAME,
            )
        )
    result = pd.concat(frames, ignore_index=True) if frames else _long([], [], [], None, [], 0, True)
    return result.astype(
        {
            "id": "int64",
            "is_labeled": "bool",
            "given_tag": "object",
            "tag": "object",
            "probability": "float64",
            "fold": "Int64",
            "n_folds": "int64",
            "model_name": "object",
        }
    )


def _long(ids, given, classes, probabilities, folds, n_folds, is_labeled, model_name="tfidf_logreg"):
    """One row per (project, class) with the class probability."""
    rows = {
        "id": [],
        "is_labeled": [],
        "given_tag": [],
        "tag": [],
        "probability": [],
        "fold": [],
        "n_folds": [],
        "model_name": [],
    }
    for row, project_id in enumerate(ids):
        for column, tag in enumerate(classes):
            rows["id"].append(project_id)
            rows["is_labeled"].append(is_labeled)
            rows["given_tag"].append(given[row])
            rows["tag"].append(tag)
            rows["probability"].append(float(probabilities[row, column]))
            rows["fold"].append(folds[row])
            rows["n_folds"].append(n_folds)
            rows["model_name"].append(model_name)
    return pd.DataFrame(rows)
