"""Class probabilities of the baseline text classifier for every project.

Labeled projects get out-of-sample probabilities by stratified k-fold cross-validation (each is
scored by a model that never saw it), which is what confident learning needs. Projects without
a final label (int_label_decisions) are scored by a model fitted on all labeled projects, for
the active-learning queue.
The classifier (TF-IDF + logistic regression, fixed seed) is defined in plugins/labeling_ml.py.

Training is the slow part of a build on the real data, and it is deterministic: the result is
cached as Parquet under ``.build/cache/classifier/`` (or ``LABELING_CLASSIFIER_CACHE``; ``off``
turns the cache off), keyed by the sha256 of everything that decides it: the labeled ids,
texts and tags, the unlabeled ids and texts, the folds and seed, the code of
``plugins/labeling_ml.py`` and of this model, and the versions of scikit-learn and numpy. The
build log says whether the classifier was reused or retrained, with the key, and every row
carries the key (``classifier_input_sha256``).
"""

import hashlib
import inspect
import os
import sys
import time
from pathlib import Path

import pandas as pd

#: How many cached results to keep (the newest); older ones are removed.
KEEP_CACHED = 5


def model(dbt, session):
    dbt.config(materialized="table")
    import labeling_ml
    from labeling.paths import anchored

    folds = int(dbt.config.get("folds"))
    seed = int(dbt.config.get("seed"))

    # DuckDB relations here; Spark DataFrames on Databricks, where dbt-spark submits this model
    # to the target's cluster (the only Spark target it is enabled on: var python_models).
    # Either way the inputs are read into pandas, and the cache's Parquet files are read and
    # written by DuckDB (`files`: the session itself, or an in-memory one).
    on_spark = _on_spark(session)
    files = _duckdb().connect() if on_spark else session
    # The projects with a final label and those without one (int_label_decisions decides; the
    # mart labeled_projects is the first half, which an intermediate model does not read), each
    # with its text from staging. A raw row is its batch and its row number (labeling.batches).
    decisions = dbt.ref("int_label_decisions")
    projects = dbt.ref("stg_madewithml__projects")
    if on_spark:
        decided = decisions.filter("tag is not null").select("batch", "raw_row_number", "tag")
        labeled = (projects.join(decided, on=["batch", "raw_row_number"], how="inner")
                   .selectExpr("project_id as id", "title", "description", "tag"))
        undecided = decisions.filter("tag is null").select("batch", "raw_row_number")
        unlabeled = (projects.join(undecided, on=["batch", "raw_row_number"], how="left_semi")
                     .select("project_id", "title", "description"))
    else:
        same_row = "projects.batch = decisions.batch and projects.raw_row_number = decisions.raw_row_number"
        labeled = (
            projects.set_alias("projects")
            .join(decisions.filter("tag is not null").set_alias("decisions"), same_row, how="inner")
            .select("projects.project_id as id, projects.title, projects.description, decisions.tag")
        )
        unlabeled = (
            projects.set_alias("projects")
            .join(decisions.filter("tag is null").set_alias("decisions"), same_row, how="semi")
            .select("project_id, title, description")
        )
    labeled = _pandas(labeled).sort_values("id", kind="stable")
    unlabeled = _pandas(unlabeled).drop_duplicates("project_id").sort_values("project_id", kind="stable")

    labeled_texts = [labeling_ml.project_text(t, d) for t, d in zip(labeled["title"], labeled["description"])]
    labels = list(labeled["tag"])
    unlabeled_texts = [
        labeling_ml.project_text(t, d) for t, d in zip(unlabeled["title"], unlabeled["description"])
    ]

    key = _input_sha256(
        labeling_ml, folds, seed,
        labeled["id"].tolist(), labeled_texts, labels, unlabeled["project_id"].tolist(), unlabeled_texts,
    )
    setting = os.environ.get("LABELING_CLASSIFIER_CACHE", ".build/cache/classifier")
    cache = None if setting.strip().lower() in {"off", "0", "false", "no"} else anchored(setting)
    cached = cache / f"{key}.parquet" if cache else None
    if cached is not None and cached.is_file():
        try:
            reused = files.read_parquet(str(cached))
            keys = files.execute(
                "select count(*), min(classifier_input_sha256), max(classifier_input_sha256) from read_parquet(?)",
                [str(cached)],
            ).fetchall()[0]
            if keys[0] == 0 or keys[1] != key or keys[2] != key:
                raise ValueError(f"it holds the key {keys[1]}, not {key}")
        except Exception as error:  # an unreadable or foreign file: retrain and replace it
            _log(f"labeling: classifier cache {cached} is not usable ({error}); retraining")
        else:
            os.utime(cached)  # newest use first when pruning
            _log(f"labeling: classifier reused (inputs unchanged, key {key[:12]}, from {cache})")
            return _frame(session, reused)

    started = time.monotonic()
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
    result = result.astype(
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
    result["classifier_input_sha256"] = key
    seconds = time.monotonic() - started
    if cached is None or result.empty:
        reason = "cache off" if cached is None else "nothing to score, not cached"
        _log(f"labeling: classifier retrained in {seconds:.1f} s ({reason}, key {key[:12]})")
        return _frame(session, files.from_df(result))
    # Written under a temporary name and renamed: a build killed meanwhile leaves no half file.
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f".{key}.{os.getpid()}.parquet.partial"
    files.from_df(result).write_parquet(str(partial))
    os.replace(partial, cached)
    _prune(cache, keep=cached)
    _log(f"labeling: classifier retrained in {seconds:.1f} s (inputs changed or not cached, key {key[:12]})")
    return _frame(session, files.read_parquet(str(cached)))


#: The table's columns and types, in order (its contract), for Spark's DataFrame.
SPARK_SCHEMA = ("id bigint, is_labeled boolean, given_tag string, tag string, probability double, "
                "fold bigint, n_folds bigint, model_name string, classifier_input_sha256 string")


def _on_spark(session):
    """Whether the session is Spark's, in this process or a Spark Connect client (a DuckDB
    connection otherwise)."""
    return type(session).__module__.startswith("pyspark.")


def _duckdb():
    import duckdb

    return duckdb


def _pandas(relation):
    """A DuckDB relation or a Spark DataFrame (collected as rows: PySpark 4.3's toPandas does
    not support pandas 3) as a pandas DataFrame."""
    if hasattr(relation, "toPandas"):
        return pd.DataFrame.from_records(relation.collect(), columns=relation.columns)
    return relation.df()


def _frame(session, relation):
    """The probabilities (a DuckDB relation) as the engine's table: the relation itself on
    DuckDB; on Spark a DataFrame of its rows with the contract's types."""
    if not _on_spark(session):
        return relation
    return session.createDataFrame(relation.fetchall(), schema=SPARK_SCHEMA)


def _input_sha256(labeling_ml, folds, seed, labeled_ids, labeled_texts, labels, unlabeled_ids, unlabeled_texts):
    """sha256 of everything that decides the probabilities (see the module docstring)."""
    from importlib.metadata import version

    digest = hashlib.sha256()

    def add(*values):
        for value in values:
            text = "\x00" if value is None else str(value)
            digest.update(len(text).to_bytes(8, "little"))
            digest.update(text.encode("utf-8", "surrogatepass"))

    add("folds", folds, "seed", seed, "sklearn", version("scikit-learn"), "numpy", version("numpy"),
        "python", sys.version_info[:2])
    add("labeling_ml.py", Path(labeling_ml.__file__).read_text(encoding="utf-8"))
    add("model", inspect.getsource(model), inspect.getsource(_long))
    add("labeled", len(labeled_ids))
    for row in zip(labeled_ids, labeled_texts, labels):
        add(*row)
    add("unlabeled", len(unlabeled_ids))
    for row in zip(unlabeled_ids, unlabeled_texts):
        add(*row)
    return digest.hexdigest()


def _prune(cache, keep):
    """Keep the newest KEEP_CACHED results (``keep`` always); remove the rest and stale partials."""
    for partial in cache.glob(".*.parquet.partial"):
        if time.time() - partial.stat().st_mtime > 3600:
            partial.unlink(missing_ok=True)
    entries = sorted(cache.glob("*.parquet"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in entries if p != keep][KEEP_CACHED - 1:]:
        old.unlink(missing_ok=True)


def _log(message):
    """A line in dbt's log and on the console, as dbt's log(message, info=True) macro writes it."""
    try:
        from dbt.events.types import JinjaLogInfo
        from dbt_common.events.functions import fire_event

        fire_event(JinjaLogInfo(msg=message))
    except Exception:  # outside dbt (a test importing the module)
        print(message)


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
