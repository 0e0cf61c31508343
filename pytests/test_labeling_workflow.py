"""The labeling workflow (issue 5): labeling functions, weak labels, label issues, the queue.

The metrics are checked against values computed here, independently, in Python: the rules are
applied with Python's ``re`` (not DuckDB's RE2), the label matrix and Snorkel's formulas are
written out with numpy, and the confident-learning flags come from cleanlab itself.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from cleanlab.filter import find_label_issues

from conftest import REPO, Project, run_script

# --- A fixed fixture of projects, tags and rules -------------------------------------------------
# Ids 7 (no tag row) and 10 (empty tag) are unlabeled. Cases: agreement (1-3, 5, 6, 12-14), a
# conflict where the majority disagrees with the given tag (4), a 2-2 tie (8), no vote (9),
# votes on unlabeled projects (7, 10), a regex without word boundaries (11), a rule on the
# title only, a keyword with a hyphen, a rule that never votes.
PROJECTS = [
    (1, "BERT for text classification", "Fine-tune BERT on reviews.", "natural-language-processing"),
    (2, "Object detection with YOLO", "Detect cars in video frames.", "computer-vision"),
    (3, "Docker for ML", "Serving models in production with docker and C++.", "mlops"),
    (4, "Text detection in images", "OCR with BERT.", "computer-vision"),
    (5, "Graph neural networks", "GNN on citation graphs.", "graph-learning"),
    (6, "Time series forecasting", "Forecasting sales.", "time-series"),
    (7, "Reinforcement learning agents", "Policies for games.", None),
    (8, "Vision and language", "Image captioning with text.", "natural-language-processing"),
    (9, "Untitled", "Nothing to see.", "mlops"),
    (10, "Deployment of BERT", "scikit-learn pipelines.", ""),
    (11, "Detecting anomalies in time series", "A detector of outliers.", "time-series"),
    (12, "Computer vision basics", "CNNs for images.", "computer-vision"),
    (13, "Graph embeddings", "node2vec walks.", "graph-learning"),
    (14, "Sentiment of tweets", "Small language models.", "natural-language-processing"),
]
RULES = [
    ("bert", "natural-language-processing", "keyword", "text", "BERT"),
    ("detect_title", "computer-vision", "regex", "title", "detect(ion|or)?"),
    ("docker_title", "mlops", "keyword", "title", "docker"),
    ("sklearn", "mlops", "keyword", "description", "scikit-learn"),
    ("never", "time-series", "keyword", "text", "zzzz-never"),
    # A keyword that ends with a non-word character: `\b` after "+" never matches (issue 10).
    ("cpp", "mlops", "keyword", "description", "C++"),
]


def write_fixture(project: Project) -> str:
    """Write the fixture's raw files and rules into the project; return the raw folder."""
    raw = project.root / "data" / "fixture"
    raw.mkdir(parents=True)
    with (raw / "projects.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "created_on", "title", "description"])
        for pid, title, description, _ in PROJECTS:
            writer.writerow([pid, f"2020-03-{pid:02d} 10:00:00", title, description])
    with (raw / "tags.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["id", "tag"])
        for pid, _, _, tag in PROJECTS:
            if tag is not None:
                writer.writerow([pid, tag])
    with (project.root / "seeds" / "labeling_functions.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["rule", "tag", "kind", "field", "pattern", "description"])
        for rule in RULES:
            writer.writerow([*rule, "fixture rule"])
    return "data/fixture"


def whole_words(pattern: str) -> str:
    """Python's own reading of "whole words": no word character just before or after (lookarounds,
    which RE2 lacks), so the SQL's boundary logic is checked against an independent definition."""
    return rf"(?<!\w){pattern}(?!\w)"


def python_rules() -> list[tuple[str, str, str, re.Pattern[str]]]:
    """(rule_name, tag, field, compiled regex): seed rules, taxonomy aliases and tag names."""
    rules = []
    for name, tag, kind, field, pattern in RULES:
        regex = whole_words(re.escape(pattern)) if kind == "keyword" else pattern
        rules.append((name, tag, field, re.compile(regex, re.IGNORECASE)))
    with (REPO / "seeds" / "tag_taxonomy.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for alias in filter(None, (a.strip().lower() for a in row["aliases"].split("|"))):
                rules.append((f"alias:{alias}", row["tag"], "text",
                              re.compile(whole_words(re.escape(alias)), re.IGNORECASE)))
            words = r"[- ]".join(re.escape(word) for word in row["tag"].split("-"))
            rules.append((f"tag_name:{row['tag']}", row["tag"], "text", re.compile(whole_words(words), re.IGNORECASE)))
    return rules


def python_votes() -> dict[tuple[int, str], str]:
    """{(project id, rule_name): tag} for every rule whose regex matches the field it reads."""
    votes = {}
    for pid, title, description, _ in PROJECTS:
        fields = {"title": title, "description": description, "text": f"{title} {description}"}
        for name, tag, field, regex in python_rules():
            if regex.search(fields[field]):
                votes[(pid, name)] = tag
    return votes


@pytest.fixture(scope="module")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> Project:
    from conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("workflow") / "project")
    raw = write_fixture(project)
    project.build(LABELING_RAW_DIR=raw)
    return project


def test_labeling_function_summary_matches_snorkel_definitions(built_fixture: Project) -> None:
    rules = python_rules()
    names = [name for name, *_ in rules]
    tags = sorted({tag for _, tag, *_ in rules})
    index = {tag: i for i, tag in enumerate(tags)}
    votes = python_votes()
    # A keyword ending in a non-word character votes too ("C++": issue 10).
    assert votes[(3, "cpp")] == "mlops"
    assert built_fixture.query("select tag from intermediate.int_labeling_function_votes "
                               "where id = 3 and rule_name = 'cpp'") == [("mlops",)]
    n, m = len(PROJECTS), len(rules)
    # Snorkel's label matrix L (n x m, -1 = abstain) and gold Y (-1 = unlabeled).
    L = np.full((n, m), -1)
    for row, (pid, *_rest) in enumerate(PROJECTS):
        for col, name in enumerate(names):
            if (pid, name) in votes:
                L[row, col] = index[votes[(pid, name)]]
    Y = np.array([index[tag] if tag else -1 for *_x, tag in PROJECTS])
    voted = L != -1
    overlapped = voted.sum(axis=1) >= 2
    conflicted = np.array([len(set(r[r != -1])) >= 2 for r in L])
    # Snorkel's lf_empirical_accuracies: X = +1 if the vote equals Y, -1 otherwise, 0 abstain.
    X = np.where(~voted, 0, np.where(L == Y[:, None], 1, -1))

    got = {r[0]: r[1:] for r in built_fixture.query(
        "select rule_name, polarity, n_votes, coverage, overlap_fraction, conflict_fraction, correct,"
        " incorrect, n_votes_unlabeled, empirical_accuracy, label_precision, n_projects"
        " from labeling_function_summary")}
    assert sorted(got) == sorted(names)
    for col, name in enumerate(names):
        polarity = sorted(tags[v] for v in set(L[voted[:, col], col]))
        n_votes = int(voted[:, col].sum())
        correct = int((voted[:, col] & (L[:, col] == Y) & (Y != -1)).sum())
        incorrect = int((voted[:, col] & (L[:, col] != Y) & (Y != -1)).sum())
        emp_acc = 0.5 * (X[:, col].sum() / n_votes + 1) if n_votes else None
        precision = correct / (correct + incorrect) if correct + incorrect else None
        expected = (
            polarity, n_votes, voted[:, col].mean(), (voted[:, col] & overlapped).mean(),
            (voted[:, col] & conflicted).mean(), correct, incorrect,
            int((voted[:, col] & (Y == -1)).sum()), emp_acc, precision, n,
        )
        actual = got[name]
        assert list(actual[0]) == expected[0], name
        for a, e in zip(actual[1:], expected[1:]):
            assert (a is None and e is None) or a == pytest.approx(e), (name, actual, expected)

    coverage = built_fixture.query(
        "select n_projects, n_rules, n_votes, label_coverage, label_overlap, label_conflict"
        " from labeling_function_coverage")[0]
    assert coverage == pytest.approx((n, m, len(votes), voted.any(axis=1).mean(), overlapped.mean(),
                                      conflicted.mean()))
    # The fixture exercises every case: a conflict, an overlap, a rule that never votes,
    # votes on unlabeled projects and a wrong vote.
    assert conflicted.any() and overlapped.any() and (~voted).all(axis=0).any()
    assert (voted & (Y[:, None] == -1)).any() and (voted & (L != Y[:, None]) & (Y[:, None] != -1)).any()


def test_weak_labels_are_the_majority_vote_with_ties_abstaining(built_fixture: Project) -> None:
    votes = python_votes()
    got = {r[0]: r[1:] for r in built_fixture.query(
        "select id, weak_label, n_votes, top_votes, margin, is_tie, disagrees_with_given_tag from weak_labels")}
    assert sorted(got) == [pid for pid, *_ in PROJECTS]
    for pid, _, _, given in PROJECTS:
        counts: dict[str, int] = {}
        for (vid, _name), tag in votes.items():
            if vid == pid:
                counts[tag] = counts.get(tag, 0) + 1
        ranked = sorted(counts.values(), reverse=True) + [0, 0]
        winner = max(counts, key=counts.get) if counts and ranked[0] > ranked[1] else None
        expected = (winner, sum(counts.values()), ranked[0], ranked[0] - ranked[1],
                    bool(counts) and ranked[0] == ranked[1],
                    bool(winner and given and winner != given))
        assert got[pid] == expected, (pid, got[pid], expected)
    # Project 8 ties 2-2 and abstains; project 4's majority (NLP) disagrees with its given tag.
    assert got[8][0] is None and got[8][4] is True
    assert got[4][0] == "natural-language-processing" and got[4][5] is True


def test_labeling_function_errors_list_every_wrong_vote(built_fixture: Project) -> None:
    given = {pid: tag for pid, _, _, tag in PROJECTS if tag}
    expected = sorted((name, pid, tag, given[pid]) for (pid, name), tag in python_votes().items()
                      if pid in given and tag != given[pid])
    got = built_fixture.query(
        "select rule_name, id, voted_tag, given_tag from labeling_function_errors order by all")
    assert got == expected and expected
    matched = dict(((r[0], r[1]), r[2]) for r in built_fixture.query(
        "select rule_name, id, matched_text from labeling_function_errors"))
    assert matched[("alias:text", 4)] == "Text"


def test_probabilities_are_out_of_sample_and_reproducible(built_fixture: Project) -> None:
    import labeling_ml

    rows = built_fixture.query(
        "select id, tag, probability, fold, n_folds from intermediate.int_project_tag_probabilities"
        " where is_labeled order by id, tag")
    labeled = [(pid, t, d, tag) for pid, t, d, tag in PROJECTS if tag]
    classes, probabilities, fold_of, used = labeling_ml.cross_validated_probabilities(
        [labeling_ml.project_text(t, d) for _, t, d, _ in labeled], [tag for *_, tag in labeled], 5, 42)
    assert used == 2 == rows[0][4]  # five folds asked, the rarest tag has two projects
    expected = [(pid, tag, probabilities[i, j], int(fold_of[i]))
                for i, (pid, *_x) in enumerate(labeled) for j, tag in enumerate(classes)]
    assert [r[:2] for r in rows] == [e[:2] for e in expected]
    assert [r[2] for r in rows] == pytest.approx([e[2] for e in expected], abs=1e-12)
    assert [r[3] for r in rows] == [e[3] for e in expected]


def test_active_learning_queue_ranks_unlabeled_projects(built_fixture: Project) -> None:
    probabilities: dict[int, dict[str, float]] = {}
    for pid, tag, p in built_fixture.query(
            "select id, tag, probability from intermediate.int_project_tag_probabilities where not is_labeled"):
        probabilities.setdefault(pid, {})[tag] = p
    assert sorted(probabilities) == [7, 10]  # no tag row, and an empty tag
    queue = built_fixture.query(
        "select id, least_confidence, margin, entropy, rank_least_confidence, queue_position"
        " from active_learning_queue order by queue_position")
    for pid, least_confidence, margin, entropy, *_ in queue:
        top = sorted(probabilities[pid].values(), reverse=True)
        assert least_confidence == pytest.approx(1 - top[0])
        assert margin == pytest.approx(top[0] - top[1])
        assert entropy == pytest.approx(-sum(p * math.log(p) for p in top if p > 0))
    expected_order = sorted(probabilities, key=lambda pid: (-(1 - max(probabilities[pid].values())), pid))
    assert [r[0] for r in queue] == expected_order
    assert [r[5] for r in queue] == [1, 2]


def test_queue_variables_choose_the_strategy_and_the_size(clone_built: Project) -> None:
    ids = [r[0] for r in clone_built.query("select id from active_learning_queue order by queue_position")]
    assert len(ids) == 2  # the sample's two unlabeled projects
    result = clone_built.dbt("build", "--select", "active_learning_queue",
                             "--vars", "{active_learning_batch_size: 1, active_learning_strategy: entropy}")
    assert result.returncode == 0, result.stdout[-3000:]
    rows = clone_built.query("select id, strategy, rank_entropy from active_learning_queue")
    assert len(rows) == 1 and rows[0][1:] == ("entropy", 1)
    bad = clone_built.dbt("build", "--select", "active_learning_queue",
                          "--vars", "{active_learning_strategy: random}")
    assert bad.returncode != 0
    assert "active_learning_strategy must be least_confidence, margin or entropy; got 'random'" in bad.stdout


def test_a_broken_rule_pattern_fails_the_build_naming_the_rule(clone_built: Project) -> None:
    database = hashlib.sha256(clone_built.database.read_bytes()).hexdigest()
    before = clone_built.export_snapshot()
    with (clone_built.root / "seeds" / "labeling_functions.csv").open("a", encoding="utf-8") as f:
        f.write("broken_rule,mlops,regex,text,deploy(ment,An unclosed group.\n")
    result = clone_built.dbt("build")
    assert result.returncode != 0
    assert "FAILED assert_labeling_function_patterns_compile" in result.stdout
    assert "rule_name=broken_rule" in result.stdout and "does not compile" in result.stdout
    assert hashlib.sha256(clone_built.database.read_bytes()).hexdigest() == database
    assert clone_built.export_snapshot() == before


def test_label_issues_match_cleanlab_on_the_real_data(project: Project, mirror: Path) -> None:
    # The fast load path reads the mirror in place (the seed path needs the files copied in).
    project.build(LABELING_LOAD="read_csv", LABELING_RAW_DIR=str(mirror))
    rows = project.query(
        "select id, given_tag, tag, probability from intermediate.int_project_tag_probabilities"
        " where is_labeled order by id, tag")
    ids = sorted({r[0] for r in rows})
    classes = sorted({r[2] for r in rows})
    assert len(ids) == 955 and len(classes) == 6
    pred_probs = np.zeros((len(ids), len(classes)))
    given: dict[int, str] = {}
    position = {pid: i for i, pid in enumerate(ids)}
    for pid, given_tag, tag, p in rows:
        pred_probs[position[pid], classes.index(tag)] = p
        given[pid] = given_tag
    labels = np.array([classes.index(given[pid]) for pid in ids])

    mask = find_label_issues(labels, pred_probs, filter_by="confident_learning")
    flagged = {pid for pid, (is_issue,) in zip(ids, project.query(
        "select is_confident_learning_issue from label_issues order by id"))
        if is_issue}
    assert flagged == {ids[i] for i in np.flatnonzero(mask)}
    assert flagged, "the real data has label issues to find"
    for rank_by in ("self_confidence", "normalized_margin"):
        expected = [ids[i] for i in find_label_issues(
            labels, pred_probs, filter_by="confident_learning", return_indices_ranked_by=rank_by)]
        got = [r[0] for r in project.query(
            f"select id from label_issues where is_confident_learning_issue order by rank_by_{rank_by}")]
        assert got == expected, rank_by
    # Weak-label disagreements are flagged too, and every labeled project has a row.
    counts = project.query(
        "select count(*), count(*) filter (where weak_label_disagrees),"
        " count(*) filter (where is_label_issue) from label_issues")[0]
    assert counts[0] == 955 and counts[1] > 0 and counts[2] >= max(counts[1], len(flagged))
    # Every project is labeled upstream, so nothing is queued.
    assert project.query("select count(*) from active_learning_queue") == [(0,)]


def test_simulate_active_learning_writes_curve_and_plot(tmp_path: Path) -> None:
    result = run_script("simulate_active_learning.py", "--help")
    assert result.returncode == 0 and "uncertainty" in result.stdout
    result = run_script(
        "simulate_active_learning.py", "--raw-dir", str(REPO / "data" / "sample"), "--seed-size", "12",
        "--batch-size", "4", "--rounds", "3", "--repeats", "2", "--test-fraction", "0.25",
        "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    with (tmp_path / "learning_curve.csv").open(encoding="utf-8") as f:
        curve = list(csv.DictReader(f))
    strategies = {row["strategy"] for row in curve}
    assert strategies == {"random", "least_confidence", "margin", "entropy"}
    # Each strategy and repeat: rounds 0..3, labeled set growing by the batch size.
    rounds = [(int(r["round"]), int(r["n_labeled"])) for r in curve
              if r["strategy"] == "random" and r["repeat"] == "0"]
    assert rounds == [(0, 12), (1, 16), (2, 20), (3, 24)]
    assert all(0 <= float(r["accuracy"]) <= 1 and 0 <= float(r["macro_f1"]) <= 1 for r in curve)
    assert (tmp_path / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "least_confidence" in result.stdout and "random" in result.stdout


def probabilities_and_key(project: Project) -> tuple[list[tuple], set[str]]:
    rows = project.query("select id, tag, probability, fold, n_folds, classifier_input_sha256"
                         " from intermediate.int_project_tag_probabilities order by id, tag")
    return [r[:5] for r in rows], {r[5] for r in rows}


def test_the_classifier_is_reused_when_its_inputs_are_unchanged(clone_built: Project) -> None:
    """The classifier's result is cached by the hash of its inputs: an unchanged rebuild reuses
    it (and says so), a changed input or parameter retrains, and a lost or damaged cache entry
    is retrained to the very same probabilities."""
    select = ("--select", "int_project_tag_probabilities")
    before, keys = probabilities_and_key(clone_built)
    assert len(keys) == 1
    (key,) = keys
    cache = clone_built.root / ".build" / "cache" / "classifier"
    assert (cache / f"{key}.parquet").is_file()

    reused = clone_built.dbt("build", *select)
    assert reused.returncode == 0, reused.stdout[-3000:]
    assert f"labeling: classifier reused (inputs unchanged, key {key[:12]}" in reused.stdout
    assert "retrained" not in reused.stdout
    assert probabilities_and_key(clone_built) == (before, {key})

    # Lost: retrained, to the same probabilities and key. Damaged: retrained and replaced.
    shutil.rmtree(cache)
    lost = clone_built.dbt("build", *select)
    assert lost.returncode == 0 and "labeling: classifier retrained" in lost.stdout, lost.stdout[-3000:]
    assert probabilities_and_key(clone_built) == (before, {key})
    (cache / f"{key}.parquet").write_bytes(b"not parquet")
    damaged = clone_built.dbt("build", *select)
    assert damaged.returncode == 0, damaged.stdout[-3000:]
    assert "is not usable" in damaged.stdout and "labeling: classifier retrained" in damaged.stdout
    assert probabilities_and_key(clone_built) == (before, {key})

    # A parameter changes: retrained under another key.
    seed = clone_built.dbt("build", *select, "--vars", "{classifier_seed: 7}")
    assert seed.returncode == 0 and "labeling: classifier retrained" in seed.stdout, seed.stdout[-3000:]
    _, seed_keys = probabilities_and_key(clone_built)
    assert seed_keys != {key}

    # A label changes (a reviewer's correction): retrained, and the new label is learned from.
    with (clone_built.root / "seeds" / "label_corrections.csv").open("a", encoding="utf-8") as f:
        f.write("6,mlops,reviewer@example.com,cache test,2026-01-01 00:00:00\n")
    # (cautious: the tests that also read labeled_projects, which this selection does not
    # rebuild, are left out, as dbt's eager selection would run them against the old table.)
    changed = clone_built.dbt("build", "--select", "+int_project_tag_probabilities",
                              "--indirect-selection", "cautious")
    assert changed.returncode == 0 and "labeling: classifier retrained" in changed.stdout, changed.stdout[-3000:]
    _, changed_keys = probabilities_and_key(clone_built)
    assert changed_keys.isdisjoint({key} | seed_keys)
    given = clone_built.query("select distinct given_tag from intermediate.int_project_tag_probabilities where id = 6")
    assert given == [("mlops",)]  # was natural-language-processing in tags.csv
    # Only the newest results are kept.
    assert len(list(cache.glob("*.parquet"))) <= 5
