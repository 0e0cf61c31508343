"""The same project on Apache Spark (``dbt build --target spark``, then scripts/spark_publish.py):
in-process (dbt-spark's session method), on a Spark Connect and on a Thrift server (the cluster
paths, targets spark_connect and spark_thrift).

Each test builds a copy of the project on DuckDB and on Spark and checks that every table the two
engines build is the same (same columns, same rows; floats within 1e-9; the build's invocation id
aside), that the exported files are the same bytes, that the CSV export equals what the lesson's
pandas code writes (real data), and that Spark's gate publishes nothing when a data test fails.
Spark runs from .venv-spark (make spark-setup), which CI installs (make test-deps).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from annotation_fixtures import choices_result, prodigy_choice, write_doccano, write_label_studio, write_prodigy
from conftest import BIN, PIPELINE_ONLY, REPO, Project, run_script

SPARK_PYTHON = REPO / ".venv-spark" / "bin" / "python"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

pytestmark = pytest.mark.slow

#: The classifier (a dbt Python model) and the models that read its probabilities: enabled
#: where the target runs Python models (var python_models in dbt_project.yml).
NEEDS_PYTHON_MODELS = ("int_project_tag_probabilities", "label_issues", "active_learning_queue",
                       "annotation_tasks", "annotation_tasks_export", "int_annotation_dawid_skene",
                       "int_labeling_function_label_model", "annotator_reliability", "annotator_confusion")
#: How many relations Spark builds (and the test compares with DuckDB's) without the labeling
#: workflow (PIPELINE_ONLY), and with it: every model and seed but the DuckDB-only raw_batches
#: and labeling_progress and those that need Python models.
PIPELINE_RELATIONS, ALL_RELATIONS = 28, 35
#: Columns filled from a Python model's output where those run, and NULL on the Spark targets
#: without them: compared as NULL on Spark, left out of the comparison with DuckDB.
PYTHON_MODEL_COLUMNS = {"weak_labels": {"label_model_tag", "label_model_posterior"},
                        "labeling_function_summary": {"estimated_accuracy"}}


def spark_python() -> Path:
    if not SPARK_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail(".venv-spark is needed in CI (make test-deps installs it: make spark-setup)")
        pytest.skip(".venv-spark is not installed (make spark-setup)")
    return SPARK_PYTHON


def spark_build(project: Project, *args: str, target: str = "spark", dump: Path | None = None,
                **env: str) -> subprocess.CompletedProcess[str]:
    """What ``make build TARGET=spark`` runs, in the copy: ``dbt build --target TARGET ARGS`` from
    .venv-spark, then scripts/spark_publish.py (which, after a failed build, says why it does not
    publish) and, with ``dump`` and a published build, every table to ``dump``
    (pytests/spark_tables.py). Returns dbt's exit status if it failed, else the steps' (never
    raises), with every step's output."""
    python = spark_python()
    steps = [[str(python.parent / "dbt"), "build", "--target", target, *args],
             [str(python), "scripts/spark_publish.py"]]
    if dump:
        steps.append([str(python), str(REPO / "pytests" / "spark_tables.py"), str(dump), "--target", target])
    stdout = stderr = ""
    status = 0
    for step in steps:
        result = subprocess.run(step, cwd=project.root, env=project.env(**env), capture_output=True, text=True,
                                timeout=1200)
        stdout, stderr = stdout + result.stdout, stderr + result.stderr
        status = status or result.returncode
        if status and step is not steps[0]:
            break
    return subprocess.CompletedProcess(steps[0], status, stdout, stderr)


def write_annotations(folder: Path) -> None:
    """Every kind of annotation the tools export: consensus, disagreement, a cancelled and a
    ground-truth Label Studio annotation, Doccano lines, Prodigy choices, rejects and a binary
    accept, so the JSON paths of both engines are compared."""
    gold = {"id": 950, "completed_by": {"id": 7, "email": "gil@x"}, "result": choices_result("mlops"),
            "was_cancelled": False, "ground_truth": True, "lead_time": 3.5,
            "updated_at": "2026-11-03T08:00:00.125Z"}
    cancelled = {"id": 951, "completed_by": 9, "result": [], "was_cancelled": True,
                 "updated_at": "2026-11-02T10:00:00Z"}
    write_label_studio(folder, {"ann@x": {6: "mlops", 9: "computer-vision", 12: "mlops"},
                                "ben@x": {6: "mlops", 9: "natural-language-processing"}},
                       extra={6: [gold], 15: [cancelled]})
    write_doccano(folder, {"cat": {6: "mlops", 9: "computer-vision"}})
    write_prodigy(folder, [
        prodigy_choice("eve", 9, ["computer-vision"]),
        prodigy_choice("eve", 24, [], answer="reject"),
        {"text": "x", "label": "graph-learning", "answer": "accept", "meta": {"id": 39}, "_annotator_id": "eve",
         "_timestamp": 1764000000.5},
    ])


def _value(value: Any) -> Any:
    """A cell in a form both engines' rows compare in: floats to 9 decimals, times as naive
    UTC, lists, structs and maps as tuples, invocation ids masked."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else round(value, 9)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dict):
        return tuple((key, _value(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_value(item) for item in value)
    if isinstance(value, str):
        return UUID.sub("<invocation>", value)
    return value


def _rows(cursor: Any) -> tuple[list[str], list[str]]:
    columns = [d[0] for d in cursor.description]
    return columns, sorted(json.dumps(_value(row), default=str) for row in cursor.fetchall())


def _compared(table: str) -> str:
    """The columns of ``table`` both engines fill: all but those of PYTHON_MODEL_COLUMNS."""
    excluded = PYTHON_MODEL_COLUMNS.get(table)
    return f"* exclude ({', '.join(sorted(excluded))})" if excluded else "*"


def compare_engines(project: Project, dump: Path, annotations: Path | None = None) -> tuple[list[str], list[str]]:
    """Compare every table Spark built (dumped as Parquet) with DuckDB's; return the names
    compared and the differences found. DuckDB's view over the annotation records reads them
    through the table macro its plugin defines on every connection; defined here the same way,
    over the records of the same reading of the annotation files."""
    from labeling.annotations import DEFAULT_DIR, read_folder, records_sql, write_records

    duckdb_rows: dict[str, tuple[list[str], list[str]]] = {}
    db = duckdb.connect(str(project.database), read_only=True)
    try:
        folder = annotations or project.root / DEFAULT_DIR
        records = write_records(read_folder(folder, str(folder)), dump.parent / "records.jsonl")
        db.execute(f"create or replace temp macro labeling_annotation_records() as table {records_sql(records)}")
        schemas = dict(db.execute("select table_name, table_schema from information_schema.tables "
                                  "where table_catalog = current_database()").fetchall())
        for name, schema in schemas.items():
            duckdb_rows[name] = _rows(db.execute(f'select {_compared(name)} from "{schema}"."{name}"'))
    finally:
        db.close()
    compared, differences = [], []
    files = duckdb.connect()
    for parquet in sorted(dump.glob("*.parquet")):
        name = parquet.stem
        if name not in duckdb_rows:
            differences.append(f"{name}: built on Spark, not on DuckDB")
            continue
        columns, rows = duckdb_rows[name]
        filled = " or ".join(f"{column} is not null" for column in sorted(PYTHON_MODEL_COLUMNS.get(name, ())))
        if filled and files.execute(f"select count(*) from read_parquet('{parquet}') where {filled}").fetchone()[0]:
            differences.append(f"{name}: a column of a Python model's output is filled on Spark ({filled})")
        spark_columns, spark_rows = _rows(files.execute(f"select {_compared(name)} from read_parquet('{parquet}')"))
        if columns != spark_columns:
            differences.append(f"{name}: columns {columns} on DuckDB, {spark_columns} on Spark")
        elif rows != spark_rows:
            only = sorted(set(rows) ^ set(spark_rows))[:3]
            differences.append(f"{name}: {len(rows)} rows on DuckDB, {len(spark_rows)} on Spark; e.g. {only}")
        compared.append(name)
    files.close()
    return compared, differences


def assert_exports_equal(duckdb_exports: Path, spark_exports: Path) -> None:
    """Every file of the DuckDB export is in Spark's, with the same bytes (text files: once the
    invocation ids are masked; Parquet: the same rows), and the manifests agree on the data; but
    the annotation tasks' files, whose export reads the classifier (not on these targets)."""
    for path in sorted(p for p in duckdb_exports.joinpath("current").rglob("*") if p.is_file()):
        relative = path.relative_to(duckdb_exports / "current")
        other = spark_exports / "current" / relative
        if str(relative).startswith("annotation/tasks."):
            assert not other.exists(), f"{relative}: the tasks export is not built on Spark"
            continue
        assert other.is_file(), f"{relative} is missing from Spark's export"
        if path.suffix == ".parquet":
            con = duckdb.connect()
            assert _rows(con.execute(f"select * from read_parquet('{path}')")) == \
                _rows(con.execute(f"select * from read_parquet('{other}')")), relative
            con.close()
        elif path.name.endswith("manifest.json"):
            mine, theirs = json.loads(path.read_text()), json.loads(other.read_text())
            for key in ("row_count", "counts", "raw_row_accounting", "columns", "column_types", "label_sources",
                        "inputs"):
                assert mine.get(key) == theirs.get(key), f"{relative}: {key}"
            assert theirs["engine"] == "spark"
        else:
            assert UUID.sub("<id>", path.read_text()) == UUID.sub("<id>", other.read_text()), relative


@contextlib.contextmanager
def spark_server(protocol: str, folder: Path) -> Iterator[int]:
    """A Spark server of ``protocol`` (connect or thrift) on a free port, with its own warehouse
    and metastore in ``folder`` (what a cluster serves; scripts/spark_server.py); yields its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = subprocess.Popen([str(spark_python()), str(REPO / "scripts" / "spark_server.py"), "--protocol",
                                protocol, "--port", str(port), "--dir", str(folder), "--driver-memory", "1g"],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = started.stdout.readline() if started.stdout else ""
        assert "listening" in line, (folder / "server.log").read_text(errors="replace")[-3000:]
        yield port
    finally:
        os.killpg(started.pid, signal.SIGTERM)
        try:
            started.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(started.pid, signal.SIGKILL)
            started.wait()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, int]]:
    """A Spark Connect and a Spark Thrift server, started side by side (each JVM takes about 20 s)."""
    with contextlib.ExitStack() as stack, concurrent.futures.ThreadPoolExecutor(2) as pool:
        ports = pool.map(lambda protocol: (protocol, stack.enter_context(
            spark_server(protocol, tmp_path / f"{protocol}-server"))), ["connect", "thrift"])
        yield dict(ports)


def test_spark_build_on_cluster_servers_equals_duckdb_and_its_gate_holds(
        project: Project, tmp_path: Path, servers: dict[str, int]) -> None:
    """The cluster path on the sample: dbt's SQL, the tests and the export rows run on a Spark
    Connect server, which reads the raw and annotation files and writes the stage at its own URIs
    (file:// here, s3a:// on a cluster); the driver reads the stage at its path. The pipeline's
    export through a Thrift server (target spark_thrift). Then the gate, on the Connect server."""
    annotations = tmp_path / "annotations"
    write_annotations(annotations)
    # The pipeline and the annotation loop; the labeling workflow's tables (rules, weak labels)
    # are compared table by table in the real-data test.
    project.build(*PIPELINE_ONLY, LABELING_ANNOTATIONS_DIR=str(annotations))
    dump = tmp_path / "spark-tables"
    stage = tmp_path / "stage"
    connect = {"LABELING_ANNOTATIONS_DIR": str(annotations), "LABELING_SPARK_SHUFFLE_PARTITIONS": "1",
               "LABELING_SPARK_REMOTE": f"sc://localhost:{servers['connect']}",
               "LABELING_SPARK_RAW_URI": f"file://{project.root / 'data' / 'sample'}",
               "LABELING_SPARK_STAGE_URI": f"file://{stage}", "LABELING_SPARK_STAGE_READ": str(stage)}
    built = spark_build(project, *PIPELINE_ONLY, target="spark_connect", dump=dump, **connect)
    assert built.returncode == 0, built.stdout[-6000:] + built.stderr[-3000:]
    assert "labeling (spark): published" in built.stdout
    # The tables are in the server's warehouse, not in the project's.
    assert (tmp_path / "connect-server" / "warehouse" / "main.db" / "labeled_projects").is_dir()
    assert not (project.root / "spark" / "warehouse").exists()
    # Only the published build's stage is kept (its export tables read it).
    assert sorted(p.name for p in stage.iterdir() if p.is_dir() and p.name != "annotations") == [json.loads(
        (project.root / "spark" / "exports" / "current" / "manifest.json").read_text())["invocation_id"]]
    compared, differences = compare_engines(project, dump, annotations)
    assert not differences, "\n".join(differences)
    # Every model and seed of the pipeline and the annotation loop but the DuckDB-only one
    # (raw_batches; the snapshot is not a model) and the Dawid-Skene models (disabled where
    # dbt-spark cannot run a Python model: var python_models).
    assert {"labeled_projects", "raw_row_audit", "raw_row_outcomes", "annotation_audit", "annotation_votes",
            "label_provenance", "labeled_projects_export", "stg_annotations__annotations"} <= set(compared)
    assert not set(compared) & set(NEEDS_PYTHON_MODELS)
    assert len(compared) == PIPELINE_RELATIONS
    spark_exports = project.root / "spark" / "exports"
    assert_exports_equal(project.exports, spark_exports)
    assert (spark_exports / "labeled_projects.csv").read_bytes() == (project.exports / "labeled_projects.csv").read_bytes()

    # Through a Thrift server (target spark_thrift): a seed, a view, a table, their tests and an
    # export, published as on the other targets. A small selection, the Label Studio
    # configuration: each statement is a round trip to HiveServer2 (the pipeline took 51 s
    # there), and the SQL is the one the Connect server and the real-data test compare table
    # by table. (Tests that also read tables outside it are left out: --indirect-selection.)
    thrift_exports = tmp_path / "thrift-exports"
    built = spark_build(project, "--select", "+label_studio_config_export", "--indirect-selection", "buildable",
                        target="spark_thrift", LABELING_ANNOTATIONS_DIR=str(annotations),
                        LABELING_SPARK_PORT=str(servers["thrift"]), LABELING_SPARK_USER="dbt",
                        LABELING_EXPORT_DIR=str(thrift_exports))
    assert built.returncode == 0, built.stdout[-6000:] + built.stderr[-3000:]
    assert "labeling (spark): published" in built.stdout
    assert (tmp_path / "thrift-server" / "warehouse" / "main.db" / "label_studio_config").is_dir()
    assert (thrift_exports / "annotation" / "label_config.xml").read_bytes() == \
        (project.exports / "annotation" / "label_config.xml").read_bytes()
    manifests = [json.loads((folder / "annotation" / "label_config.manifest.json").read_text())
                 for folder in (project.exports, thrift_exports)]
    for key in ("row_count", "columns", "column_types", "inputs"):
        assert manifests[0][key] == manifests[1][key], key

    # The gate, on the Connect server (already running; the in-process session, which starts a
    # JVM per command, builds and publishes in the real-data test): a tag listed twice in the
    # taxonomy fails its uniqueness test, so the Label Studio configuration built from it is not
    # exported, and nothing is published (a small selection: the export and what it reads).
    published = {p: p.read_bytes() for p in (spark_exports / "current").rglob("*") if p.is_file()}
    current = os.readlink(spark_exports / "current")
    taxonomy = project.root / "seeds" / "tag_taxonomy.csv"
    lines = taxonomy.read_text().splitlines(keepends=True)
    taxonomy.write_text("".join(lines + [lines[1]]))
    failed = spark_build(project, "--select", "+label_studio_config_export", target="spark_connect", **connect)
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert "FAILED unique_stg_labeling__tag_taxonomy_tag" in failed.stdout
    # The publish step read the failure from the build's run_results.json (as make runs it).
    assert "labeling (spark): build NOT published:" in failed.stderr, failed.stderr[-3000:]
    assert "node(s) failed or were skipped" in failed.stderr
    assert os.readlink(spark_exports / "current") == current
    assert {p: p.read_bytes() for p in (spark_exports / "current").rglob("*") if p.is_file()} == published
    # Fixed, the same build runs again over the warehouse the failed one left (its external
    # tables, the annotation records among them, are dropped and recreated) and publishes.
    taxonomy.write_text("".join(lines))
    # (Tests that also read tables outside this selection are left out: --indirect-selection.)
    fixed = spark_build(project, "--select", "+label_studio_config_export", "--indirect-selection", "buildable",
                        target="spark_connect", **connect)
    assert fixed.returncode == 0, fixed.stdout[-3000:] + fixed.stderr[-3000:]
    assert os.readlink(spark_exports / "current") != current


def test_spark_build_on_real_data_equals_duckdb_and_the_lesson(project: Project, mirror: Path, tmp_path: Path) -> None:
    extracted = run_script("extract.py", "--from", str(mirror), "--out", str(project.root / "data" / "madewithml"))
    assert extracted.returncode == 0, extracted.stderr
    project.build(LABELING_RAW_DIR="data/madewithml")
    dump = tmp_path / "spark-tables"
    built = spark_build(project, dump=dump, LABELING_RAW_DIR="data/madewithml",
                        LABELING_SPARK_SHUFFLE_PARTITIONS="1")
    assert built.returncode == 0, built.stdout[-6000:] + built.stderr[-3000:]
    compared, differences = compare_engines(project, dump)
    # int_labeling_function_votes among them: the rule patterns cast the same votes on both engines.
    assert not differences, "\n".join(differences)
    assert len(compared) == ALL_RELATIONS
    spark_csv = (project.root / "spark" / "exports" / "labeled_projects.csv").read_bytes()
    assert spark_csv == run_lesson(mirror, tmp_path)
    assert_exports_equal(project.exports, project.root / "spark" / "exports")


def run_lesson(raw_dir: Path, tmp_path: Path) -> bytes:
    out = tmp_path / "lesson.csv"
    result = run_script("lesson_labeling.py", str(raw_dir), str(out))
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


def test_spark_build_refuses_bad_input_before_starting(project: Project) -> None:
    """The DuckDB build's input checks, before Spark starts: the file, line, column and rule,
    for the raw files and the project's seeds."""
    projects = project.root / "data" / "sample" / "projects.csv"
    projects.write_text(projects.read_text().replace("\n6,", "\n6.0,", 1))
    corrections = project.root / "seeds" / "label_corrections.csv"
    corrections.write_text(corrections.read_text().splitlines()[0] + "\n6,mlops,rev,why,2026-11-30T10:00:00Z\n")
    result = spark_build(project)
    assert result.returncode == 2, result.stdout[-3000:]
    assert "projects.csv" in result.stdout and "column id: '6.0'" in result.stdout
    assert "label_corrections.csv" in result.stdout and "column decided_at" in result.stdout
    assert "nothing was built" in result.stdout
    # The publish step after it does not take an earlier command's results for this build's.
    assert "stopped before dbt wrote its results" in result.stderr, result.stderr[-3000:]
    assert not (project.root / "spark" / "warehouse").exists()
    assert not (project.root / "spark" / "exports").exists()
    shutil.rmtree(project.root / "spark", ignore_errors=True)


def test_python_models_are_enabled_only_where_dbt_spark_can_run_them(project: Project) -> None:
    """The classifier and what reads it are disabled by config on the Spark targets without a
    Databricks cluster (dbt-spark submits Python models only there), with the analyses and
    exposures that read them, and enabled on DuckDB and on the databricks target; the snapshot
    is disabled on every Spark target; nothing is patched to run them elsewhere."""
    def listed(target: str, python: Path, **env: str) -> set[str]:
        result = subprocess.run(
            [str(python.parent / "dbt"), "ls", "--target", target, "--resource-type", "model", "analysis",
             "exposure", "snapshot", "--output", "name", "--quiet", "--project-dir", str(project.root)],
            cwd=project.root, env=project.env(**env), capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return set(result.stdout.split())

    readers = {*NEEDS_PYTHON_MODELS, "label_review_queue", "report_label_issues", "label_quality_review",
               "labeling_tool"}
    duckdb_nodes = listed("dev", BIN / "python")
    assert readers <= duckdb_nodes
    for target in ("spark", "spark_connect", "spark_thrift"):
        spark_nodes = listed(target, spark_python())
        assert not readers & spark_nodes, target
        # Everything else but the DuckDB-only nodes builds on Spark: the batches' models, and the
        # label history (a snapshot needs Delta, Iceberg or Hudi on dbt-spark: var history_snapshots)
        # with the analyses that read it.
        assert duckdb_nodes - readers - spark_nodes == {"raw_batches", "labeling_progress", "report_progress",
                                                        "label_history", "label_history_of_a_project",
                                                        "labels_changed_between_builds"}
    databricks = listed("databricks", spark_python(), DATABRICKS_HOST="example.cloud.databricks.com",
                        DATABRICKS_CLUSTER_ID="0123-456789-abcdefgh", DATABRICKS_TOKEN="unused")
    assert readers <= databricks
    # No run-time patching of dbt-spark: no project code touches its adapter class.
    assert not [path for path in (*REPO.glob("scripts/*.py"), *REPO.glob("plugins/**/*.py"))
                if "SparkAdapter" in path.read_text()]
