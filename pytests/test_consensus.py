"""Consensus beyond majority vote: the Dawid-Skene estimator against crowd-kit, and the consensus
rule of ``var('annotation_consensus')`` end to end, with annotations from every tool.

The estimator (``plugins/labeling/dawid_skene.py``) must equal crowd-kit's ``DawidSkene`` on the
same answers, initialisation and iterations, to 1e-6: posteriors, priors, confusion matrices,
the iterations run, and the annotators' estimated accuracies (the mean posterior of the tags
they gave, computed here from crowd-kit's posteriors).
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from annotation_fixtures import prodigy_choice, write_doccano, write_label_studio, write_prodigy
from conftest import BIN, PIPELINE_ONLY, REPO, Project
from labeling import dawid_skene

TAGS = ["computer-vision", "graph-learning", "mlops", "natural-language-processing"]
TOLERANCE = 1e-6


def simulated_answers(seed: int) -> list[tuple[int, str, str]]:
    """120 projects; a perfect annotator, two imperfect ones, a spammer answering at random and
    one answering a constant tag; each skips about a third of the projects (missing ratings)."""
    rng = random.Random(seed)
    accuracy = {"perfect": 1.0, "good": 0.8, "fair": 0.6, "spammer": None, "constant": None}
    answers = []
    for task in range(120):
        truth = rng.choice(TAGS)
        for annotator, p in accuracy.items():
            if rng.random() < 0.35:
                continue
            if annotator == "constant":
                tag = "mlops"
            elif p is None:
                tag = rng.choice(TAGS)
            else:
                tag = truth if rng.random() < p else rng.choice([t for t in TAGS if t != truth])
            answers.append((task, annotator, tag))
    return answers


def crowd_kit(answers: list[tuple], n_iter: int, tol: float) -> tuple:
    from crowdkit.aggregation import DawidSkene

    data = pd.DataFrame(answers, columns=["task", "worker", "label"])
    model = DawidSkene(n_iter=n_iter, tol=tol).fit(data)
    given = data.join(model.probas_.stack().rename("p"), on=["task", "label"])
    return model, given.groupby("worker")["p"].mean().to_dict()


def assert_equals_crowd_kit(answers: list[tuple], n_iter: int, tol: float) -> dawid_skene.Fit:
    model, accuracy = crowd_kit(answers, n_iter, tol)
    fit = dawid_skene.fit(answers, n_iter=n_iter, tol=tol)
    assert fit.iterations == len(model.loss_history_)
    probas = model.probas_.reindex(index=fit.tasks, columns=fit.classes).to_numpy()
    assert np.abs(probas - fit.posteriors).max() < TOLERANCE
    assert np.abs(model.priors_.reindex(fit.classes).to_numpy() - fit.priors).max() < TOLERANCE
    assert len(fit.confusion) == len(model.errors_)
    for (annotator, answer), row in fit.confusion.items():
        assert np.abs(model.errors_.loc[(annotator, answer), fit.classes].to_numpy() - row).max() < TOLERANCE
    assert set(fit.accuracy) == set(accuracy)
    for annotator, value in fit.accuracy.items():
        assert abs(value - accuracy[annotator]) < TOLERANCE
    return fit


@pytest.mark.parametrize(("n_iter", "tol"), [(100, 1e-5), (0, 1e-5), (1, 1e-5), (25, -math.inf), (300, -math.inf)])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_estimator_equals_crowd_kit(seed: int, n_iter: int, tol: float) -> None:
    """Missing ratings, a spammer, a constant answerer and a perfect annotator; crowd-kit's
    defaults (stopping on the lower bound), no iteration at all, and fixed counts."""
    fit = assert_equals_crowd_kit(simulated_answers(seed), n_iter, tol)
    if n_iter >= 25:
        # What the estimator is for: the random and the constant answerers come out the least
        # reliable, the perfect and the good ones above the fair one.
        ranked = sorted(fit.accuracy, key=fit.accuracy.get)
        assert set(ranked[:2]) == {"spammer", "constant"} and set(ranked[3:]) == {"perfect", "good"}


def test_the_estimator_on_small_cases() -> None:
    """A single annotator, a unanimous pair, and no answer at all."""
    assert_equals_crowd_kit([(1, "a", "x"), (2, "a", "y")], 100, 1e-5)
    assert_equals_crowd_kit([(1, "a", "x"), (1, "b", "x"), (2, "a", "y"), (2, "b", "y")], 100, 1e-5)
    empty = dawid_skene.fit([], n_iter=100)
    assert empty.classes == [] and empty.accuracy == {} and empty.iterations == 0


def small_team(seed: int, projects: int = 25, per_project: int = 2, truths: dict[int, str] | None = None,
               prefix: str = "") -> list[tuple[int, str, str]]:
    """Five annotators (accuracies 0.9, 0.8, 0.7, 0.6 and one at random), ``per_project`` of
    them on each project: about ten answers each with the defaults. The true tags are as
    unbalanced as the real data's (one tag eight times as common as another); ``truths``
    receives them. ``prefix`` names the team (projects and annotators)."""
    rng = random.Random(seed)
    truths = {} if truths is None else truths
    team = {"ann": 0.9, "ben": 0.8, "cat": 0.7, "dan": 0.6, "rex": None}
    answers = []
    for task in range(projects):
        truth = truths[f"{prefix}{task}"] = rng.choices(TAGS, weights=[8, 4, 2, 1])[0]
        for annotator in rng.sample(sorted(team), per_project):
            p = team[annotator]
            right = p is not None and rng.random() < p
            answers.append((f"{prefix}{task}", f"{prefix}{annotator}", truth if right else rng.choice(
                TAGS if p is None else [t for t in TAGS if t != truth])))
    return answers


def test_the_prior_never_settles_a_one_one_split_of_annotators_seen_little() -> None:
    """Ten small teams in one fit, eight times (about ten answers per annotator, unbalanced
    tags): maximum likelihood (the prior off, crowd-kit's estimate) calls 1-1 splits certain;
    with the default prior no 1-1 split reaches the default bar (0.9), and what it settles
    there is right at least nine times in ten."""
    split_ml, split_bayes, settled = [], [], []
    for seed in range(8):
        truths: dict[str, str] = {}
        answers = [a for k in range(10) for a in small_team(seed * 10 + k, truths=truths, prefix=f"t{k}-")]
        by_task: dict[str, set[str]] = {}
        for task, _, tag in answers:
            by_task.setdefault(task, set()).add(tag)
        ml = dawid_skene.fit(answers, prior=dawid_skene.Prior(0, 0))
        bayes = dawid_skene.fit(answers, prior=dawid_skene.Prior())
        assert np.array_equal(ml.posteriors, dawid_skene.fit(answers).posteriors)  # off is crowd-kit's
        assert np.allclose(bayes.posteriors.sum(axis=1), 1)
        for i, task in enumerate(bayes.tasks):
            top = bayes.posteriors[i].max()
            if len(by_task[task]) == 2:
                split_ml.append(ml.posteriors[i].max())
                split_bayes.append(top)
            elif top >= 0.9:
                settled.append(bayes.classes[int(bayes.posteriors[i].argmax())] == truths[task])
    assert len(split_bayes) > 500
    assert max(split_ml) > 0.999 and sum(p >= 0.9 for p in split_ml) > 100
    assert max(split_bayes) < 0.9
    assert len(settled) > 100 and np.mean(settled) >= 0.9  # agreement still settles, and rightly
    with pytest.raises(ValueError, match="right and wrong both > 0"):
        dawid_skene.Prior(3, 0)


def test_the_prior_fades_on_a_large_team() -> None:
    """On 600 projects with three answers each (about 360 per annotator) the Bayesian
    consensus ranks the annotators by their true accuracy, settles more than half the projects at 0.9, and
    what it settles is right at least as often as under maximum likelihood."""
    truths: dict[str, str] = {}
    answers = small_team(5, projects=600, per_project=3, truths=truths)
    settled = {}
    for name, prior in (("ml", None), ("bayes", dawid_skene.Prior())):
        fit = dawid_skene.fit(answers, prior=prior)
        settled[name] = [fit.classes[int(row.argmax())] == truths[task]
                         for task, row in zip(fit.tasks, fit.posteriors) if row.max() >= 0.9]
        if prior is not None:
            assert fit.accuracy["ann"] > fit.accuracy["ben"] > fit.accuracy["dan"] > fit.accuracy["rex"]
    assert len(settled["bayes"]) > 0.55 * 600
    assert np.mean(settled["bayes"]) >= max(np.mean(settled["ml"]), 0.95), {k: np.mean(v) for k, v in settled.items()}


def test_abstentions_count_as_answers_for_labeling_functions() -> None:
    """With ``abstain_over`` a function's silence is an answer. When every function answers
    every project there is no abstention and the fit is crowd-kit's; with one-tag functions,
    the one that fires on the wrong projects is estimated less accurate than the precise one,
    which a majority vote cannot see."""
    answers = simulated_answers(3)
    complete = [(task, annotator, tag) for task, annotator, tag in answers if annotator == "perfect"]
    complete += [(task, "copy", tag) for task, _, tag in complete]
    tasks = sorted({task for task, _, _ in complete})
    model, _ = crowd_kit(complete, 100, 1e-5)
    fit = dawid_skene.fit(complete, abstain_over=tasks)
    probas = model.probas_.reindex(index=fit.tasks, columns=fit.classes).to_numpy()
    assert np.abs(probas - fit.posteriors).max() < TOLERANCE

    rng = random.Random(4)
    truth = {task: rng.choice(TAGS) for task in range(300)}
    votes = []
    for task, tag in truth.items():
        for name in ("precise", "also_precise"):
            if rng.random() < 0.7:
                votes.append((task, f"{name}:{tag}", tag))
        if rng.random() < 0.5:
            votes.append((task, "noisy:mlops", "mlops"))  # fires on anything half the time
    fit = dawid_skene.fit(votes, abstain_over=[*truth, 999])
    assert fit.accuracy["noisy:mlops"] < 0.5 < min(v for k, v in fit.accuracy.items() if k != "noisy:mlops")
    assert (None in {answer for _, answer in fit.confusion})
    assert fit.iterations > 5 and abs(fit.posteriors[fit.tasks.index(999)].sum() - 1) < 1e-9
    correct = sum(fit.classes[int(np.argmax(fit.posteriors[fit.tasks.index(t)]))] == tag for t, tag in truth.items()
                  if any(v[0] == t for v in votes))
    assert correct / len({v[0] for v in votes}) > 0.95


# The end-to-end case: given tags of the sample; pat is always right, gus and ivy err on a few
# projects, and three constant "mlops" answerers (two in Doccano, one in Prodigy) outvote pat and
# gus wherever they agree on another tag: a majority of 3 of 5 for the wrong tag.
GIVEN = {6: "natural-language-processing", 9: "computer-vision", 12: "mlops", 15: "reinforcement-learning",
         18: "graph-learning", 21: "time-series", 24: "natural-language-processing", 27: "natural-language-processing",
         30: "computer-vision", 33: "mlops", 36: "reinforcement-learning", 39: "graph-learning", 42: "time-series",
         45: "natural-language-processing", 48: "natural-language-processing", 51: "computer-vision", 54: "mlops",
         57: "reinforcement-learning", 60: "graph-learning", 63: "time-series"}


def annotation_files(folder) -> dict[str, dict[int, str]]:
    pat = {**GIVEN, 66: "natural-language-processing"}
    gus = {**GIVEN, 9: "natural-language-processing", 15: "time-series", 69: "computer-vision"}
    ivy = {**dict(list(GIVEN.items())[:10]), 9: "computer-vision", 12: "graph-learning", 33: "graph-learning",
           69: "mlops"}
    # Project 75: only the two constant answerers, who say nothing about it; its posterior is
    # the priors', too low to decide under dawid_skene (a consensus under majority).
    constant = {**{pid: "mlops" for pid in GIVEN}, 75: "mlops"}
    write_label_studio(folder, {"pat@x": pat, "gus@x": gus, "ivy@x": ivy})
    write_doccano(folder, {"spam1": constant, "spam2": constant})
    write_prodigy(folder, [prodigy_choice("spam3", pid, ["mlops"]) for pid in list(GIVEN)[:14]])
    return {"pat@x": pat, "gus@x": gus, "ivy@x": ivy, "spam1": constant, "spam2": constant,
            "spam3": {pid: "mlops" for pid in list(GIVEN)[:14]}}


def test_dawid_skene_decides_labels_end_to_end(project: Project, tmp_path) -> None:
    """Under ``majority`` the three constant answerers win project 36; under ``dawid_skene`` the
    build weighs them by their estimated confusion matrices and pat and gus win. The posteriors
    in the warehouse are crowd-kit's on the loaded annotations; the statuses follow the rule
    (minimum annotators, ties, a minimum posterior); provenance says which rule decided, the
    adjudication queue holds what stays uncertain, the tasks export and the history work."""
    folder = tmp_path / "annotations"
    ratings = annotation_files(folder)
    env = {"LABELING_ANNOTATIONS_DIR": str(folder)}
    project.build(*PIPELINE_ONLY, **env)
    majority = dict(project.query("select id, consensus_tag from annotation_votes"))
    assert majority[36] == "mlops" and set(project.query("select distinct consensus_rule from annotation_votes")) == {
        ("majority",)}

    # The prior off: the estimator is crowd-kit's maximum likelihood (the prior has its own test).
    ds_vars = ("{annotation_consensus: dawid_skene, annotation_min_posterior: 0.9, "
               "dawid_skene_prior_right: 0, dawid_skene_prior_wrong: 0}")
    project.build("--vars", ds_vars, **env)
    votes = {row[0]: row[1:] for row in project.query(
        "select id, consensus_rule, consensus_status, consensus_tag, top_posterior, n_annotators from annotation_votes")}
    # What the build loaded (Doccano names an annotator after the file: doccano:spam1).
    answers = project.query("select project_id, annotator, tag from intermediate.int_project_annotations")
    assert len(answers) == sum(len(given) for given in ratings.values())
    model, accuracy = crowd_kit(answers, 100, 1e-5)
    stored = project.query("select project_id, tag, value from intermediate.int_annotation_dawid_skene where part = 'posterior'")
    assert len(stored) == model.probas_.size
    for pid, tag, value in stored:
        assert abs(model.probas_.loc[pid, tag] - value) < TOLERANCE
    reliability = dict(project.query("select annotator, estimated_accuracy from annotator_reliability"))
    assert {a: round(v, 6) for a, v in reliability.items()} == {a: round(v, 6) for a, v in accuracy.items()}
    assert max(reliability, key=reliability.get) == "pat@x"
    assert all(value < 0.2 for annotator, value in reliability.items() if "spam" in annotator)
    statuses = {}
    for pid, (rule, status, tag, posterior, n) in votes.items():
        assert rule == "dawid_skene"
        row = model.probas_.loc[pid].dropna()
        top = row.max()
        expected = ("too_few_annotators" if n < 2 else "tie" if (row == top).sum() > 1
                    else "low_posterior" if top < 0.9 else "consensus")
        assert (status, round(posterior, 6)) == (expected, round(top, 6)), pid
        assert tag == (row.idxmax() if expected == "consensus" else None), pid
        statuses[pid] = status
    assert {"consensus", "low_posterior", "too_few_annotators"} <= set(statuses.values())
    assert statuses[75] == "low_posterior" and majority[75] == "mlops"
    assert votes[36][2] == "reinforcement-learning"  # pat and gus, against three constant answerers
    confusion = project.query("select annotator, true_tag, sum(probability) from annotator_confusion group by all")
    assert confusion and all(abs(total - 1) < 1e-9 for _, _, total in confusion)

    labels = dict(project.query("select id, tag from labeled_projects"))
    assert labels[36] == "reinforcement-learning"
    provenance = {row[0]: row[1:] for row in project.query(
        "select id, label_source, consensus_rule, consensus_posterior from label_provenance where id in (36, 69)")}
    assert provenance[36][:2] == ("annotation_consensus", "dawid_skene") and provenance[36][2] > 0.9
    queue = dict(project.query("select id, reason from adjudication_queue"))
    assert {pid for pid, s in statuses.items() if s != "consensus"} == set(queue)
    assert "low_posterior" in queue.values()
    # History: the label of project 36 as decided under each rule.
    history = project.query("select tag, consensus_rule from snapshots.label_history where id = 36 order by dbt_valid_from")
    assert history == [("mlops", "majority"), ("reinforcement-learning", "dawid_skene")]
    # A label the other rule confirms gets a version too: the reason for it changed.
    history = project.query("select tag, consensus_rule from snapshots.label_history where id = 12 order by dbt_valid_from")
    assert history == [("mlops", "majority"), ("mlops", "dawid_skene")]
    # Agreement with the consensus follows the rule in force.
    with_consensus = project.query("select sum(n_with_consensus) from annotator_agreement")[0][0]
    assert with_consensus == sum(1 for a, given in ratings.items() for pid in given if statuses.get(pid) == "consensus")
    # The tasks out: the adjudication queue under this rule, in every format.
    project.build("--vars", ds_vars[:-1] + ", annotation_task_source: adjudication_queue}", **env)
    assert {row[0] for row in project.query("select id from annotation_tasks")} == set(queue)
    exported = json.loads((project.exports / "annotation" / "tasks.label_studio.json").read_text(encoding="utf-8"))
    assert {task["data"]["id"] for task in exported} == set(queue)
    assert (project.exports / "annotation" / "tasks.doccano.jsonl").is_file()


def test_a_one_one_split_of_a_small_team_is_never_settled_end_to_end(project: Project, tmp_path) -> None:
    """Three annotators, about ten answers each; on project 36 only ann and bob answer, and
    disagree. Maximum likelihood finds ann perfect and gives her answer 0.999; the build's
    Dawid-Skene, at its defaults, leaves 36 unsettled (`low_posterior`, in the adjudication
    queue), and its label stays the one of tags.csv."""
    given = dict(list(GIVEN.items())[:10])
    ann = {**given, 36: "reinforcement-learning"}
    bob = {**given, 12: "computer-vision", 30: "natural-language-processing", 36: "mlops"}
    folder = tmp_path / "annotations"
    write_label_studio(folder, {"ann@x": ann, "bob@x": bob, "cat@x": dict(given)})
    answers = [(pid, who, tag) for who, ratings in (("ann@x", ann), ("bob@x", bob), ("cat@x", given))
               for pid, tag in ratings.items()]
    ml = dawid_skene.fit(answers)
    assert ml.posteriors[ml.tasks.index(36)].max() > 0.99  # what the prior prevents
    project.build(*PIPELINE_ONLY, "--vars", "{annotation_consensus: dawid_skene}",
                  LABELING_ANNOTATIONS_DIR=str(folder))
    status, posterior = project.query("select consensus_status, top_posterior from annotation_votes where id = 36")[0]
    assert status == "low_posterior" and posterior < 0.5
    assert project.query("select reason from adjudication_queue where id = 36") == [("low_posterior",)]
    assert project.query("select label_source from label_provenance where id = 36") == [("tags_csv",)]
    # where the three agree, they settle
    assert {s for (s,) in project.query("select consensus_status from annotation_votes where id in (6, 9, 15)")} == {
        "consensus"}


def test_a_rule_that_does_not_exist_is_refused(project: Project) -> None:
    """An unknown rule, and dawid_skene on a target without Python models, stop at parse time
    with a message that names the var and the way out."""
    result = project.dbt("parse", "--vars", "{annotation_consensus: majority_vote}")
    assert result.returncode != 0
    assert "var annotation_consensus is 'majority_vote': it is majority (the default) or dawid_skene" in result.stdout
    spark_dbt = REPO / ".venv-spark" / "bin" / "dbt"
    if not spark_dbt.exists():
        return
    spark = subprocess.run([str(spark_dbt), "parse", "--target", "spark", "--vars", "{annotation_consensus: dawid_skene}",
                            "--project-dir", str(project.root)], cwd=project.root, env=project.env(),
                           capture_output=True, text=True, timeout=300)
    assert spark.returncode != 0
    assert "target 'spark' runs no Python models" in spark.stdout
    assert BIN.exists()


def test_the_simulation_runs_both_rules_on_annotations_from_every_tool(tmp_path) -> None:
    """scripts/simulate_consensus.py on the sample: the same seed draws the same answers; the
    project builds under each rule from Label Studio, Doccano and Prodigy files; the table
    reports every rule, and its figures add up."""
    sys.path.insert(0, str(REPO / "scripts"))
    import simulate_consensus

    truth = {pid: tag for pid, tag in GIVEN.items()}
    team = simulate_consensus.annotators([0.9, 0.8, 0.6])
    first, again = (simulate_consensus.simulate(truth, team, 2, seed=5) for _ in range(2))
    assert first == again and all(len([a for a in first if pid in first[a]]) == 2 for pid in truth)
    folder = tmp_path / "exports"
    simulate_consensus.write_exports(folder, first)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.json*")) == [
        "doccano/cat.jsonl", "label_studio/export.json", "prodigy/db-out.jsonl"]

    out = tmp_path / "table.md"
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "simulate_consensus.py"), "--raw-dir",
                             str(REPO / "data" / "sample"), "--min-posteriors", "0.9", "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert out.read_text() == result.stdout
    rows = [line.split(" | ") for line in result.stdout.splitlines() if line.startswith("| annotators")
            or line.startswith("| labeling functions")]
    assert [row[1] for row in rows] == ["majority", "dawid_skene, posterior >= 0.9", "majority",
                                        "dawid_skene (label model)"]
    for row in rows:
        labeled, total = (int(n) for n in row[2].split(" (")[0].split(" of "))
        assert 0 < labeled <= total == 46


def test_the_calibration_of_the_simulation() -> None:
    """scripts/simulate_consensus.py --calibration's pieces, without its builds: small teams
    answer disjoint projects, about ten answers per annotator; the table reads its figures."""
    sys.path.insert(0, str(REPO / "scripts"))
    import simulate_consensus

    truth = {pid: TAGS[pid % 4] for pid in range(300)}
    team = simulate_consensus.annotators([0.9, 0.8, 0.7, 0.6])
    answers = simulate_consensus.small_teams(truth, team, teams=10, projects=25, per_project=2, seed=7)
    assert len(answers) == 50 and list(answers)[-1].startswith("rex_")  # the random ones last (Prodigy)
    projects = [set(given) for given in answers.values()]
    for k in range(10):
        team_projects = set().union(*(set(given) for name, given in answers.items() if name.endswith(f"_{k}")))
        assert len(team_projects) == 25
    assert sum(len(p) for p in projects) == 500  # 250 projects, two answers each
    table = simulate_consensus.calibration_table(
        {"small / with its prior (default)": {"0.5": (10, 9), "0.9": (4, 4), "split": (3, 0)}},
        {"small": "ten small teams"}, [0.5, 0.9])
    assert "| ten small teams | with its prior (default) | 90.0% of 10 | 100.0% of 4 | 0 of 3 |" in table
