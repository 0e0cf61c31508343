"""The export is gated by the data tests: bad input fails the build and keeps the last export."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import Project


def append(path: Path, text: str) -> None:
    with path.open("ab") as handle:
        handle.write(text.encode("utf-8"))


def assert_failed_and_export_kept(project: Project, before: dict[str, str], rows_before: int) -> str:
    result = project.dbt("build")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-4000:]
    assert "SKIP relation main.labeled_projects_export" in output or "labeled_projects_export" in output
    assert project.export_snapshot() == before
    assert project.query("select count(*) from labeled_projects_export")[0][0] == rows_before
    return output


def test_duplicate_project_id_fails_and_keeps_previous_export(clone_built: Project) -> None:
    before = clone_built.export_snapshot()
    assert before, "the built sample has an export"
    sample = clone_built.root / "data" / "sample"
    append(sample / "projects.csv", "6,2021-01-01 00:00:00,A copy with id 6,Same id as the first project.\n")
    output = assert_failed_and_export_kept(clone_built, before, 46)
    assert "raw_rows_have_no_blocking_issues" in output
    stored = clone_built.query(
        "select raw_file, raw_row_number, project_id, issues from audit.raw_rows_have_no_blocking_issues",
        failed_build=True)
    assert sorted(stored) == [("projects.csv", 1, 6, ["duplicate_project_id"]),
                              ("projects.csv", 49, 6, ["duplicate_project_id"]),
                              ("tags.csv", 1, 6, ["duplicate_project_id"])]


def test_tag_outside_taxonomy_fails_and_names_the_value(clone_built: Project) -> None:
    before = clone_built.export_snapshot()
    sample = clone_built.root / "data" / "sample"
    text = (sample / "tags.csv").read_text(encoding="utf-8").replace("\n9,computer-vision", "\n9,computer_vision")
    (sample / "tags.csv").write_bytes(text.encode("utf-8"))
    output = assert_failed_and_export_kept(clone_built, before, 46)
    assert "labeled_projects_tag_in_taxonomy" in output
    stored = clone_built.query(
        "select offending_value, n_rows, example_ids from audit.labeled_projects_tag_in_taxonomy",
        failed_build=True)
    assert stored == [("computer_vision", 1, [9])]


def test_export_refuses_to_run_without_its_tests(clone_built: Project) -> None:
    before = clone_built.export_snapshot()
    result = clone_built.dbt("run")
    assert result.returncode != 0
    assert "not part of this invocation" in result.stdout
    assert "Run `dbt build`" in result.stdout
    assert clone_built.export_snapshot() == before


def test_empty_result_never_writes_an_export(project: Project) -> None:
    tags = project.root / "data" / "sample" / "tags.csv"
    lines = tags.read_text(encoding="utf-8").splitlines()
    tags.write_bytes(("\n".join([lines[0]] + [line.split(",")[0] + "," for line in lines[1:]]) + "\n").encode())
    result = project.dbt("build")
    assert result.returncode != 0
    assert "row_count_at_least" in result.stdout
    assert project.export_snapshot() == {}
    # Even when run alone, the export refuses an empty result instead of writing NULLs.
    alone = project.dbt("build", "--select", "labeled_projects_export", "--exclude", "test_type:data")
    assert alone.returncode != 0
    assert project.export_snapshot() == {}


def test_an_export_with_no_row_is_refused_whatever_its_tests_say(clone_built: Project) -> None:
    """The gate's own check, past the tests: an export model whose result is empty (here one with
    no test upstream, so no test can catch it) fails, and nothing is published; allow_empty lets
    an export that may be empty through."""
    before = clone_built.export_snapshot()
    probe = clone_built.root / "models" / "exports" / "empty_probe_export.sql"
    probe.write_text("{{ config(formats=['parquet']) }}\nselect 1 as id where false\n")
    result = clone_built.dbt("build", "--select", "empty_probe_export")
    assert result.returncode != 0
    assert "gated_export empty_probe_export: the result has 0 rows; refusing to publish an empty export" \
        in result.stdout, result.stdout[-3000:]
    assert clone_built.export_snapshot() == before
    probe.write_text("{{ config(formats=['parquet'], allow_empty=true) }}\nselect 1 as id where false\n")
    allowed = clone_built.dbt("build", "--select", "empty_probe_export")
    assert allowed.returncode == 0, allowed.stdout[-3000:]
    assert (clone_built.exports / "empty_probe_export.parquet").exists()


def test_taxonomy_with_an_ambiguous_alias_or_a_missing_parent_fails(clone_built: Project) -> None:
    before = clone_built.export_snapshot()
    taxonomy = clone_built.root / "seeds" / "tag_taxonomy.csv"
    text = taxonomy.read_text(encoding="utf-8")
    text = text.replace("mlops,,", "mlops,operations,", 1)  # a parent that is not a tag
    text = text.replace("rl|reinforcement", "rl|reinforcement|graph", 1)  # alias of graph-learning too
    taxonomy.write_text(text, encoding="utf-8")
    result = clone_built.dbt("build")
    assert result.returncode != 0
    assert "FAILED assert_tag_parents_exist" in result.stdout and "parent_tag=operations" in result.stdout
    assert "FAILED assert_tag_aliases_map_to_one_tag" in result.stdout and "alias_name=graph" in result.stdout
    assert clone_built.export_snapshot() == before


def test_the_gate_applies_its_rules_in_order() -> None:
    """``labeling.publish.refusal``, the one gate of both engines, on a small graph: a seed, a
    model, an export, a model downstream of the seed only, and their tests; then the tests it
    carries over from the published build in make build's edit loop (``carried_tests``)."""
    from labeling.publish import carried_tests, refusal

    def node(kind: str, name: str, parents: list[str], attached: str | None = None, **config: object) -> dict:
        return {"resource_type": kind, "name": name, "depends_on": {"nodes": parents}, "attached_node": attached,
                "config": {"materialized": config.pop("materialized", kind), **config}}

    nodes = {
        "seed.p.raw": node("seed", "raw", []),
        "model.p.clean": node("model", "clean", ["seed.p.raw"], materialized="table"),
        "model.p.out": node("model", "out", ["model.p.clean"], materialized="gated_export"),
        "model.p.aside": node("model", "aside", ["seed.p.raw"], materialized="view"),
        "test.p.unique_clean": node("test", "unique_clean", ["model.p.clean"], "model.p.clean"),
        "test.p.singular_on_raw": node("test", "singular_on_raw", ["seed.p.raw", "model.p.aside"]),
        "test.p.not_null_aside": node("test", "not_null_aside", ["model.p.aside"], "model.p.aside"),
    }
    everything = [{"unique_id": uid, "status": "pass" if uid.startswith("test") else "success"} for uid in nodes]
    assert refusal(nodes, everything, {"model.p.out": 3}) == ""
    assert refusal(nodes, [], {}) == "no node ran"
    failed = [{**r, "status": "fail"} if r["unique_id"] == "test.p.not_null_aside" else r for r in everything]
    assert refusal(nodes, failed, {"model.p.out": 3}) == "1 node(s) failed or were skipped"
    warned = [{**r, "status": "warn"} if r["unique_id"] == "test.p.unique_clean" else r for r in everything]
    assert refusal(nodes, warned, {"model.p.out": 3}) == ""
    # `dbt run`: the export ran without the tests of what it reads (a generic test on an upstream
    # model, a singular test reading an upstream seed); the test of the model beside it does not gate it.
    run = [r for r in everything if not r["unique_id"].startswith("test")]
    cause = refusal(nodes, run, {"model.p.out": 3})
    assert "out is an export gated by the data tests" in cause and "2 of them are not part of this invocation" in cause
    assert "test.p.singular_on_raw, test.p.unique_clean" in cause and "Run `dbt build`" in cause
    without_aside_test = [r for r in everything if r["unique_id"] != "test.p.not_null_aside"]
    assert refusal(nodes, without_aside_test, {"model.p.out": 3}) == ""
    assert refusal(nodes, everything, {"model.p.out": 0}) == \
        "gated_export out: the result has 0 rows; refusing to publish an empty export"
    nodes["model.p.out"]["config"]["allow_empty"] = True
    assert refusal(nodes, everything, {"model.p.out": 0}) == ""

    # The edit loop: only the export was edited, so only it ran (dbt's state selection). The
    # published build passed both gating tests; neither they nor what they read ran: carried over.
    edited = [{"unique_id": "model.p.out", "status": "success"}]
    passed_before = ["test.p.unique_clean", "test.p.singular_on_raw", "test.p.gone"]
    carried = carried_tests(nodes, edited, passed_before)
    assert carried == {"test.p.unique_clean", "test.p.singular_on_raw"}  # a test no longer defined is not
    assert refusal(nodes, edited, {"model.p.out": 3}, carried) == ""
    # The model was edited too: it ran, so its test must run; a result from before is not taken.
    both = [{"unique_id": "model.p.clean", "status": "success"}, *edited]
    assert carried_tests(nodes, both, passed_before) == {"test.p.singular_on_raw"}
    cause = refusal(nodes, both, {"model.p.out": 3}, carried_tests(nodes, both, passed_before))
    assert "1 of them are not part of this invocation (for example test.p.unique_clean)" in cause
    # A test the published build did not pass is never carried over.
    assert "test.p.singular_on_raw" in refusal(nodes, edited, {"model.p.out": 3},
                                               carried_tests(nodes, edited, ["test.p.unique_clean"]))


def test_spark_publish_asks_the_same_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``scripts/spark_publish.py``'s step (``labeling.spark.publish``) refuses what the gate refuses,
    from the build's ``target/manifest.json`` and ``run_results.json`` and the row counts the Spark
    materialization staged: here a ``dbt run`` (the export ran, the test upstream of it did not),
    then an empty export. No Spark is needed to read those files."""
    from labeling import spark

    for name in [n for n in os.environ if n.startswith("LABELING_")]:
        monkeypatch.delenv(name)
    project, build = tmp_path / "project", "00000000-0000-0000-0000-000000000001"
    stage = project / "spark" / "stage"
    (project / "target").mkdir(parents=True)
    (stage / build / "out.meta").mkdir(parents=True)
    (stage / "prepared.json").write_text(json.dumps({"command": "run", "invocation_id": build}))

    def node(kind: str, name: str, parents: list[str], attached: str | None = None, materialized: str = "") -> dict:
        return {"unique_id": f"{kind}.p.{name}", "resource_type": kind, "name": name, "attached_node": attached,
                "depends_on": {"nodes": parents}, "config": {"materialized": materialized or kind}}

    nodes = [node("model", "clean", [], materialized="table"), node("model", "out", ["model.p.clean"],
             materialized="gated_export"), node("test", "unique_clean", ["model.p.clean"], "model.p.clean")]
    (project / "target" / "manifest.json").write_text(json.dumps(
        {"metadata": {"invocation_id": build}, "nodes": {n["unique_id"]: n for n in nodes}}))

    def finished(*uids: str, rows: int) -> None:
        (project / "target" / "run_results.json").write_text(json.dumps(
            {"metadata": {"invocation_id": build}, "args": {"which": "build"},
             "results": [{"unique_id": uid, "status": "pass" if uid.startswith("test") else "success"}
                         for uid in uids]}))
        (stage / build / "out.meta" / "part-00000").write_text(json.dumps({"row_count": rows}))

    finished("model.p.clean", "model.p.out", rows=3)
    with pytest.raises(RuntimeError, match=r"out is an export gated .* 1 of them are not part of this invocation"):
        spark.publish(project)
    finished("model.p.clean", "test.p.unique_clean", "model.p.out", rows=0)
    with pytest.raises(RuntimeError, match="gated_export out: the result has 0 rows"):
        spark.publish(project)
    assert not (project / "spark" / "exports").exists()  # nothing was published
