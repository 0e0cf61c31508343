"""The annotation loop (issue 11): annotations in, agreement, decisions with history, tasks out.

Agreement figures are checked against the reference libraries themselves
(``sklearn.metrics.cohen_kappa_score``, ``statsmodels.stats.inter_rater.fleiss_kappa``, the
``krippendorff`` package) on fixtures with missing ratings, perfect agreement and chance-level
agreement; the round trip with a real Label Studio server is in ``test_label_studio.py``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

from annotation_fixtures import (Ratings, choices_result, prodigy_choice, write_doccano,
                                 write_label_studio, write_prodigy)
from conftest import PIPELINE_ONLY, Project, run_script

# The bundled sample's projects (ids 6, 9, ..., 147 step 3; 138 has an empty tag, 141 no tag row).
SAMPLE_IDS = [i for i in range(6, 148, 3)]
TAGS = ["computer-vision", "graph-learning", "mlops", "natural-language-processing",
        "reinforcement-learning", "time-series"]
AGREEMENT_MODELS = ("+annotation_agreement", "+annotator_pair_agreement", "+annotator_agreement",
                    "+annotation_votes")


def scenario(name: str) -> Ratings:
    """Rating fixtures: who said what about which project."""
    rng = random.Random(7)
    if name == "missing ratings":
        # Four annotators, twelve projects, each annotator skipping some; disagreements.
        ratings: Ratings = {a: {} for a in ("ann@x", "ben@x", "cat@x", "dan@x")}
        for n, pid in enumerate(SAMPLE_IDS[:12]):
            base = TAGS[n % 4]
            for k, annotator in enumerate(sorted(ratings)):
                if (n + k) % 5 == 4:
                    continue  # a missing rating
                ratings[annotator][pid] = base if (n * 3 + k) % 4 else TAGS[(n + k + 1) % 6]
        return ratings
    if name == "perfect agreement":
        return {a: {pid: TAGS[n % 3] for n, pid in enumerate(SAMPLE_IDS[:9])} for a in ("ann@x", "ben@x", "cat@x")}
    if name == "chance-level agreement":
        return {a: {pid: rng.choice(TAGS[:3]) for pid in SAMPLE_IDS[:30]} for a in ("ann@x", "ben@x", "cat@x")}
    raise ValueError(name)


def reference_figures(ratings: Ratings) -> dict:
    """Every agreement figure, computed by the reference libraries."""
    annotators = sorted(ratings)
    projects = sorted({p for given in ratings.values() for p in given})
    pairs = {}
    for a, b in itertools.combinations(annotators, 2):
        shared = sorted(set(ratings[a]) & set(ratings[b]))
        if not shared:
            continue
        y1, y2 = [ratings[a][p] for p in shared], [ratings[b][p] for p in shared]
        with np.errstate(all="ignore"):
            kappa = cohen_kappa_score(y1, y2)
        pairs[(a, b)] = (len(shared), sum(x == y for x, y in zip(y1, y2)) / len(shared),
                         None if math.isnan(kappa) else kappa)
    by_all = [p for p in projects if all(p in ratings[a] for a in annotators)]
    fleiss = None
    if by_all and len(annotators) >= 2:
        categories = sorted({ratings[a][p] for a in annotators for p in by_all})
        table = np.array([[sum(ratings[a][p] == c for a in annotators) for c in categories] for p in by_all])
        with np.errstate(all="ignore"):
            value = fleiss_kappa(table, method="fleiss")
        fleiss = None if math.isnan(value) else value
    codes = {t: i for i, t in enumerate(TAGS)}
    data = np.array([[codes[ratings[a][p]] if p in ratings[a] else np.nan for p in projects] for a in annotators])
    try:
        with np.errstate(all="ignore"):
            alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        alpha = None if math.isnan(alpha) else alpha
    except ValueError:  # one value in the whole domain
        alpha = None
    return {"pairs": pairs, "n_rated_by_all": len(by_all), "fleiss": fleiss, "alpha": alpha}


def close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)


@pytest.mark.parametrize("name", ["missing ratings", "perfect agreement", "chance-level agreement"])
def test_agreement_equals_the_reference_libraries(project: Project, tmp_path: Path, name: str) -> None:
    ratings = scenario(name)
    folder = tmp_path / "annotations"
    if name == "missing ratings":  # the same ratings through all three tools
        write_label_studio(folder, {a: r for a, r in ratings.items() if a in ("ann@x", "ben@x")})
        write_doccano(folder, {"cat@x": ratings["cat@x"]})
        write_prodigy(folder, [prodigy_choice("dan@x", pid, [tag]) for pid, tag in ratings["dan@x"].items()])
        ratings = {("doccano:cat@x" if a == "cat@x" else a): r for a, r in ratings.items()}
    else:
        write_label_studio(folder, ratings)
    project.build("--select", *AGREEMENT_MODELS, "--indirect-selection", "cautious",
                  LABELING_ANNOTATIONS_DIR=str(folder))
    expected = reference_figures(ratings)

    got_pairs = {(a, b): (n, p, k) for a, b, n, p, k in project.query(
        "select annotator_a, annotator_b, n_projects, percent_agreement, cohens_kappa from annotator_pair_agreement")}
    assert set(got_pairs) == set(expected["pairs"])
    for pair, (n, percent, kappa) in expected["pairs"].items():
        assert got_pairs[pair][0] == n and close(got_pairs[pair][1], percent), pair
        assert close(got_pairs[pair][2], kappa), (pair, got_pairs[pair][2], kappa)

    n_rated, fleiss, alpha = project.query(
        "select n_projects_rated_by_all, fleiss_kappa, krippendorff_alpha from annotation_agreement")[0]
    assert n_rated == expected["n_rated_by_all"]
    assert close(fleiss, expected["fleiss"]), (fleiss, expected["fleiss"])
    assert close(alpha, expected["alpha"]), (alpha, expected["alpha"])
    if name == "perfect agreement":
        assert fleiss == pytest.approx(1.0) and alpha == pytest.approx(1.0)
        assert all(k == pytest.approx(1.0) for *_, k in got_pairs.values())
    if name == "chance-level agreement":
        assert abs(fleiss) < 0.2 and abs(alpha) < 0.2
    if name == "missing ratings":
        assert 0 < n_rated < 12  # some projects miss a rating; Fleiss takes only the complete ones

    # Per annotator: agreement with the consensus, recomputed from the votes.
    consensus = dict(project.query("select id, consensus_tag from annotation_votes where consensus_tag is not null"))
    for annotator, agree in project.query("select annotator, agreement_with_consensus from annotator_agreement"):
        theirs = [(p, t) for p, t in ratings[annotator].items() if p in consensus]
        want = sum(consensus[p] == t for p, t in theirs) / len(theirs) if theirs else None
        assert close(agree, want), (annotator, agree, want)


def test_every_annotation_is_accounted_for(project: Project, tmp_path: Path) -> None:
    """Each kind of annotation a tool can export ends loaded or left out with its reason."""
    folder = tmp_path / "annotations"
    cancelled = {"id": 900, "completed_by": {"id": 9, "email": "zoe@x"}, "result": [], "was_cancelled": True,
                 "ground_truth": False, "updated_at": "2026-11-02T10:00:00Z"}
    several = {"id": 901, "completed_by": 9, "result": choices_result("mlops") + choices_result("time-series"),
               "was_cancelled": False, "updated_at": "2026-11-02T10:00:00Z"}
    empty = {"id": 902, "completed_by": {"id": 9, "email": "zoe@x"}, "result": [], "was_cancelled": False,
             "updated_at": "2026-11-02T10:00:00Z"}
    write_label_studio(folder, {"ann@x": {6: "mlops", 9: "nlp", 99999: "mlops"}, "ben@x": {6: "mlops"}},
                       extra={12: [cancelled, several], 15: [empty]})
    # The same export pulled twice (an earlier file): its annotations count once.
    write_label_studio(folder, {"ann@x": {6: "mlops"}}, name="an-earlier-pull.json")
    write_doccano(folder, {"cat": {6: "computer-vision"}})
    (folder / "doccano" / "dan.jsonl").write_text(
        json.dumps({"text": "x", "label": ["mlops"], "meta": {"id": "6.5"}}) + "\n" +
        json.dumps({"text": "x", "label": ["mlops"], "meta": {"id": 18}}) + "\n" +
        json.dumps({"text": "x", "label": ["time-series"], "meta": {"id": 18}}) + "\n", encoding="utf-8")
    write_prodigy(folder, [
        prodigy_choice("eve", 21, ["time-series"]),
        prodigy_choice("eve", 24, [], answer="reject"),
        prodigy_choice("eve", 27, [], answer="ignore"),
        {"text": "x", "label": "graph-learning", "answer": "accept", "meta": {"id": 39}, "_annotator_id": "eve"},
    ])
    project.build(*PIPELINE_ONLY, LABELING_ANNOTATIONS_DIR=str(folder))
    outcomes = {(f, r, n): (o, reason) for f, r, n, o, reason in project.query(
        "select source_file, record_number, annotation_number, outcome, reason from annotation_audit")}
    ls = "label_studio/export.json"
    assert outcomes[(ls, 1, 1)] == ("loaded", None)           # ann@x on 6
    assert outcomes[(ls, 2, 1)] == ("left_out", "tag_not_in_taxonomy")  # "nlp": aliases are not mapped
    assert outcomes[(ls, 3, 1)] == ("left_out", "cancelled")
    assert outcomes[(ls, 3, 2)] == ("left_out", "several_tags")
    assert outcomes[(ls, 4, 1)] == ("left_out", "empty")
    assert outcomes[(ls, 5, 1)] == ("left_out", "unknown_project")  # 99999
    assert ("label_studio/an-earlier-pull.json", 1, 1) in outcomes
    assert outcomes[("label_studio/an-earlier-pull.json", 1, 1)] == ("left_out", "duplicate_in_another_file")
    assert outcomes[("doccano/dan.jsonl", 1, 1)] == ("left_out", "invalid_project_id")
    assert outcomes[("doccano/dan.jsonl", 2, 1)] == ("left_out", "superseded")  # dan answered 18 again
    assert outcomes[("doccano/dan.jsonl", 3, 1)] == ("loaded", None)
    assert outcomes[("prodigy/db-out.jsonl", 2, 1)] == ("left_out", "rejected")
    assert outcomes[("prodigy/db-out.jsonl", 3, 1)] == ("left_out", "ignored")
    assert outcomes[("prodigy/db-out.jsonl", 4, 1)] == ("loaded", None)  # binary accept: its label
    # Conservation, per file: every annotation in the files is in the audit, once.
    assert len(outcomes) == 7 + 1 + 1 + 3 + 4
    annotators = dict(project.query("select project_id, list(annotator order by annotator) from "
                                    "intermediate.int_project_annotations where project_id = 6 group by all"))
    assert annotators[6] == ["ann@x", "ben@x", "doccano:cat"]


@pytest.mark.parametrize(("name", "write", "says"), [
    ("not JSON", lambda f: (f / "label_studio" / "broken.json").write_text('[{"id": 1,'),
     "label_studio/broken.json line 1 column 11: not valid JSON"),
    ("an object, not an array", lambda f: (f / "label_studio" / "obj.json").write_text('{"id": 1}'),
     "label_studio/obj.json: expected a JSON array of tasks"),
    ("a task without data.id", lambda f: (f / "label_studio" / "noid.json").write_text(
        '[{"id": 1, "data": {"title": "x"}, "annotations": []}]'), "noid.json task 1 (Label Studio id 1): has no data.id"),
    ("a bad JSONL line", lambda f: (f / "doccano" / "bad.jsonl").write_text(
        '{"text": "x", "label": ["mlops"], "meta": {"id": 6}}\n{oops\n'), "doccano/bad.jsonl line 2 column 2: not valid JSON"),
    ("a Prodigy answer that is not one", lambda f: (f / "prodigy" / "p.jsonl").write_text(
        '{"answer": "maybe", "meta": {"id": 6}, "accept": []}\n'), "prodigy/p.jsonl line 1: has answer 'maybe'"),
    ("an export outside the tools' folders", lambda f: (f / "export.json").write_text("[]"),
     "export.json: an export file outside the tools' folders is not read"),
    ("a key given twice", lambda f: (f / "label_studio" / "twice.json").write_text(
        '[{"id": 1, "data": {"id": 121, "id": 123}, "annotations": []}]'),
     "label_studio/twice.json task 1 (Label Studio id 1): the key 'id' appears twice in data"),
    ("a Label Studio CSV export", lambda f: (f / "label_studio" / "project-1.csv").write_text("id,tag\n"),
     "label_studio/project-1.csv: a Label Studio CSV export is not read: export the project as JSON"),
    ("a Prodigy time beyond any date", lambda f: (f / "prodigy" / "t.jsonl").write_text(
        '{"answer": "accept", "meta": {"id": 6}, "accept": ["mlops"], "_timestamp": 1e20}\n'),
     "prodigy/t.jsonl line 1: has _timestamp 1e+20, outside the times an annotation can have"),
    ("a Label Studio time before year 1 in UTC", lambda f: (f / "label_studio" / "t.json").write_text(json.dumps(
        [{"id": 1, "data": {"id": 6}, "annotations": [{"id": 1, "completed_by": 1, "result": [],
                                                       "updated_at": "0001-01-01T00:00:00+01:00"}]}])),
     "t.json task 1 (Label Studio id 1), annotation 1: has updated_at '0001-01-01T00:00:00+01:00', outside"),
    ("NaN", lambda f: (f / "label_studio" / "nan.json").write_text(
        '[{"id": 1, "data": {"id": 6}, "annotations": [{"id": 1, "completed_by": 1, "result": [], "lead_time": NaN}]}]'),
     "nan.json task 1 (Label Studio id 1): annotations[0].lead_time is NaN, which is not a finite number"),
    ("Infinity", lambda f: (f / "doccano" / "inf.jsonl").write_text(
        '{"text": "x", "label": ["mlops"], "meta": {"id": 6}, "score": -Infinity}\n'),
     "doccano/inf.jsonl line 1: score is -Infinity, which is not a finite number"),
    ("user numbers of two instances", lambda f: [(f / "label_studio" / name).write_text(json.dumps(
        [{"id": 1, "data": {"id": pid}, "annotations": [{"id": 1, "completed_by": 1, "result": []}]}]))
        for name, pid in (("a.json", 6), ("b.json", 9))],
     "they come from at least two Label Studio instances (annotation id 1 is one annotation in label_studio/a.json"),
    ("a result that is not a tag", lambda f: (f / "label_studio" / "spans.json").write_text(json.dumps(
        [{"id": 1, "data": {"id": 6}, "annotations": [{"id": 1, "completed_by": 1, "result": [
            {"type": "labels", "value": {"start": 0, "end": 3, "labels": ["mlops"]}}]}]}])),
     "spans.json task 1 (Label Studio id 1), annotation 1: result 1: has type 'labels'"),
])
def test_a_malformed_annotation_file_stops_the_build_and_changes_nothing(
        clone_built: Project, tmp_path: Path, name: str, write, says: str) -> None:
    folder = tmp_path / "annotations"
    for tool in ("label_studio", "doccano", "prodigy"):
        (folder / tool).mkdir(parents=True)
    write(folder)
    before = (hashlib.sha256(clone_built.database.read_bytes()).hexdigest(), clone_built.export_snapshot())
    result = clone_built.dbt("build", *PIPELINE_ONLY, LABELING_ANNOTATIONS_DIR=str(folder))
    assert result.returncode != 0
    assert says in result.stdout, result.stdout[-3000:]
    assert "Input check failed; nothing was loaded" in result.stdout and "Traceback" not in result.stdout
    assert (hashlib.sha256(clone_built.database.read_bytes()).hexdigest(), clone_built.export_snapshot()) == before


def test_a_named_annotation_folder_that_is_not_there_stops_the_build(clone_built: Project) -> None:
    before = (hashlib.sha256(clone_built.database.read_bytes()).hexdigest(), clone_built.export_snapshot())
    result = clone_built.dbt("build", *PIPELINE_ONLY, LABELING_ANNOTATIONS_DIR="data/anotations")
    assert result.returncode != 0
    assert "data/anotations: the annotations folder does not exist (LABELING_ANNOTATIONS_DIR names it)" \
        in result.stdout, result.stdout[-3000:]
    assert (hashlib.sha256(clone_built.database.read_bytes()).hexdigest(), clone_built.export_snapshot()) == before


def _ls_task(pid: int, annotations: list[dict], task_id: int = 1) -> dict:
    return {"id": task_id, "data": {"id": pid, "text": f"Project {pid}"}, "annotations": annotations}


def _ls_annotation(annotation_id: int, who: object, result: list[dict], updated: str = "2026-11-01T10:00:00Z") -> dict:
    return {"id": annotation_id, "completed_by": who, "result": result, "was_cancelled": False,
            "ground_truth": False, "updated_at": updated}


def test_one_reading_refuses_what_parsers_disagree_on_and_every_stray_entry(tmp_path: Path) -> None:
    """The parser both the check and the load use (labeling.annotations.read_folder): what it
    refuses names the file, the place and the rule; what it accepts it loads as records."""
    from labeling.annotations import read_folder

    def reading(files: dict[str, bytes | str]) -> tuple[list[str], list[dict]]:
        folder = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        found = read_folder(folder, "ann")
        return found.problems, found.records

    # A raw U+2028 inside a JSON string is one line of JSONL (JSON allows it), and loads.
    problems, records = reading({"doccano/a.jsonl": '{"label": ["mlops"], "meta": {"id": 6}, "text": "a\u2028b"}\n'})
    assert problems == [] and [r["choices"] for r in records] == [["mlops"]]
    # A lone surrogate is not a character: refused up front, naming the line (not later in a test).
    problems, _ = reading({"doccano/a.jsonl": '{"label": ["mlops"], "meta": {"id": 6}, "text": "\\ud83d"}\n'})
    assert problems and "ann/doccano/a.jsonl line 1: text holds a lone UTF-16 surrogate (\\ud83d)" in problems[0]
    # A key twice, in JSON lines too.
    problems, _ = reading({"prodigy/p.jsonl": '{"answer": "accept", "answer": "reject", "meta": {"id": 6}, "accept": []}\n'})
    assert "ann/prodigy/p.jsonl line 1: the key 'answer' appears twice" in problems[0]
    # completed_by that names nobody would merge two people: refused.
    problems, _ = reading({"label_studio/x.json": json.dumps([_ls_task(6, [_ls_annotation(1, {}, choices_result("mlops"))])])})
    assert "task 1 (Label Studio id 1), annotation 1: has a completed_by without email or id" in problems[0]
    # A UTF-8 byte order mark is accepted in every file, as in the raw CSVs and the seeds.
    problems, records = reading({"label_studio/x.json": b"\xef\xbb\xbf" + json.dumps(
        [_ls_task(6, [_ls_annotation(1, 3, choices_result("mlops"))])]).encode()})
    assert problems == [] and records[0]["annotator"] == "label_studio:user:3"
    # A taxonomy result gives the last element of each path; an upper-case suffix is read.
    taxonomy = [{"type": "taxonomy", "value": {"taxonomy": [["natural-language-processing"]]}}]
    problems, records = reading({"label_studio/upper.JSON": json.dumps([_ls_task(6, [_ls_annotation(1, 3, taxonomy)])])})
    assert problems == [] and records[0]["choices"] == ["natural-language-processing"]
    # Every entry that is not an export file is refused by name, with what to do instead.
    (tmp_path / "gone").mkdir()
    problems, _ = reading({"label_studio/export.csv": "id\n", "label_studio/noext": "[]", "label_studio/sub/x.json": "[]",
                           "doccano/alice.json": "{}", "notes.txt": "", "labelstudio/x.json": "[]", "README.md": "",
                           ".gitkeep": ""})
    (tmp_path / f"case{len(list(tmp_path.iterdir())) - 1}" / "prodigy").mkdir()
    assert [p.split(":")[0] for p in problems] == [
        "ann/doccano/alice.json", "ann/label_studio/export.csv", "ann/label_studio/noext", "ann/label_studio/sub/",
        "ann/labelstudio/", "ann/notes.txt"]
    folder = tmp_path / "links"
    (folder / "prodigy").mkdir(parents=True)
    (folder / "prodigy" / "db.jsonl").symlink_to(tmp_path / "gone" / "db.jsonl")
    assert read_folder(folder, "ann").problems == [
        f"ann/prodigy/db.jsonl: a symbolic link to {tmp_path / 'gone' / 'db.jsonl'}, which does not exist; "
        "fix or remove the link"]
    # A named folder that is not there is refused; the default one may be absent.
    assert "does not exist" in read_folder(tmp_path / "typo", "data/anotations", named=True).problems[0]
    assert read_folder(tmp_path / "typo", "data/annotations").problems == []
    # Out-of-range times, non-finite numbers and negative lead times are refused by place.
    for line, says in (('"_timestamp": 1790000000000', "has _timestamp 1790000000000, outside the times"),
                       ('"_timestamp": -1', "has _timestamp -1, outside the times"),
                       ('"x": NaN', "line 1: x is NaN, which is not a finite number"),
                       ('"x": 1e999', "line 1: x is 1e999, which is not a finite number"),
                       ('"x": ' + "9" * 5000, "line 1 column 1: not valid JSON: a number too large to read")):
        problems, _ = reading({"prodigy/p.jsonl": '{"answer": "accept", "meta": {"id": 6}, "accept": ["mlops"], '
                                                  + line + "}\n"})
        assert len(problems) == 1 and says in problems[0], problems
    problems, _ = reading({"label_studio/x.json": json.dumps([_ls_task(6, [_ls_annotation(1, 3, [], "2026-11-01T10:00:00Z")
                                                                           | {"lead_time": -4}])])})
    assert "has lead_time -4; expected a duration in seconds, a finite number of at least 0" in problems[0]


#: Values put in place of each field of a valid export: wrong types, empty, huge and
#: non-finite numbers, out-of-range times, NUL characters.
ODD_VALUES = [None, True, 0, -1, 1e20, 2**70, 1.5e308, "", "x", "NaN", "2026-13-45", "0001-01-01T00:00:00+01:00",
              "9999-12-31T23:59:59-01:00", [], [1], ["mlops"], [["a", "b"]], {}, {"id": None}, {"email": 3}, "\u0000"]


def test_no_annotation_file_makes_the_reader_fail_with_a_traceback(tmp_path: Path) -> None:
    """Every field of a valid export of each tool, replaced in turn by each of ``ODD_VALUES``:
    the reader loads the file or refuses it by place; it never raises."""
    from labeling.annotations import read_folder

    studio = {"id": 1, "data": {"id": 6, "text": "t"}, "annotations": [
        {"id": 1, "completed_by": {"id": 1, "email": "a@x"}, "result": choices_result("mlops"), "was_cancelled": False,
         "ground_truth": False, "lead_time": 3.0, "updated_at": "2026-11-01T10:00:00Z",
         "created_at": "2026-11-01T10:00:00Z"}]}
    doccano = {"id": 1, "text": "t", "label": ["mlops"], "meta": {"id": 6}, "user": "u"}
    binary = {"text": "t", "label": "mlops", "answer": "accept", "meta": {"id": 6}, "_annotator_id": "k",
              "_timestamp": 1_790_000_000}
    choice = prodigy_choice("k", 6, ["mlops"])

    def places(value: object, path: tuple = ()) -> list[tuple]:
        inner = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
        return [path] + [p for key, item in inner for p in places(item, (*path, key))]

    def replaced(value: object, path: tuple, new: object) -> object:
        if not path:
            return new
        copy = json.loads(json.dumps(value))
        parent = copy
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = new
        return copy

    cases = 0
    for tool, name, valid, write in (("label_studio", "x.json", studio, lambda o: json.dumps([o])),
                                     ("doccano", "x.jsonl", doccano, lambda o: json.dumps(o) + "\n"),
                                     ("prodigy", "x.jsonl", binary, lambda o: json.dumps(o) + "\n"),
                                     ("prodigy", "x.jsonl", choice, lambda o: json.dumps(o) + "\n")):
        for path in places(valid):
            for value in ODD_VALUES:
                folder = tmp_path / str(cases) / tool
                folder.mkdir(parents=True)
                (folder / name).write_text(write(replaced(valid, path, value)), encoding="utf-8")
                reading = read_folder(folder.parent, "ann")  # raises nothing
                assert all(p.startswith(f"ann/{tool}/x.json") for p in reading.problems), reading.problems
                cases += 1
    assert cases > 1000


def test_one_person_is_one_annotator(tmp_path: Path) -> None:
    """A Label Studio user number names a person within its instance: with the email it comes
    with in any file of that instance, it is that email; where the files cannot say who a bare
    number is, they are refused with what was found (several instances, or nothing shared)."""
    from labeling.annotations import read_folder

    def reading(files: dict[str, list[dict]]) -> tuple[list[str], list[tuple[str, str]]]:
        folder = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
        for name, tasks in files.items():
            (folder / "label_studio").mkdir(parents=True, exist_ok=True)
            (folder / "label_studio" / name).write_text(json.dumps(tasks))
        found = read_folder(folder, "ann")
        return found.problems, [(r["source_file"].split("/")[1], r["annotator"]) for r in found.records]

    alice = {"id": 1, "email": "alice@x"}
    first = _ls_annotation(11, alice, choices_result("mlops")) | {"created_at": "2026-11-01T09:00:00Z"}
    # One instance (b.json holds annotation 11 of a.json again), bare numbers in b.json: alice.
    problems, annotators = reading({
        "a.json": [_ls_task(6, [first])],
        "b.json": [_ls_task(6, [first | {"completed_by": 1}]),
                   _ls_task(9, [_ls_annotation(12, 1, choices_result("mlops"))], task_id=2)]})
    assert problems == [] and annotators == [("a.json", "alice@x"), ("b.json", "alice@x"), ("b.json", "alice@x")]
    # A number no email names, in one instance, stays the instance's user number.
    problems, annotators = reading({"a.json": [_ls_task(6, [first, _ls_annotation(12, 2, choices_result("mlops"))])]})
    assert problems == [] and annotators == [("a.json", "alice@x"), ("a.json", "label_studio:user:2")]
    # Nothing shared: nothing says b.json's user 1 is, or is not, alice.
    problems, _ = reading({"a.json": [_ls_task(6, [first])],
                           "b.json": [_ls_task(6, [_ls_annotation(40, 1, choices_result("mlops"))], task_id=7)]})
    assert len(problems) == 1 and ("ann/label_studio/: 2 files, and nothing in them shows that they come from one "
                                   "Label Studio instance") in problems[0]
    assert "label_studio/b.json (user 1). Re-export these files with the users' emails" in problems[0]
    # Annotation 1 is another annotation in each file: two instances, two user 1s.
    problems, _ = reading({"a.json": [_ls_task(6, [_ls_annotation(1, 1, choices_result("mlops"))])],
                           "b.json": [_ls_task(9, [_ls_annotation(1, 1, choices_result("mlops"))])]})
    assert "they come from at least two Label Studio instances (annotation id 1 is one annotation in " \
           "label_studio/a.json task 1 and another in label_studio/b.json task 1)" in problems[0]
    assert "label_studio/a.json (user 1); label_studio/b.json (user 1)" in problems[0]
    # With emails, several instances are no problem: the email names the person.
    problems, annotators = reading({"a.json": [_ls_task(6, [_ls_annotation(1, alice, choices_result("mlops"))])],
                                    "b.json": [_ls_task(9, [_ls_annotation(1, {"id": 1, "email": "bob@x"},
                                                                           choices_result("mlops"))])]})
    assert problems == [] and annotators == [("a.json", "alice@x"), ("b.json", "bob@x")]
    # Within one instance, one number with two emails: one export is wrong.
    problems, _ = reading({"a.json": [_ls_task(6, [first]),
                                      _ls_task(9, [_ls_annotation(12, {"id": 1, "email": "bob@x"},
                                                                  choices_result("mlops"))], task_id=2)]})
    assert "one Label Studio instance (files label_studio/a.json) has user 1 alice@x in label_studio/a.json task 1 " \
           "and user 1 bob@x in label_studio/a.json task 2" in problems[0]


def test_annotations_from_several_instances_and_the_latest_answer(project: Project, tmp_path: Path) -> None:
    """One annotator per file, each file numbering its annotations from 1 (as separate Label
    Studio instances write them): nothing is merged by id alone. An annotator's latest answer
    decides, even when it is left out. The records loaded are the parser's, row for row."""
    from labeling.annotations import read_folder

    folder = tmp_path / "annotations"
    ratings = {"ann@x": {6: "mlops", 9: "computer-vision", 12: "mlops"},
               "ben@x": {6: "mlops", 9: "computer-vision", 12: "time-series"},
               "cat@x": {6: "mlops", 9: "natural-language-processing", 12: "time-series"}}
    for annotator, given in ratings.items():
        write_label_studio(folder, {annotator: given}, name=f"{annotator.split('@')[0]}.json")
    # The same pull saved twice: one annotation, counted once.
    (folder / "label_studio" / "ann-again.json").write_bytes((folder / "label_studio" / "ann.json").read_bytes())
    # dan answered 15 mlops, later nlp (an alias, not in the taxonomy): nothing of dan counts on 15.
    later = [_ls_annotation(1, {"id": 1, "email": "dan@x"}, choices_result("mlops"), "2026-11-01T10:00:00Z"),
             _ls_annotation(2, {"id": 1, "email": "dan@x"}, choices_result("nlp"), "2026-11-02T10:00:00Z")]
    taxonomy = [{"type": "taxonomy", "value": {"taxonomy": [["graph-learning"]]}}]
    eve = [_ls_annotation(3, {"id": 2, "email": "eve@x"}, taxonomy)]
    (folder / "label_studio" / "dan.json").write_text(json.dumps([_ls_task(15, later), _ls_task(18, eve, 2)]))
    project.build(*PIPELINE_ONLY, LABELING_ANNOTATIONS_DIR=str(folder))

    outcomes = dict(((f, r, a), (o, why)) for f, r, a, o, why in project.query(
        "select source_file, record_number, annotation_number, outcome, reason from annotation_audit"))
    assert sum(o == "loaded" for o, _ in outcomes.values()) == 10  # 9 answers of three people + eve's
    assert {why for (f, _, _), (_, why) in outcomes.items() if f == "label_studio/ann-again.json"} == \
        {"duplicate_in_another_file"}
    assert outcomes[("label_studio/dan.json", 1, 1)] == ("left_out", "superseded")
    assert outcomes[("label_studio/dan.json", 1, 2)] == ("left_out", "tag_not_in_taxonomy")
    assert outcomes[("label_studio/dan.json", 2, 1)] == ("loaded", None)
    votes = dict(project.query("select id, consensus_status from annotation_votes"))
    assert votes == {6: "consensus", 9: "consensus", 12: "consensus", 18: "too_few_annotators"}
    assert 15 not in votes
    # What was loaded is what the check read, record for record.
    loaded = project.query("select tool, source_file, record_number, annotation_number, raw_project_id, "
                           "annotator, chosen_tags from annotation_audit order by all")
    read = read_folder(folder, str(folder)).records
    assert loaded == sorted((r["tool"], r["source_file"], r["record_number"], r["annotation_number"],
                             r["raw_project_id"], r["annotator"], r["choices"]) for r in read)


def test_one_annotator_per_person_and_answers_that_retire_only_what_they_contradict(
        project: Project, tmp_path: Path) -> None:
    """End to end: alice, by email in one Label Studio export and by her bare user number in
    another export of the same instance, is one annotator; in Prodigy's binary interface a
    reject of one label leaves an accept of another, and the latest answer about a label wins."""
    folder = tmp_path / "annotations"
    alice = {"id": 1, "email": "alice@x"}
    first = _ls_annotation(11, alice, choices_result("mlops"), "2026-11-01T10:00:00Z") | {"created_at": "2026-11-01T10:00:00Z"}
    later = _ls_annotation(12, 1, choices_result("computer-vision"), "2026-11-02T10:00:00Z")
    bob = _ls_annotation(13, {"id": 2, "email": "bob@x"}, choices_result("computer-vision"), "2026-11-01T11:00:00Z")
    (folder / "label_studio").mkdir(parents=True)
    (folder / "label_studio" / "a.json").write_text(json.dumps([_ls_task(6, [first, bob])]))
    (folder / "label_studio" / "b.json").write_text(json.dumps([_ls_task(6, [first | {"completed_by": 1}, later])]))

    def binary(pid: int, label: str, answer: str, at: int) -> dict:
        return {"text": f"Project {pid}", "label": label, "answer": answer, "meta": {"id": pid},
                "_annotator_id": "kim", "_session_id": "kim", "_timestamp": 1_790_000_000 + at, "_view_id": "classification"}

    write_prodigy(folder, [
        binary(21, "time-series", "accept", 1), binary(21, "mlops", "reject", 2),        # 1, 2
        binary(24, "mlops", "accept", 1), binary(24, "computer-vision", "accept", 2),    # 3, 4
        binary(27, "mlops", "accept", 1), binary(27, "mlops", "reject", 2),              # 5, 6
        binary(39, "graph-learning", "accept", 1), binary(39, "graph-learning", "ignore", 2),  # 7, 8
        prodigy_choice("kim", 33, ["natural-language-processing"], timestamp=1_790_000_001),   # 9
        binary(33, "computer-vision", "reject", 2),                                        # 10
        prodigy_choice("kim", 36, ["natural-language-processing"], timestamp=1_790_000_001),   # 11
        binary(36, "natural-language-processing", "reject", 2),                            # 12
    ])
    project.build(*PIPELINE_ONLY, LABELING_ANNOTATIONS_DIR=str(folder))
    audit = {(f.split("/")[1], r, n): (a, o, why) for f, r, n, a, o, why in project.query(
        "select source_file, record_number, annotation_number, annotator, outcome, reason from annotation_audit")}
    # annotation 11 pulled twice counts once (its copy in the later file), and alice's later
    # answer supersedes it: one person, whichever way an export names her
    assert audit[("a.json", 1, 1)] == ("alice@x", "left_out", "duplicate_in_another_file")
    assert audit[("b.json", 1, 1)] == ("alice@x", "left_out", "superseded")
    assert audit[("b.json", 1, 2)] == ("alice@x", "loaded", None)
    assert dict(project.query("select id, n_annotators from annotation_votes where id = 6")) == {6: 2}
    kim = {r: (o, why) for (f, r, _), (_, o, why) in audit.items() if f == "db-out.jsonl"}
    assert kim == {1: ("loaded", None), 2: ("left_out", "rejected"),
                   3: ("left_out", "superseded"), 4: ("loaded", None),
                   5: ("left_out", "superseded"), 6: ("left_out", "rejected"),
                   7: ("left_out", "superseded"), 8: ("left_out", "ignored"),
                   9: ("loaded", None), 10: ("left_out", "rejected"),
                   11: ("left_out", "superseded"), 12: ("left_out", "rejected")}
    tags = dict(project.query("select project_id, tag from intermediate.int_project_annotations where annotator = 'kim'"))
    assert tags == {21: "time-series", 24: "computer-vision", 33: "natural-language-processing"}


def test_decisions_corrections_and_history(project: Project, tmp_path: Path) -> None:
    """Annotations and a reviewer's correction change labeled_projects, its export and its
    manifest; the snapshot keeps what the label was before, who changed it and why."""
    folder = tmp_path / "annotations"
    write_label_studio(folder, {
        "ann@x": {6: "mlops", 9: "computer-vision", 141: "time-series", 12: "mlops"},
        "ben@x": {6: "mlops", 9: "mlops", 141: "time-series", 12: "graph-learning"},
        "cat@x": {6: "computer-vision", 9: "computer-vision"},
    })
    project.build(*PIPELINE_ONLY, LABELING_ANNOTATIONS_DIR=str(folder))
    labels = dict(project.query("select id, tag from labeled_projects"))
    assert labels[6] == "mlops"            # 2 of 3 against the given natural-language-processing
    assert labels[141] == "time-series"    # no tag row before; now labeled by consensus
    assert labels[12] == "mlops"           # 1-1 tie: nothing guessed, the given tag stays
    assert dict(project.query("select id, reason from adjudication_queue")) == {12: "tie"}
    sources = dict(project.query("select label_source, count(*) from label_provenance group by all"))
    assert sources == {"tags_csv": 44, "annotation_consensus": 3}
    manifest = json.loads((project.exports / "manifest.json").read_text())
    assert manifest["label_sources"] == sources and manifest["row_count"] == 47
    assert any(name.startswith("annotations/label_studio/") for name in manifest["inputs"])
    rows = {r["id"]: r["tag"] for r in csv.DictReader(io.StringIO(
        (project.exports / "labeled_projects.csv").read_text(), newline=""))}
    assert rows["6"] == "mlops" and rows["141"] == "time-series"
    audit = dict(project.query("select project_id, label_source from raw_row_audit "
                               "where raw_file = 'projects.csv' and project_id in (6, 141)"))
    assert audit == {6: "annotation_consensus", 141: "annotation_consensus"}

    # A reviewer settles the tie and overrules the annotators on project 6.
    corrections = project.root / "seeds" / "label_corrections.csv"
    with corrections.open("a", encoding="utf-8") as f:
        f.write("12,graph-learning,rita@x,adjudicated the 1-1 tie: a knowledge graph project,2026-11-20 09:00:00\n")
        f.write("6,natural-language-processing,rita@x,reviewed label_issues: it is about text,2026-11-20 09:05:00\n")
    project.build(*PIPELINE_ONLY, LABELING_ANNOTATIONS_DIR=str(folder))
    labels = dict(project.query("select id, tag from labeled_projects"))
    assert labels[12] == "graph-learning" and labels[6] == "natural-language-processing"
    assert project.query("select count(*) from adjudication_queue") == [(0,)]
    history = project.query(
        "select tag, label_source, corrected_by, correction_reason, dbt_valid_to is null "
        "from snapshots.label_history where id = 6 order by dbt_valid_from")
    assert history == [("mlops", "annotation_consensus", None, None, False),
                       ("natural-language-processing", "reviewer_correction", "rita@x",
                        "reviewed label_issues: it is about text", True)]
    manifest = json.loads((project.exports / "manifest.json").read_text())
    assert manifest["label_sources"] == {"tags_csv": 43, "annotation_consensus": 2, "reviewer_correction": 2}

    # The queries of step 4 of the loop's walk-through run as written on this database.
    page = (Path(__file__).resolve().parent.parent / "docs" / "annotation_loop.md").read_text(encoding="utf-8")
    step = page[page.index("4. **Read agreement and decisions.**"):page.index("5. **Decide and keep the history.**")]
    queries = [line.split(";")[0].strip() for line in step.splitlines() if line.strip().startswith("select ")]
    assert len(queries) == 6
    for sql in queries:
        project.query(sql)

    # The README's history questions, as the saved analyses answer them.
    compiled = project.dbt("compile", "--select", "label_history_of_a_project labels_changed_between_builds",
                           "--vars", "{history_project_id: 6}")
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    analyses = project.root / "target" / "compiled" / "mwml_labeling" / "analyses"
    before = run_script("query.py", "--format", "json", "--file", str(analyses / "label_history_of_a_project.sql"),
                        cwd=project.root)
    versions = json.loads(before.stdout)
    assert [(v["tag"], v["label_source"], v["corrected_by"]) for v in versions] == [
        ("mlops", "annotation_consensus", None), ("natural-language-processing", "reviewer_correction", "rita@x")]
    changed = run_script("query.py", "--format", "json", "--file", str(analyses / "labels_changed_between_builds.sql"),
                         cwd=project.root)
    assert {(c["id"], c["tag_before"], c["tag_after"], c["corrected_by"]) for c in json.loads(changed.stdout)} == {
        (6, "mlops", "natural-language-processing", "rita@x"), (12, "mlops", "graph-learning", "rita@x")}

    # A correction for a project that does not exist, or with a tag outside the taxonomy,
    # fails the build naming it, and changes nothing.
    before = project.export_snapshot()
    with corrections.open("a", encoding="utf-8") as f:
        f.write("424242,mlops,rita@x,typo in the id,2026-11-21 09:00:00\n")
    failed = project.dbt("build", *PIPELINE_ONLY, LABELING_ANNOTATIONS_DIR=str(folder))
    assert failed.returncode != 0 and "label_corrections_are_for_known_projects" in failed.stdout
    assert "424242" in failed.stdout and project.export_snapshot() == before


def test_tasks_out_in_every_format(project: Project) -> None:
    """The tasks chosen by a var, as Label Studio, Doccano and Prodigy import them, and the
    labeling config generated from the taxonomy (a new tag appears in it)."""
    taxonomy = project.root / "seeds" / "tag_taxonomy.csv"
    with taxonomy.open("a", encoding="utf-8") as f:
        f.write('audio,,"Sound and music: speech recognition, audio classification & tagging.",sound|music\n')
    project.build("--vars", "{annotation_task_source: ids, annotation_task_ids: [141, 9, 138]}")
    folder = project.exports / "annotation"
    tasks = json.loads((folder / "tasks.label_studio.json").read_text())
    assert [t["data"]["id"] for t in tasks] == [141, 9, 138]
    for task in tasks:
        assert set(task) == {"data", "predictions", "meta"} and task["meta"]["id"] == task["data"]["id"]
        assert task["data"]["text"].startswith(task["data"]["title"])
        top = task["predictions"][0]
        assert top["model_version"].startswith("tfidf_logreg@") and 0 < top["score"] <= 1
        assert top["result"][0]["value"]["choices"][0] in TAGS
    weak = [p for t in tasks for p in t["predictions"] if p["model_version"].startswith("majority_vote@")]
    assert weak, "the weak label is the second prediction where one exists"
    doccano = [json.loads(line) for line in (folder / "tasks.doccano.jsonl").read_text().splitlines()]
    prodigy = [json.loads(line) for line in (folder / "tasks.prodigy.jsonl").read_text().splitlines()]
    assert [d["meta"]["id"] for d in doccano] == [p["meta"]["id"] for p in prodigy] == [141, 9, 138]
    assert all(set(d) == {"text", "label", "meta"} for d in doccano)
    assert all({o["id"] for o in p["options"]} == set(TAGS) | {"audio"} for p in prodigy)
    config = ET.fromstring((folder / "label_config.xml").read_text())
    choices = {c.get("value"): c.get("hint") for c in config.iter("Choice")}
    assert set(choices) == set(TAGS) | {"audio"}
    assert choices["audio"] == "Sound and music: speech recognition, audio classification & tagging. Also called: sound, music."
    manifest = json.loads((folder / "tasks.manifest.json").read_text())
    assert manifest["row_count"] == 3 and set(manifest["files"]) == {
        "annotation/tasks.parquet", "annotation/tasks.label_studio.json",
        "annotation/tasks.doccano.jsonl", "annotation/tasks.prodigy.jsonl"}

    # An id that is not a project fails the build, naming it.
    failed = project.dbt("build", "--vars", "{annotation_task_source: ids, annotation_task_ids: [9, 77777]}")
    assert failed.returncode != 0 and "assert_requested_task_ids_exist" in failed.stdout and "77777" in failed.stdout
