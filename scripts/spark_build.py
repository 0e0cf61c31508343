#!/usr/bin/env python3
"""Build the labeling project on Apache Spark and publish its exports (make build TARGET=spark).

The same models, tests and gate as the DuckDB build, on dbt-spark. The ``spark`` target of
``profiles/profiles.yml`` runs PySpark in this process (the ``session`` method, ``local[2]`` by
default); ``--target spark_connect`` (or ``LABELING_SPARK_TARGET``) runs everything on a cluster
through Spark Connect (``LABELING_SPARK_REMOTE``). Run it with ``.venv-spark/bin/python`` (``make
spark-setup``). What it does, in order:

1. **Check the inputs** with the DuckDB build's own checks, before dbt starts: the raw folder
   (``labeling.raw_files.check_raw_folder``), each raw file whole, every value's canonical form
   included (``check_raw_file``), the project's seeds, the annotation files (``labeling.annotations``)
   and the export folder. A problem stops the build naming the file, line, column and rule;
   nothing is built.
2. **Run dbt** (``dbt build --target <target>`` through dbt's Python API, in this process). Its
   on-run-start hook creates external tables that read the raw files with Spark's CSV reader,
   where the cluster reads them (``LABELING_SPARK_RAW_URI``, by default the local folder), and
   the annotation records of step 1's own reading with its JSON reader (written into the stage,
   ``<stage>/annotations/records.jsonl``: the engines never parse the tools' files); the models, tests and contracts are the project's, with the engine
   differences in dispatched macros. Each ``gated_export`` model is written by Spark, in its
   order, as Parquet at the build's stage (``LABELING_SPARK_STAGE_URI``), with its manifest's
   counts beside it.
3. **Publish** only when every node succeeded: each export's staged rows are streamed through
   DuckDB (read at ``LABELING_SPARK_STAGE_READ``, by default the stage's own path; never collected
   into this process) into its files (CSV, Parquet, JSON...) with the DuckDB build's writer and
   dialect, with a ``manifest.json``, into a new version of the export folder, which becomes
   current with one atomic switch (``labeling.publish``). A failed build leaves the previous
   export as it was.

The in-process session's warehouse (the tables, as Parquet) and metastore live in
``LABELING_SPARK_DIR`` (default ``spark/``); the exports in ``LABELING_EXPORT_DIR`` (default
``spark/exports``), apart from the DuckDB build's. Query the tables with ``--sql``. Spark has no
batches (``batches/`` is refused) and no seed load path for the raw files: Spark reads them in
place.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "plugins"))

from labeling import annotations, raw_files  # noqa: E402
from labeling.publish import (ExportFolder, ExportFolderError, Publication, StagedExport,  # noqa: E402
                              describe_inputs, export_copy_options)

#: Left out of a Spark build by default (see docs/spark.md): the snapshot, which
#: dbt-spark builds only on Delta, Iceberg or Hudi tables (their jars are not part of PySpark; a
#: cluster such as Databricks has Delta).
DEFAULT_EXCLUDE = ["resource_type:snapshot"]
#: The stage's folder for the annotation records the driver's check read (kept across builds:
#: the annotation staging view reads it).
ANNOTATIONS_STAGE = "annotations"


def spark_dir() -> Path:
    """The warehouse and metastore folder: ``LABELING_SPARK_DIR`` (default ``spark``)."""
    return _anchored(os.environ.get("LABELING_SPARK_DIR", "spark"))


def export_dir() -> Path:
    """The export folder of Spark builds: ``LABELING_EXPORT_DIR`` (default ``spark/exports``)."""
    return _anchored(os.environ.get("LABELING_EXPORT_DIR", str(spark_dir() / "exports")))


def _anchored(path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else PROJECT / candidate


def check_inputs(raw_dir: Path, annotations_dir: Path) -> tuple[list[str], dict[str, Any]]:
    """Step 1: every problem of the inputs, and what the on-run-start hook reads (JSON)."""
    problems = raw_files.check_inputs(PROJECT, raw_dir, str(raw_dir), "read_csv")
    if (raw_dir / "batches").exists():
        problems.append(f"{raw_dir}/batches: data that arrives in batches is applied by the DuckDB "
                        "build only (make build LOAD=read_csv); a Spark build reads projects.csv "
                        "and tags.csv whole. Merge the batches into them, or build on DuckDB.")
    reading = annotations.read_configured(annotations_dir)
    problems += reading.problems
    try:
        ExportFolder(export_dir()).claim(write=False)
    except ExportFolderError as exc:
        problems.append(str(exc))
    inputs = {
        "project_dir": str(PROJECT),
        "raw_dir": str(raw_dir),
        "annotation_columns": annotations.RECORD_COLUMNS,
        "annotation_reading": reading,
    }
    return problems, inputs


def run_dbt(args: list[str]) -> Any:
    """Step 2: dbt in this process; returns dbt's result object."""
    from dbt.cli.main import dbtRunner

    return dbtRunner().invoke(args)


def _manifest() -> dict[str, Any]:
    return json.loads((PROJECT / "target" / "manifest.json").read_text(encoding="utf-8"))


def _spark(target: str) -> Any:
    """A Spark session on the target's cluster: the one dbt started in this process, one dbt starts
    now (so that it has the profile's settings: warehouse, metastore, memory), or, with Spark
    Connect (``SPARK_REMOTE``), a session on the remote server."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if not os.environ.get("SPARK_REMOTE") and SparkContext._active_spark_context is None:  # noqa: SLF001
        started = run_dbt(["show", "--target", target, "--inline", "select 1", "--quiet"])
        if not started.success:
            raise RuntimeError(f"could not start the {target} target's session: {started.exception}")
    return SparkSession.builder.getOrCreate()


def _files_of(config: dict[str, Any], name: str) -> list[dict[str, str]]:
    files = config.get("files")
    if files:
        return files
    stem = config.get("file_stem") or name
    return [{"name": f"{stem}.{fmt}"} for fmt in config.get("formats") or ["csv", "parquet"]]


def write_export(node: dict[str, Any], stage: str, staging: Path, reading: annotations.Reading) -> StagedExport:
    """Write one gated_export model's files into ``staging`` from the rows Spark staged for it
    (``<stage>/<model>/``, Parquet files in the model's order: part files by name, rows by
    position), in the contract's column order and types, with DuckDB's writer (the DuckDB build's
    dialect, byte for byte); return what publishing needs, with its manifest: the counts the
    materialization computed in SQL (``<stage>/<model>.meta/``), the columns as DuckDB describes
    the file, and the inputs. DuckDB streams the rows: the driver never holds them in memory."""
    import duckdb

    config = node["config"]
    files = _files_of(config, node["name"])
    parquet = [f["name"] for f in files if f["name"].endswith(".parquet") and f.get("select", "*") == "*"][0]
    contract = [(name, column.get("data_type")) for name, column in node["columns"].items()]
    enforced = bool(contract) and bool(config.get("contract", {}).get("enforced"))
    rows = f"{stage}/{node['name']}"
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        # The DuckDB build's memory bound (it spills beyond it), and the rows in the order they
        # are read: Spark wrote the sorted rows as part files numbered in order (part-00000,
        # part-00001...), and DuckDB keeps the order of the files listed and of the rows in
        # each (preserve_insertion_order), so no second sort is needed.
        con.execute(f"set memory_limit = '{os.environ.get('LABELING_MEMORY_LIMIT', '3GB')}'")
        con.execute("set preserve_insertion_order = true")
        parts = sorted(name for (name,) in con.execute(f"select file from glob('{rows}/part-*')").fetchall())
        if not parts:
            raise RuntimeError(f"{node['name']}: no staged rows at {rows}")
        staged = "read_parquet([" + ", ".join(f"'{part}'" for part in parts) + "])"
        names = [d[0] for d in con.execute(f"describe select * from {staged}").fetchall()]
        casts = ", ".join(f'cast("{name}" as {data_type}) as "{name}"' if data_type else f'"{name}"'
                          for name, data_type in (contract if enforced else [(n, None) for n in names]))
        base = staging / parquet
        base.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy (select {casts} from {staged}) to '{base}' ({export_copy_options('parquet')})")
        for file in files:
            if file["name"] == parquet:
                continue
            target = staging / file["name"]
            target.parent.mkdir(parents=True, exist_ok=True)
            fmt = file["name"].rsplit(".", 1)[-1]
            con.execute(f"copy (select {file.get('select', '*')} from read_parquet('{base}')) to '{target}' "
                        f"({export_copy_options(fmt)})")
        described = con.execute(f"describe select * from read_parquet('{base}')").fetchall()
        row_count = con.execute(f"select count(*) from read_parquet('{base}')").fetchall()[0][0]
        computed = json.loads(con.execute(
            f"select content from read_text('{rows}.meta/part-*')").fetchall()[0][0])
    finally:
        con.close()
    if row_count != computed["row_count"]:
        raise RuntimeError(f"{node['name']}: Spark counted {computed['row_count']} rows, the staged files "
                           f"at {rows} hold {row_count}; not publishing a partial export")
    # What the materialization computed (labeling_export_meta, manifest_extra), and what only the
    # files tell: their columns as DuckDB describes them, and the inputs it named, described with
    # their sha256 and size (the annotation files the check read, when they are upstream).
    reads_annotations = computed.pop("_reads_annotations")
    inputs = describe_inputs({name: Path(path) for name, path in computed.pop("inputs").items()},
                             reading.files if reads_annotations else None)
    meta: dict[str, Any] = {**computed, "engine": "spark", "columns": [d[0] for d in described],
                            "column_types": [d[1] for d in described], "inputs": inputs}
    return StagedExport(relation=node["relation_name"], files=[f["name"] for f in files],
                        manifest=config.get("manifest_name") or "manifest.json", meta=meta,
                        view_target=str(export_dir() / parquet), reader="read_parquet")


def publish(results: Any, reading: annotations.Reading, stage_uri: str) -> str:
    """Step 3: write and publish every export this build ran; returns what was published. The
    rows are read from the stage the materialization wrote (``LABELING_SPARK_STAGE_READ``, the
    same place as DuckDB reaches it; by default the stage's own path)."""
    manifest = _manifest()
    invocation_id = manifest["metadata"]["invocation_id"]
    ran = {r.node.unique_id for r in results.results if str(r.status) == "success"}
    exports = [n for uid, n in manifest["nodes"].items()
               if uid in ran and n["config"].get("materialized") == "gated_export"]
    if not exports:
        return "nothing to publish (no export model ran)"
    stage = f"{os.environ.get('LABELING_SPARK_STAGE_READ', stage_uri).rstrip('/')}/{invocation_id}"
    folder = ExportFolder(export_dir())
    folder.claim()
    staging = folder.prepare(invocation_id)
    for node in exports:
        folder.staged.append(write_export(node, stage, staging, reading))
    publication = Publication(build_id=invocation_id, main=None, database_copy=None, exports=folder)
    publication.stage()
    outcome = publication.publish()
    _prune_stage(stage_uri, keep=invocation_id)
    return outcome


def _prune_stage(stage_uri: str, keep: str) -> None:
    """Remove the stages of earlier builds (their exports are published, or were never), when the
    stage is a local folder; the current build's stays: its export tables read it. On object
    storage, a lifecycle rule on the stage prefix does this."""
    local = Path(stage_uri.removeprefix("file:"))
    if local.is_dir():
        for old in local.iterdir():
            if old.name not in (keep, ANNOTATIONS_STAGE) and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)


def dump_tables(folder: Path, target: str) -> list[str]:
    """Write every model's and seed's table of the last Spark build to ``folder/<name>.parquet``
    (with DuckDB, from the rows Spark returns), for comparing them with another engine's."""
    import duckdb

    from dbt.cli.main import dbtRunner

    listed = dbtRunner().invoke(["ls", "--target", target, "--resource-type", "model", "seed",
                                 "--output", "json", "--output-keys", "name", "relation_name", "config",
                                 "--quiet"])
    folder.mkdir(parents=True, exist_ok=True)
    spark = _spark(target)
    written = []
    con = duckdb.connect()
    try:
        for line in listed.result or []:
            node = json.loads(line)
            if not node["config"].get("enabled", True) or node["config"].get("materialized") == "ephemeral":
                continue
            if not spark.catalog.tableExists(node["relation_name"].replace("`", "")):
                continue
            rows = spark.table(node["relation_name"]).toArrow()  # noqa: F841 - read by DuckDB below
            con.execute(f"copy (select * from rows) to '{folder / (node['name'] + '.parquet')}' (format parquet)")
            written.append(node["name"])
    finally:
        con.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the labeling project on Apache Spark (dbt-spark) and publish its exports "
                    "when every node succeeded: in this process (target spark, the session method) or "
                    "on a cluster (target spark_connect: a Spark Connect server).",
        epilog="Environment: LABELING_SPARK_TARGET (the target when --target is not given, default spark), "
               "LABELING_RAW_DIR (default data/sample), LABELING_ANNOTATIONS_DIR, LABELING_SPARK_DIR "
               "(warehouse and metastore of the in-process session, default spark), LABELING_EXPORT_DIR "
               "(default spark/exports), LABELING_SPARK_MASTER (default local[2]), LABELING_SPARK_DRIVER_MEMORY "
               "(default 4g). On a cluster: LABELING_SPARK_REMOTE (the Spark Connect URL, sc://host:15002), "
               "LABELING_SPARK_RAW_URI (the raw files as the cluster "
               "reads them, e.g. s3a://bucket/raw; default the local folder; the annotation records the "
               "check read go into the stage), LABELING_SPARK_STAGE_URI "
               "(where the cluster writes the export rows, default LABELING_SPARK_DIR/stage) and "
               "LABELING_SPARK_STAGE_READ (the same place as DuckDB reads it, default the same string).")
    parser.add_argument("--target", default=os.environ.get("LABELING_SPARK_TARGET", "spark"),
                        help="the profile's Spark target: spark (in this process, default), spark_connect "
                             "(a Spark Connect server at LABELING_SPARK_REMOTE), spark_thrift or databricks "
                             "(no Python models over Thrift: see docs/spark.md)")
    parser.add_argument("--select", "-s", nargs="+", help="dbt --select (default: everything)")
    parser.add_argument("--exclude", nargs="+", default=[],
                        help=f"dbt --exclude, besides {' '.join(DEFAULT_EXCLUDE)} (always left out: dbt-spark "
                             "snapshots need Delta, Iceberg or Hudi tables)")
    parser.add_argument("--sql", help="instead of building, run this query on the built tables and print the rows")
    parser.add_argument("--dump-tables", type=Path, metavar="DIR",
                        help="after the build, write every model's and seed's table to DIR/<name>.parquet "
                             "(to compare them with the DuckDB build's)")
    parser.add_argument("--no-build", action="store_true",
                        help="with --dump-tables: dump the tables of the last build without building")
    args = parser.parse_args(argv)

    os.chdir(PROJECT)
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT / "profiles"))
    os.environ["LABELING_LOAD"] = "read_csv"
    os.environ.setdefault("LABELING_SPARK_DIR", str(spark_dir()))
    if args.target == "spark_connect":
        # PySpark's builder connects to the server wherever a session is asked for: dbt's SQL, the
        # Python models, the table dump. dbt-spark asks each time for Hive support, which a
        # Connect server has or not from its own start (a static setting): not worth a warning
        # per statement.
        os.environ["SPARK_REMOTE"] = os.environ.get("LABELING_SPARK_REMOTE", "sc://localhost:15002")
        warnings.filterwarnings("ignore", message="Failed to set spark.sql.catalogImplementation")
    # The JVM PySpark starts writes the metastore's derby.log into the Spark folder, not here.
    spark_dir().mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS",
                          f"--driver-java-options -Dderby.system.home={spark_dir()} pyspark-shell")
    raw_dir = _anchored(os.environ.get("LABELING_RAW_DIR", "data/sample"))
    annotations_dir = _anchored(os.environ.get("LABELING_ANNOTATIONS_DIR") or annotations.DEFAULT_DIR)
    stage_uri = os.environ.get("LABELING_SPARK_STAGE_URI", str(spark_dir() / "stage")).rstrip("/")

    if args.no_build or args.sql:
        if args.no_build and not args.dump_tables:
            parser.error("--no-build goes with --dump-tables")
        os.environ.setdefault("LABELING_SPARK_INPUTS", json.dumps({"project_dir": str(PROJECT)}))
        if args.no_build:
            return _dump(args.dump_tables, args.target)
        result = run_dbt(["show", "--target", args.target, "--inline", args.sql, "--limit", "-1"])
        return 0 if result.success else 1

    started = time.monotonic()
    problems, inputs = check_inputs(raw_dir, annotations_dir)
    if problems:
        print("labeling (spark): input check failed; nothing was built, the exports are unchanged:\n  - "
              + "\n  - ".join(problems), file=sys.stderr)
        return 2
    reading = inputs["annotation_reading"]
    inputs = spark_locations(inputs, stage_uri)
    os.environ["LABELING_SPARK_INPUTS"] = json.dumps(inputs)
    dbt_args = ["build", "--target", args.target]
    if args.select:
        dbt_args += ["--select", *args.select]
    dbt_args += ["--exclude", *DEFAULT_EXCLUDE, *args.exclude]
    result = run_dbt(dbt_args)
    if not result.success or result.result is None:
        print(f"labeling (spark): build NOT published: dbt failed "
              f"({result.exception or 'a node failed, see above'}). The exports in {export_dir()} are "
              "unchanged.", file=sys.stderr)
        return 1
    try:
        outcome = publish(result.result, reading, stage_uri)
    except Exception as exc:  # noqa: BLE001 - reported, and the previous export stays current
        print(f"labeling (spark): build NOT published: {exc}. The exports in {export_dir()} are unchanged.",
              file=sys.stderr)
        return 1
    print(f"labeling (spark): build succeeded in {time.monotonic() - started:.1f} s; {outcome}")
    return _dump(args.dump_tables, args.target) if args.dump_tables else 0


def spark_locations(inputs: dict[str, Any], stage_uri: str) -> dict[str, Any]:
    """The checked inputs as the cluster reads them: the raw folder at ``raw_uri``
    (``LABELING_SPARK_RAW_URI`` when the cluster reads it elsewhere than this machine, such as
    object storage; ``raw_dir`` stays where this machine reads it), the stage the export
    rows go to, and the annotation records of the check's own reading, written into the stage
    (at ``LABELING_SPARK_STAGE_READ``, so the cluster reads them at ``LABELING_SPARK_STAGE_URI``):
    the engines load exactly what the check read."""
    raw_uri = os.environ.get("LABELING_SPARK_RAW_URI", "").rstrip("/")
    stage_read = os.environ.get("LABELING_SPARK_STAGE_READ", stage_uri).rstrip("/")
    reading = inputs.pop("annotation_reading")
    annotations.write_records(reading, Path(stage_read.removeprefix("file:")) / ANNOTATIONS_STAGE / "records.jsonl")
    return {**inputs, "raw_uri": raw_uri or inputs["raw_dir"], "stage_uri": stage_uri,
            "annotation_records": f"{stage_uri}/{ANNOTATIONS_STAGE}/records.jsonl"}


def _dump(folder: Path, target: str) -> int:
    written = dump_tables(folder.resolve(), target)
    print(f"labeling (spark): wrote {len(written)} tables to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
