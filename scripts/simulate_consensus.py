#!/usr/bin/env python3
"""Simulate annotators of known accuracy on the real data: does Dawid-Skene beat the majority vote?

The true tag of every project is its tag in ``tags.csv``. Simulated annotators answer it with
known accuracies (by default 0.9, 0.8, 0.7 and 0.6, a wrong answer being any other tag of the
file, uniformly) and one answers at random; each project goes to ``--per-project`` of them,
drawn at random (so ratings are missing, as in a real labeling team). Their answers are written
as the tools export them: the first two annotators' as a Label Studio JSON export, the next two
as Doccano JSONL files, the random one as Prodigy ``db-out`` lines.

Then the project itself decides, with every output in a temporary folder (the user's database,
exports and ``target/`` are left alone): ``dbt build`` on the raw files, read in place, with those
annotations, once with ``annotation_consensus: majority`` and then with ``dawid_skene``. For
each rule the script reports, against ``tags.csv``: the projects the annotators settle (a
consensus), the accuracy of those consensus tags, and the share of all annotated projects whose
consensus is right (Dawid-Skene at each ``--min-posteriors``, the rule's
``annotation_min_posterior``). It reports the weak labels the same way (the labeling functions' majority
vote and their label model, ``weak_labels``): the projects labeled, and the accuracy of those
labels. The seed makes the run reproducible. Prints a Markdown table (the README's), and
writes it to ``--out`` if given.

Examples (from the project folder)::

    python scripts/extract.py --from ../shared/data/madewithml    # or: make real
    python scripts/simulate_consensus.py
    python scripts/simulate_consensus.py --raw-dir data/sample --seed 3 --out /tmp/consensus.md
    python scripts/simulate_consensus.py --calibration     # the README's calibration table
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
def annotators(accuracies: list[float]) -> dict[str, float | None]:
    """Annotator names with their accuracy (``None``: answers at random), in tool order."""
    names = ["ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal"]
    if len(accuracies) + 1 > len(names):
        raise SystemExit(f"simulate_consensus: at most {len(names) - 1} annotators of known accuracy")
    return {**dict(zip(names, accuracies)), "rex": None}


def simulate(truth: dict[int, str], team: dict[str, float | None], per_project: int,
             seed: int) -> dict[str, dict[int, str]]:
    """Each annotator's answers: ``{annotator: {project id: tag}}``."""
    rng = random.Random(seed)
    tags = sorted(set(truth.values()))
    answers: dict[str, dict[int, str]] = {name: {} for name in team}
    for pid, tag in sorted(truth.items()):
        for name in rng.sample(sorted(team), per_project):
            accuracy = team[name]
            if accuracy is None:
                answers[name][pid] = rng.choice(tags)
            elif rng.random() < accuracy:
                answers[name][pid] = tag
            else:
                answers[name][pid] = rng.choice([other for other in tags if other != tag])
    return answers


def small_teams(truth: dict[int, str], team: dict[str, float | None], teams: int, projects: int,
                per_project: int, seed: int) -> dict[str, dict[int, str]]:
    """``teams`` teams like ``team``, each on its own ``projects`` projects (``per_project``
    answers each): annotators seen on few answers (``<name>_<team>``)."""
    rng = random.Random(seed)
    chosen = rng.sample(sorted(truth), teams * projects)
    answers: dict[str, dict[int, str]] = {}
    for k in range(teams):
        part = {pid: truth[pid] for pid in chosen[k * projects:(k + 1) * projects]}
        for name, given in simulate(part, team, per_project, seed + k).items():
            answers[f"{name}_{k}"] = given
    names = sorted(answers, key=lambda n: (n.startswith("rex"), n))  # the random ones last (Prodigy)
    return {name: answers[name] for name in names}


def calibration(database: Path, truth: dict[int, str], bars: list[float]) -> dict[str, tuple[int, int]]:
    """(settled, right) per bar: the projects whose top posterior under Dawid-Skene
    (``int_annotation_dawid_skene``) is at least the bar, and how many of their top tags are
    ``tags.csv``'s; and ``split`` the same at the highest bar for the projects whose answers are
    a 1-1 split."""
    with duckdb.connect(str(database), read_only=True) as con:
        top = con.execute(
            "select project_id, arg_max(tag, value), max(value) from intermediate.int_annotation_dawid_skene "
            "where part = 'posterior' group by project_id").fetchall()
        splits = {row[0] for row in con.execute(
            "select project_id from annotation_audit where outcome = 'loaded' group by project_id "
            "having count(*) = 2 and count(distinct tag) = 2").fetchall()}
    figures = {}
    for bar in bars:
        settled = [(pid, tag) for pid, tag, value in top if value >= bar]
        figures[f"{bar:g}"] = (len(settled), sum(tag == truth[pid] for pid, tag in settled))
    settled_splits = [(pid, tag) for pid, tag, value in top if pid in splits and value >= max(bars)]
    figures["split"] = (len(splits), len(settled_splits))
    return figures


def calibration_table(results: dict[str, dict[str, tuple[int, int]]], described: dict[str, str],
                      bars: list[float]) -> str:
    """The calibration as a Markdown table: per team and estimator, the share right among the
    projects settled at each bar, and the 1-1 splits settled at the highest."""
    lines = ["| team | Dawid-Skene | " + " | ".join(f"right among settled at posterior >= {b:g}" for b in bars)
             + f" | 1-1 splits settled at >= {max(bars):g} |", "|---|---|" + "---|" * (len(bars) + 1)]
    for label, figures in results.items():
        team, estimator = label.split(" / ")
        cells = [f"{right / settled:.1%} of {settled}" if settled else "none settled"
                 for settled, right in (figures[f"{b:g}"] for b in bars)]
        splits, settled_splits = figures["split"]
        lines.append(f"| {described[team]} | {estimator} | " + " | ".join(cells) + f" | {settled_splits} of {splits} |")
    return "\n".join(lines) + "\n"


def write_exports(folder: Path, answers: dict[str, dict[int, str]]) -> None:
    """The answers as the tools export them: Label Studio (the first two annotators), Doccano
    (the rest of known accuracy, one file each), Prodigy (the random one)."""
    names = list(answers)
    studio, doccano, prodigy = names[:2], names[2:-1], names[-1]
    tasks, annotation_id = [], 0
    for pid in sorted({pid for name in studio for pid in answers[name]}):
        annotations = []
        for user_id, name in enumerate(studio, 1):
            if pid in answers[name]:
                annotation_id += 1
                annotations.append({"id": annotation_id, "completed_by": {"id": user_id, "email": f"{name}@example.com"},
                                    "result": [{"from_name": "tag", "to_name": "text", "type": "choices",
                                                "value": {"choices": [answers[name][pid]]}}],
                                    "was_cancelled": False, "ground_truth": False})
        tasks.append({"id": pid, "data": {"id": pid}, "annotations": annotations})
    (folder / "label_studio").mkdir(parents=True)
    (folder / "label_studio" / "export.json").write_text(json.dumps(tasks), encoding="utf-8")
    (folder / "doccano").mkdir()
    for name in doccano:
        (folder / "doccano" / f"{name}.jsonl").write_text("".join(
            json.dumps({"text": f"project {pid}", "label": [tag], "meta": {"id": pid}}) + "\n"
            for pid, tag in sorted(answers[name].items())), encoding="utf-8")
    (folder / "prodigy").mkdir()
    (folder / "prodigy" / "db-out.jsonl").write_text("".join(
        json.dumps({"text": f"project {pid}", "accept": [tag], "answer": "accept", "meta": {"id": pid},
                    "_annotator_id": prodigy, "_view_id": "choice"}) + "\n"
        for pid, tag in sorted(answers[prodigy].items())), encoding="utf-8")


def build(work: Path, raw_dir: Path, annotations: Path, rule: dict[str, object]) -> Path:
    """``dbt build`` of the project with the vars ``rule``, every output under ``work`` (the
    database with its build folder, the exports, dbt's target and logs, the classifier's cache),
    the raw files read in place (the read_csv load path); stops the script with dbt's output if
    it fails. Returns the database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DBT_", "LABELING_"))}
    env.update(DBT_PROFILES_DIR=str(ROOT / "profiles"), DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               LABELING_LOAD="read_csv", LABELING_RAW_DIR=str(raw_dir), LABELING_ANNOTATIONS_DIR=str(annotations),
               LABELING_DB_PATH=str(work / "labeling.duckdb"), LABELING_EXPORT_DIR=str(work / "exports"),
               LABELING_CLASSIFIER_CACHE=str(work / "classifier"))
    result = subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--vars", json.dumps(rule),
                             "--project-dir", str(ROOT), "--target-path", str(work / "target"),
                             "--log-path", str(work / "logs")],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"simulate_consensus: dbt build ({rule}) failed:\n{result.stdout[-4000:]}")
    return work / "labeling.duckdb"


def measure(database: Path, truth: dict[int, str]) -> dict[str, tuple[int, int]]:
    """(labeled, right) per figure: each rule's consensus, and the weak labels of both rules."""
    with duckdb.connect(str(database), read_only=True) as con:
        votes = con.execute("select id, consensus_tag from annotation_votes").fetchall()
        weak = con.execute("select id, weak_label, label_model_tag from weak_labels").fetchall()
    figures = {"annotated": (len(votes), 0),
               "consensus": (sum(tag is not None for _, tag in votes),
                             sum(tag == truth.get(pid) for pid, tag in votes))}
    for column, name in ((1, "weak_majority"), (2, "weak_label_model")):
        labeled = [(row[0], row[column]) for row in weak if row[column] is not None and row[0] in truth]
        figures[name] = (len(labeled), sum(tag == truth[pid] for pid, tag in labeled))
    return figures


def rules(min_posteriors: list[float]) -> dict[str, dict[str, object]]:
    """The consensus rules to compare, by label: the majority vote, and Dawid-Skene at each
    minimum posterior."""
    runs: dict[str, dict[str, object]] = {"majority": {"annotation_consensus": "majority"}}
    for minimum in min_posteriors:
        runs[f"dawid_skene, posterior >= {minimum:g}"] = {"annotation_consensus": "dawid_skene",
                                                        "annotation_min_posterior": minimum}
    return runs


def table(results: dict[str, dict[str, tuple[int, int]]], n_projects: int, team: dict[str, float | None],
          per_project: int, seed: int) -> str:
    """The figures as a Markdown table, with what was simulated."""
    def share(numerator: int, denominator: int) -> str:
        return f"{numerator / denominator:.1%}" if denominator else "n/a"

    accuracies = ", ".join("random" if a is None else f"{a:g}" for a in team.values())
    lines = [f"{n_projects} projects of tags.csv; {len(team)} annotators (accuracies {accuracies}), "
             f"{per_project} per project; seed {seed}.", "",
             "| labels from | rule | labeled | accuracy of those labels | right among all projects |",
             "|---|---|---|---|---|"]
    for rule, figures in results.items():
        annotated = figures["annotated"][0]
        decided, right = figures["consensus"]
        lines.append(f"| annotators | {rule} | {decided} of {annotated} ({share(decided, annotated)}) | "
                     f"{share(right, decided)} | {share(right, n_projects)} |")
    for name, label in (("weak_majority", "majority"), ("weak_label_model", "dawid_skene (label model)")):
        labeled, right = next(iter(results.values()))[name]
        lines.append(f"| labeling functions | {label} | {labeled} of {n_projects} ({share(labeled, n_projects)}) | "
                     f"{share(right, labeled)} | {share(right, n_projects)} |")
    return "\n".join(lines) + "\n"


def run_calibration(raw_dir: Path, truth: dict[int, str], team: dict[str, float | None], per_project: int,
                    seed: int) -> str:
    """Dawid-Skene's calibration, with its default prior and without (maximum likelihood), on
    ten small teams of 25 projects with two answers each (about ten answers per annotator) and
    on one large team answering every project ``per_project`` times."""
    bars = [0.5, 0.7, 0.9]
    teams = {"small": small_teams(truth, team, 10, 25, 2, seed), "large": simulate(truth, team, per_project, seed)}
    described = {"small": "small: 10 teams x 25 projects, 2 answers each (about 10 per annotator)",
                 "large": f"large: {len(truth)} projects, {per_project} answers each "
                          f"(about {len(truth) * per_project // len(team)} per annotator)"}
    estimators = {"with its prior (default)": {}, "without (maximum likelihood)": {"dawid_skene_prior_right": 0,
                                                                                   "dawid_skene_prior_wrong": 0}}
    results = {}
    with tempfile.TemporaryDirectory(prefix="simulate-consensus-") as tmp:
        for name, answers in teams.items():
            folder = Path(tmp) / name
            write_exports(folder, answers)
            for estimator, extra in estimators.items():
                rule = {"annotation_consensus": "dawid_skene", **extra}
                results[f"{name} / {estimator}"] = calibration(build(Path(tmp), raw_dir, folder, rule), truth, bars)
    accuracies = ", ".join("random" if a is None else f"{a:g}" for a in team.values())
    return (f"Annotators of accuracies {accuracies}; seed {seed}. A project is settled at a bar when its top "
            "posterior reaches it.\n\n" + calibration_table(results, described, bars))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="simulate_consensus.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, default=ROOT / "data" / "madewithml",
                        help="folder with projects.csv and tags.csv (default: %(default)s)")
    parser.add_argument("--accuracies", default="0.9,0.8,0.7,0.6",
                        help="accuracies of the annotators besides the random one (default: %(default)s)")
    parser.add_argument("--per-project", type=int, default=3, help="annotators per project (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: %(default)s)")
    parser.add_argument("--min-posteriors", default="0.9,0.5",
                        help="annotation_min_posterior values to run dawid_skene with (default: %(default)s)")
    parser.add_argument("--calibration", action="store_true",
                        help="instead: how often Dawid-Skene's settled labels are right, at posteriors "
                             "0.5, 0.7 and 0.9, with and without its prior, on small teams (annotators "
                             "seen on about ten answers) and on a large one")
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args(argv)
    raw_dir = args.raw_dir.resolve()
    if not (raw_dir / "tags.csv").is_file():
        parser.error(f"{raw_dir / 'tags.csv'} not found: run `python scripts/extract.py --from <mirror>` first")
    with (raw_dir / "tags.csv").open(newline="", encoding="utf-8-sig") as f:
        truth = {int(row["id"]): row["tag"] for row in csv.DictReader(f) if row["tag"]}
    team = annotators([float(a) for a in args.accuracies.split(",")])
    if not 1 <= args.per_project <= len(team):
        parser.error(f"--per-project must be between 1 and {len(team)}")
    if args.calibration:
        text = run_calibration(raw_dir, truth, team, args.per_project, args.seed)
        print(text, end="")
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        return 0
    answers = simulate(truth, team, args.per_project, args.seed)
    results = {}
    with tempfile.TemporaryDirectory(prefix="simulate-consensus-") as tmp:
        write_exports(Path(tmp) / "annotations", answers)
        for label, rule in rules([float(m) for m in args.min_posteriors.split(",")]).items():
            database = build(Path(tmp), raw_dir, Path(tmp) / "annotations", rule)
            results[label] = measure(database, truth)
    text = table(results, len(truth), team, args.per_project, args.seed)
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
