"""Raw data that arrives in batches (issue 12, target 5): ``LABELING_RAW_DIR/batches/<name>/``.

A new batch is applied incrementally (only its rows are read, only the ids it touches are
recomputed), and the result equals a full build of the same rows, table by table and byte for
byte in the export. A batch applied twice is read once; a batch that repeats an earlier id fails
the build like any duplicate, and a batch with a bad value fails it naming the batch's file and
line, both leaving the last good state published; a changed batch rebuilds everything; the seed
path refuses a batches folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import PIPELINE_ONLY, REPO, Project

READ_CSV = {"LABELING_LOAD": "read_csv", "LABELING_RAW_DIR": "raw"}
#: The tables that grow batch by batch, and what is computed from them.
TABLES = ["stg_madewithml__projects", "stg_madewithml__tags", "int_raw_ids_classified",
          "int_label_decisions", "labeled_projects", "raw_row_audit", "raw_row_outcomes"]


def write_batch(project: Project, name: str, projects: str, tags: str) -> Path:
    folder = project.root / "raw" / "batches" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "projects.csv").write_text("id,created_on,title,description\n" + projects, encoding="utf-8")
    (folder / "tags.csv").write_text("id,tag\n" + tags, encoding="utf-8")
    return folder


def with_raw_copy(project: Project) -> Project:
    shutil.copytree(REPO / "data" / "sample", project.root / "raw")
    return project


def table_rows(project: Project, name: str) -> list[tuple]:
    [(schema,)] = project.query(f"select table_schema from information_schema.tables where table_name = '{name}'")
    return project.query(f'select * from "{schema}"."{name}" order by all')


def plan_line(result) -> str:
    return next(line for line in result.stdout.splitlines() if "labeling: batches:" in line)


def test_a_new_batch_is_applied_incrementally_and_equals_a_full_build(project: Project, tmp_path: Path) -> None:
    project = with_raw_copy(project)
    first = project.build(**READ_CSV)
    assert "full build (no batches recorded in the database (first build)); reading initial" in plan_line(first)

    # Two new projects with tags, a tag for project 141 (it had no tag row: now labeled), and a
    # project that arrives without a tag (left out, listed in the audit).
    write_batch(project, "2026-12-01",
                "2001,2021-03-01 10:00:00,Transformers for code,Summarize pull requests.\n"
                "2002,2021-03-02 10:00:00,Sales forecasting,ARIMA against gradient boosting.\n"
                "2003,2021-03-03 10:00:00,Untagged,Nobody tagged this yet.\n",
                "2001,natural-language-processing\n2002,time-series\n141,mlops\n")
    # The incremental build joins in pieces of 10 rows (labeling_pieces); the full build below
    # in one: the tables are the same. The setting is not an input, so the plan stays incremental.
    second = project.build(**READ_CSV, LABELING_PIECE_ROWS="10")
    assert "incremental build (only new batches); reading 2026-12-01" in plan_line(second)
    compiled = project.root / "target" / "compiled" / "mwml_labeling" / "models"
    assert (compiled / "marts" / "labeled_projects.sql").read_text().count("union all") == 5
    assert (compiled / "intermediate" / "int_label_decisions.sql").read_text().count("union all") == 5
    assert project.query("select batch, raw_file, n_rows, applied_in_mode from raw_batches order by all") == [
        ("2026-12-01", "projects.csv", 3, "incremental"), ("2026-12-01", "tags.csv", 3, "incremental"),
        ("initial", "projects.csv", 48, "full"), ("initial", "tags.csv", 47, "full")]
    assert project.query("select id, tag from labeled_projects where id in (141, 2001, 2002, 2003) order by id") == [
        (141, "mlops"), (2001, "natural-language-processing"), (2002, "time-series")]
    assert project.query("select raw_file, batch, raw_row_number, project_id, outcome, reason from raw_row_audit "
                         "where project_id in (141, 2003) order by all") == [
        ("projects.csv", "2026-12-01", 3, 2003, "left_out", "no_tag_row")]
    manifest = json.loads((project.exports / "current" / "manifest.json").read_text(encoding="utf-8"))
    assert {"projects.csv", "tags.csv", "batches/2026-12-01/projects.csv", "batches/2026-12-01/tags.csv"} <= set(
        manifest["inputs"])
    assert "projects.csv labeled=49" in second.stdout and "projects.csv left_out:no_tag_row=1" in second.stdout

    # The same rows built from scratch give the same tables and the same export bytes.
    full = Project(tmp_path / "full")
    top = {"target", "logs", ".build", "exports", "labeling.duckdb", "labeling.duckdb.wal"}
    shutil.copytree(project.root, full.root, symlinks=True,
                    ignore=lambda folder, names: top & set(names) if Path(folder) == project.root else set())
    rebuilt = full.build("--full-refresh", **READ_CSV)
    assert "full build (--full-refresh); reading initial, 2026-12-01" in plan_line(rebuilt)
    for table in TABLES:
        assert table_rows(project, table) == table_rows(full, table), table
    # The history compared only the touched ids, and has the same current labels.
    current = ("select id, tag, label_source from snapshots.label_history where dbt_valid_to is null "
               "order by all")
    assert project.query(current) == full.query(current)
    assert project.query("select count(*) from snapshots.label_history where id in (141, 2001, 2002)") == [(3,)]
    for name in ("labeled_projects.csv", "labeled_projects.parquet"):
        assert (project.exports / "current" / name).read_bytes() == (full.exports / "current" / name).read_bytes()

    # Nothing new: nothing is read again, nothing changes.
    before = table_rows(project, "labeled_projects")
    third = project.build(**READ_CSV)
    assert "incremental build (only new batches); reading no new batch" in plan_line(third)
    assert table_rows(project, "labeled_projects") == before
    assert project.query("select count(*) from raw_batches") == [(4,)]


def test_bad_batches_fail_and_leave_the_last_good_state(project: Project) -> None:
    # The pipeline alone: the workflow on top of an incremental build is the test above's.
    project = with_raw_copy(project)
    project.build(*PIPELINE_ONLY, **READ_CSV)
    published = project.export_snapshot()

    # An id that an earlier batch already has is a duplicate like any other: the build fails,
    # the audit names both raw rows and their batches, and nothing is published.
    write_batch(project, "0001", "6,2021-03-01 10:00:00,Again,The same id as the initial file.\n",
                "6,mlops\n")
    failed = project.dbt("build", *PIPELINE_ONLY, **READ_CSV)
    assert failed.returncode == 1
    assert "raw_rows_have_no_blocking_issues" in failed.stdout
    assert project.query("select raw_file, batch, issues from raw_row_audit where project_id = 6 order by all",
                         failed_build=True) == [
        ("projects.csv", "0001", ["duplicate_project_id", "duplicate_tag_row"]),
        ("projects.csv", "initial", ["duplicate_project_id", "duplicate_tag_row"]),
        ("tags.csv", "0001", ["duplicate_tag_row", "duplicate_project_id"]),
        ("tags.csv", "initial", ["duplicate_tag_row", "duplicate_project_id"])]
    assert project.export_snapshot() == published
    assert project.query("select distinct batch from raw_batches") == [("initial",)]
    shutil.rmtree(project.root / "raw" / "batches" / "0001")

    # A value outside its canonical form names the batch's file, line, column and value.
    write_batch(project, "0002", "3001,2021-03-01T10:00:00,Bad time,A T separator.\n", "3001,mlops\n")
    failed = project.dbt("build", *PIPELINE_ONLY, **READ_CSV)
    assert failed.returncode == 1
    assert "batches/0002/projects.csv line 2, column created_on: '2021-03-01T10:00:00'" in failed.stdout
    assert project.export_snapshot() == published

    # Fixed, it applies; then editing an applied batch rebuilds everything, saying why.
    write_batch(project, "0002", "3001,2021-03-01 10:00:00,Good time,Fixed.\n", "3001,mlops\n")
    assert "reading 0002" in plan_line(project.build(*PIPELINE_ONLY, **READ_CSV))
    write_batch(project, "0002", "3001,2021-03-01 10:00:00,Good time,Edited after it was applied.\n",
                "3001,mlops\n")
    rebuilt = project.build(*PIPELINE_ONLY, **READ_CSV)
    assert ("full build (batch 0002 (projects.csv) changed since it was applied (batches are append-only)); "
            "reading initial, 0002") in plan_line(rebuilt)
    assert project.query("select description from labeled_projects where id = 3001") == [
        ("Edited after it was applied.",)]


def test_batches_folder_checks(project: Project) -> None:
    project = with_raw_copy(project)
    write_batch(project, "0001", "", "")
    # On the seed path dbt would load each batch file as another seed: refused before parsing.
    refused = project.dbt("build", LABELING_RAW_DIR="raw")
    assert refused.returncode != 0
    assert "batches are read in place by DuckDB and need the fast load path (LABELING_LOAD=read_csv" in (
        refused.stdout + refused.stderr)
    # A batch without its tags.csv, and a stray file, are named.
    (project.root / "raw" / "batches" / "0001" / "tags.csv").unlink()
    (project.root / "raw" / "batches" / "0001" / "notes.txt").write_text("hi", encoding="utf-8")
    refused = project.dbt("build", **READ_CSV)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "batches/0001: tags.csv missing" in output
    assert "batches/0001: notes.txt is not a batch file" in output


def test_the_plan_says_why_a_build_is_full(tmp_path: Path) -> None:
    """``labeling.batches.plan`` without dbt: each reason for a full build, and the incremental case."""
    from labeling.batches import plan

    root = tmp_path / "project"
    raw = root / "raw"
    raw.mkdir(parents=True)
    (raw / "projects.csv").write_text("id,created_on,title,description\n", encoding="utf-8")
    (raw / "tags.csv").write_text("id,tag\n", encoding="utf-8")
    environ: dict[str, str] = {}

    def decide(recorded: list[dict], full_refresh: bool = False, missing: list[str] | None = None,
               invocation: str = "") -> dict:
        return plan(root, raw, recorded, full_refresh, missing or [], invocation, environ=environ)

    first = decide([])
    assert (first["mode"], first["reason"], first["new"]) == (
        "full", "no batches recorded in the database (first build)", ["initial"])
    key = first["rebuild_key"]
    applied = [{"batch": "initial", "raw_file": name, "sha256": "", "rebuild_key": key}
               for name in ("projects.csv", "tags.csv")]
    assert decide(applied)["mode"] == "incremental" and decide(applied)["new"] == []

    folder = raw / "batches" / "0001"
    folder.mkdir(parents=True)
    (folder / "projects.csv").write_text("id,created_on,title,description\n1,2021-01-01 00:00:00,t,d\n")
    (folder / "tags.csv").write_text("id,tag\n1,mlops\n")
    second = decide(applied)
    assert (second["mode"], second["new"]) == ("incremental", ["0001"])
    applied += [{"batch": "0001", "raw_file": name, "sha256": spec["sha256"], "rebuild_key": key}
                for name, spec in second["batches"][1]["files"].items()]
    assert decide(applied)["new"] == []

    assert decide(applied, full_refresh=True)["reason"] == "--full-refresh"
    assert decide(applied, missing=["labeled_projects"])["reason"] == "the database has no labeled_projects"
    assert decide(applied, invocation='{"vars": {"annotation_min_annotators": 3}}')["mode"] == "full"
    environ["LABELING_MEMORY_LIMIT"] = "8GB"
    assert decide(applied)["reason"].startswith("the project, the initial raw files")
    del environ["LABELING_MEMORY_LIMIT"]
    environ["LABELING_PIECE_ROWS"] = "7"  # how the joins run, not what they give: no rebuild
    assert decide(applied)["mode"] == "incremental"
    del environ["LABELING_PIECE_ROWS"]
    (folder / "tags.csv").write_text("id,tag\n1,time-series\n")
    changed = decide(applied)
    assert changed["reason"] == "batch 0001 (tags.csv) changed since it was applied (batches are append-only)"
    assert changed["new"] == ["initial", "0001"]
    shutil.rmtree(folder)
    assert decide(applied)["reason"] == "batch 0001 (projects.csv) was applied but is gone (batches are append-only)"
    (raw / "tags.csv").write_text("id,tag\n2,mlops\n", encoding="utf-8")
    assert decide(applied[:2])["reason"].startswith("the project, the initial raw files")
