"""Dawid–Skene: the consensus of sources that are not equally reliable, one estimator for two uses.

A. P. Dawid and A. M. Skene (1979), *Maximum likelihood estimation of observer error-rates
using the EM algorithm*. Every source (an annotator, or a labeling function) has a confusion
matrix ``P(it answers l | the true tag is k)``; the true tags have priors. EM alternates:

* **E-step**: each project's posterior over the tags, from the priors and the confusion
  matrices of the sources that answered it (in log2, shifted by the row's maximum);
* **M-step**: each source's confusion matrix from the posteriors (the posterior mass of each
  answer it gave, per true tag, floored at ``EPS`` and normalised over its answers), and the
  priors as the mean posterior.

It starts from the majority vote's shares, and stops after ``n_iter`` iterations or when the
evidence lower bound per answer gains less than ``tol``. This is crowd-kit's ``DawidSkene``
step for step (its ``_m_step``, ``_e_step``, ``_evidence_lower_bound`` and its floors), so the
two agree to rounding (``pytests/test_consensus.py`` checks 1e-6). Why not call crowd-kit
itself: its ``DawidSkene`` has no abstention as an answer and no fixed class balance, which the
labeling functions' label model needs (below); its pandas joins are slow on the functions'
millions of votes; and it would bring transformers and nltk into every build (it stays a test
dependency).

**With a prior** (``Prior``, ``fit_bayesian``), the default for annotators: a Dirichlet prior on
each source's confusion rows, fitted by variational Bayes, posteriors from the answers alone, so
that a source seen on few answers cannot make a posterior certain. ``Prior(0, 0)`` is the
maximum likelihood above.

**Abstentions.** Annotators answer some projects and not others: a missing answer says
nothing (crowd-kit's model). A labeling function votes for one tag or abstains, so its
matrix would hold one answer, normalise to 1 and carry no information. With
``abstain_over`` (every project), a function's silence on a project is an answer of its own,
``None``: its matrix then says how often it fires on each true tag, which is what a label model
learns from (Snorkel treats abstention as an observed value too). Tags stay the answers seen.

Used by the dbt Python models ``int_annotation_dawid_skene`` (annotators) and
``int_labeling_function_label_model`` (labeling functions), by their tests and by
``scripts/simulate_consensus.py``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: crowd-kit's floor for probabilities that are logged (``_EPS``).
EPS = 1e-10
#: The answer of a source that did not answer (labeling functions, with ``abstain_over``).
ABSTAIN = None


@dataclass(frozen=True)
class Fit:
    """What the estimator found. ``posteriors[i, k]``: project ``tasks[i]`` has tag
    ``classes[k]``; ``confusion[(source, answer)][k]``: the source answers ``answer`` when the
    tag is ``classes[k]`` (only the answers it gave, ``ABSTAIN`` included); ``accuracy``: the
    mean posterior of the tags a source gave (its abstentions aside), with ``n_answers``."""

    tasks: list[Hashable]
    classes: list[str]
    posteriors: np.ndarray
    priors: np.ndarray
    confusion: dict[tuple[str, str | None], np.ndarray]
    accuracy: dict[str, float]
    n_answers: dict[str, int]
    iterations: int
    lower_bound: float


@dataclass(frozen=True)
class Prior:
    """A Dirichlet prior on every source's confusion matrix: each row (a true tag) starts as if
    the source had been seen answering that tag ``right`` times and each other tag ``wrong``
    times. ``Prior(0, 0)`` is no prior (maximum likelihood, crowd-kit's estimate)."""

    right: float = 3.0
    wrong: float = 1.0

    def __post_init__(self) -> None:
        if self.right < 0 or self.wrong < 0 or (self.right == 0) != (self.wrong == 0):
            raise ValueError(f"a Dawid-Skene prior needs right and wrong both > 0 (or both 0: no prior), "
                             f"not {self}")

    @property
    def off(self) -> bool:
        return self.right == 0


def fit(responses: Iterable[tuple[Hashable, str, str]], abstain_over: Sequence[Hashable] | None = None,
        n_iter: int = 100, tol: float = 1e-5, class_balance: dict[str, float] | None = None,
        prior: Prior | None = None) -> Fit:
    """Fit Dawid–Skene to ``(task, source, tag)`` answers (one per task and source).

    ``abstain_over``: every task; a source's missing answer on one of them is ``ABSTAIN``.
    ``n_iter`` and ``tol`` are crowd-kit's (100 and 1e-5 by default); ``tol`` below any gain
    (for instance ``-inf``) runs exactly ``n_iter`` iterations. ``class_balance`` (tag ->
    weight, normalised) holds the priors fixed instead of learning them, as Snorkel's
    ``LabelModel.fit(class_balance=...)``; a tag it leaves out gets ``EPS``. ``prior``: fit the
    Bayesian form instead (``fit_bayesian``; not with ``abstain_over`` or ``class_balance``)."""
    if prior is not None and not prior.off:
        if abstain_over is not None or class_balance is not None:
            raise ValueError("the Bayesian form takes no abstain_over or class_balance")
        return fit_bayesian(responses, prior, n_iter, tol)
    rows = list(responses)
    task_names = list(abstain_over) if abstain_over is not None else sorted({r[0] for r in rows})
    classes = sorted({r[2] for r in rows})
    sources = sorted({r[1] for r in rows})
    if not rows:
        return Fit(task_names, [], np.zeros((len(task_names), 0)), np.zeros(0), {}, {}, {}, 0, 0.0)
    task_at = {name: i for i, name in enumerate(task_names)}
    t = np.array([task_at[r[0]] for r in rows])
    source_at = {name: j for j, name in enumerate(sources)}
    w = np.array([source_at[r[1]] for r in rows])
    k_of = {c: k for k, c in enumerate(classes)}
    label = np.array([k_of[r[2]] for r in rows])
    n, n_src, n_cls = len(task_names), len(sources), len(classes)
    abstain = n_cls  # the answer index of ABSTAIN
    answered = np.zeros((n_src, n_cls + 1), dtype=bool)
    answered[w, label] = True
    votes_per_source = np.bincount(w, minlength=n_src)
    if abstain_over is not None:
        answered[:, abstain] = votes_per_source < n
    answers_per_task = (np.full(n, n_src) if abstain_over is not None
                        else np.bincount(t, minlength=n))
    # crowd-kit's bound counts the log prior once per answer, not once per task, and is divided
    # by the answers: kept for its answers (so that both stop at the same iteration). With
    # abstentions every task has an answer from every function; there the bound counts the
    # prior once per task and is divided by the tasks, or EM would stop long before it converges.
    prior_weight = np.ones(n) if abstain_over is not None else answers_per_task

    def m_step(post: np.ndarray) -> np.ndarray:
        mass = np.zeros((n_src, n_cls + 1, n_cls))
        np.add.at(mass, (w, label), post[t])
        if abstain_over is not None:
            mass[:, abstain] = post.sum(axis=0) - mass[:, :abstain].sum(axis=1)
        mass = np.where(answered[:, :, None], np.maximum(mass, EPS), 0.0)
        return mass / mass.sum(axis=1, keepdims=True)

    def log_errors(errors: np.ndarray, log: np.ufunc) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.where(answered[:, :, None], log(np.where(answered[:, :, None], errors, 1.0)), 0.0)

    def answer_sums(logs: np.ndarray) -> np.ndarray:
        """Per task and tag, the sum of ``logs`` over the task's answers (abstentions: every
        source's abstention, less those of the sources that voted on the task)."""
        sums = np.zeros((n, n_cls))
        np.add.at(sums, t, logs[w, label] - logs[w, abstain])
        return sums + logs[:, abstain].sum(axis=0)

    def expected_answers(logs: np.ndarray, post: np.ndarray) -> float:
        """The sum over all answers of ``logs`` weighed by the posteriors: the votes, and each
        source's abstentions (the posterior mass of all tasks less that of the tasks it voted on)."""
        voted = np.zeros((n_src, n_cls))
        np.add.at(voted, w, post[t])
        return float((post[t] * logs[w, label]).sum() + (logs[:, abstain] * (post.sum(axis=0) - voted)).sum())

    def e_step(priors: np.ndarray, errors: np.ndarray) -> np.ndarray:
        log_likelihood = np.log2(priors) + answer_sums(log_errors(errors, np.log2))
        scaled = np.exp2(log_likelihood - log_likelihood.max(axis=1, keepdims=True))
        return scaled / scaled.sum(axis=1, keepdims=True)

    def lower_bound(post: np.ndarray, priors: np.ndarray, errors: np.ndarray) -> float:
        joint = expected_answers(log_errors(errors, np.log), post) + float(
            (prior_weight[:, None] * post * np.log(priors)).sum())
        np.maximum(post, EPS, out=post)  # crowd-kit floors the posteriors it returns here
        return (joint - float((np.log(post) * post).sum())) / float(prior_weight.sum())

    # The majority vote's shares (a task nobody voted on starts uniform).
    counts = np.zeros((n, n_cls))
    np.add.at(counts, (t, label), 1.0)
    totals = counts.sum(axis=1, keepdims=True)
    post = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), 1.0 / n_cls)
    fixed = None if class_balance is None else np.array([class_balance.get(c, 0.0) for c in classes], dtype=float)
    if fixed is not None:
        fixed = np.maximum(fixed / fixed.sum(), EPS) if fixed.sum() > 0 else None
    priors = post.mean(axis=0) if fixed is None else fixed
    errors = m_step(post)
    previous, iterations, bound = -np.inf, 0, 0.0
    for iterations in range(1, n_iter + 1):
        post = e_step(np.maximum(priors, EPS), errors)
        priors = np.maximum(post.mean(axis=0), EPS) if fixed is None else fixed
        errors = m_step(post)
        bound = lower_bound(post, priors, errors)
        if bound - previous < tol:
            break
        previous = bound
    confusion = {(sources[j], classes[a] if a < n_cls else ABSTAIN): errors[j, a]
                 for j, a in zip(*np.nonzero(answered))}
    given = np.bincount(w, weights=post[t, label], minlength=n_src)
    return Fit(task_names, classes, post, priors, confusion,
               {s: float(given[j] / votes_per_source[j]) for j, s in enumerate(sources)},
               {s: int(votes_per_source[j]) for j, s in enumerate(sources)}, iterations, bound)


def fit_bayesian(responses: Iterable[tuple[Hashable, str, str]], prior: Prior, n_iter: int = 100,
                 tol: float = 1e-5) -> Fit:
    """Dawid–Skene with a Dirichlet prior on each source's confusion matrix, fitted by
    variational Bayes (the Bayesian form of the model: Kim and Ghahramani (2012), *Bayesian
    classifier combination*). Each row of a source's matrix is a Dirichlet whose counts are the
    prior's (``Prior``) plus the posterior mass of the answers it gave; the tags' shares a
    Dirichlet with one count per tag plus the posteriors. A project's posterior weighs each
    answer by the *expected log* of its probability (digamma of the counts), not by the log of a
    point estimate: a source seen on ten answers moves a posterior far less than one seen on a
    thousand.

    The shares are learned (they shape each source's matrix), but the posteriors returned
    weigh the answers alone, under a uniform prior over the tags: a label is settled by what the
    sources said, never by how common its tag is. (With learned shares in it, a 1-1 split
    between two sources seen little goes to the commoner tag, past 0.9 where one tag is ten
    times another.)

    Starts from the majority vote's shares; stops after ``n_iter`` iterations or when no
    posterior moves by more than ``tol``. ``confusion`` holds each row's posterior mean (over
    every tag, listed for the answers the source gave), ``priors`` the tags' learned shares,
    ``lower_bound`` the last largest move of a posterior."""
    from scipy.special import digamma

    rows = list(responses)
    task_names = sorted({r[0] for r in rows})
    classes = sorted({r[2] for r in rows})
    sources = sorted({r[1] for r in rows})
    n, n_src, n_cls = len(task_names), len(sources), len(classes)
    if not rows:
        return Fit(task_names, [], np.zeros((0, 0)), np.zeros(0), {}, {}, {}, 0, 0.0)
    task_at = {name: i for i, name in enumerate(task_names)}
    source_at = {name: j for j, name in enumerate(sources)}
    k_of = {c: k for k, c in enumerate(classes)}
    t = np.array([task_at[r[0]] for r in rows])
    w = np.array([source_at[r[1]] for r in rows])
    label = np.array([k_of[r[2]] for r in rows])
    alpha0 = np.full((n_cls, n_cls), prior.wrong) + np.eye(n_cls) * (prior.right - prior.wrong)

    def dirichlets(post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        alpha = np.broadcast_to(alpha0, (n_src, n_cls, n_cls)).copy()  # source, true tag, answer
        np.add.at(alpha, (w, slice(None), label), post[t])
        return alpha, 1.0 + post.sum(axis=0)

    def posteriors(alpha: np.ndarray, log_shares: np.ndarray) -> np.ndarray:
        log_pi = digamma(alpha) - digamma(alpha.sum(axis=2, keepdims=True))
        log_odds = np.broadcast_to(log_shares, (n, n_cls)).copy()
        np.add.at(log_odds, t, log_pi[w, :, label])
        scaled = np.exp(log_odds - log_odds.max(axis=1, keepdims=True))
        return scaled / scaled.sum(axis=1, keepdims=True)

    counts = np.zeros((n, n_cls))
    np.add.at(counts, (t, label), 1.0)
    post = counts / counts.sum(axis=1, keepdims=True)
    iterations, moved = 0, 0.0
    for iterations in range(1, n_iter + 1):
        alpha, nu = dirichlets(post)
        new = posteriors(alpha, digamma(nu) - digamma(nu.sum()))
        moved = float(np.abs(new - post).max())
        post = new
        if moved < tol:
            break
    alpha, nu = dirichlets(post)
    settled = posteriors(alpha, np.zeros(n_cls))  # the answers alone: a uniform prior over the tags
    mean = alpha / alpha.sum(axis=2, keepdims=True)
    given = sorted({(source_at[r[1]], k_of[r[2]]) for r in rows})
    confusion = {(sources[j], classes[a]): mean[j, :, a] for j, a in given}
    votes_per_source = np.bincount(w, minlength=n_src)
    right = np.bincount(w, weights=settled[t, label], minlength=n_src)
    return Fit(task_names, classes, settled, nu / nu.sum(), confusion,
               {s: float(right[j] / votes_per_source[j]) for j, s in enumerate(sources)},
               {s: int(votes_per_source[j]) for j, s in enumerate(sources)}, iterations, moved)


#: The columns of a fit as a table (the dbt Python models' output), one row per
#: ``part``: ``posterior`` (project_id, tag), ``prior`` (tag), ``confusion`` (source,
#: observed_tag: NULL for an abstention, tag), ``accuracy`` (source, n = its answers) and one
#: ``fit`` row (n = iterations run, value = the final lower bound per answer).
TABLE_COLUMNS = ("part", "project_id", "source", "observed_tag", "tag", "value", "n")


def table(result: Fit) -> dict[str, list[object]]:
    """``result`` as columns (``TABLE_COLUMNS``); posteriors rounded to 12 decimals, so that
    tags that tie by symmetry tie exactly."""
    out: dict[str, list[object]] = {name: [] for name in TABLE_COLUMNS}

    def add(part: str, project_id: object = None, source: object = None, observed_tag: object = None,
            tag: object = None, value: float | None = None, n: int | None = None) -> None:
        for name, item in zip(TABLE_COLUMNS, (part, project_id, source, observed_tag, tag, value, n)):
            out[name].append(item)

    for i, task in enumerate(result.tasks):
        for k, tag in enumerate(result.classes):
            add("posterior", project_id=task, tag=tag, value=round(float(result.posteriors[i, k]), 12))
    for k, tag in enumerate(result.classes):
        add("prior", tag=tag, value=float(result.priors[k]))
    for (source, observed), row in result.confusion.items():
        for k, tag in enumerate(result.classes):
            add("confusion", source=source, observed_tag=observed, tag=tag, value=float(row[k]))
    for source, accuracy in result.accuracy.items():
        add("accuracy", source=source, value=accuracy, n=result.n_answers[source])
    add("fit", value=result.lower_bound, n=result.iterations)
    return out


def records(relation: Any, columns: list[str]) -> list[tuple[Any, ...]]:
    """The rows of ``columns`` of a dbt Python model's input: a DuckDB relation, or (on
    Databricks) a Spark DataFrame."""
    if hasattr(relation, "toPandas"):
        return [tuple(row) for row in relation.select(*columns).collect()]
    return relation.select(", ".join(columns)).fetchall()


def frame(session: Any, result: Fit) -> Any:
    """``result`` as a dbt Python model's output with fixed column types (``TABLE_COLUMNS``):
    a pandas DataFrame for DuckDB, a Spark DataFrame on Spark."""
    import pandas as pd

    columns = table(result)
    types = {"project_id": "Int64", "value": "float64", "n": "Int64"}
    data = pd.DataFrame({name: pd.Series(values, dtype=types.get(name, "string"))
                         for name, values in columns.items()})
    if not type(session).__module__.startswith("pyspark."):
        return data
    schema = ("part string, project_id bigint, source string, observed_tag string, tag string, "
              "value double, n bigint")
    return session.createDataFrame([tuple(None if pd.isna(v) else v for v in row)
                                    for row in data.itertuples(index=False)], schema)
