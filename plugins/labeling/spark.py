"""Builds on Apache Spark: what ``dbt build --target spark`` needs before dbt parses, and the publish.

``dbt build --target spark`` (or ``spark_connect``, ``spark_thrift``) is the plain dbt CLI: the
project's dbt-core plugin (``dbt_labeling``) calls ``prepare`` when dbt has loaded the project and
before it parses, and ``scripts/spark_publish.py`` calls ``publish`` after dbt returns. Nothing
patches dbt or dbt-spark. In order:

1. **Check the inputs** (``prepare``, for commands that build) with the DuckDB build's own checks:
   the raw folder and each raw file whole, every value's canonical form included
   (``labeling.raw_files.check_inputs``), the project's seeds, the annotation files
   (``labeling.annotations``) and the export folder. A problem stops dbt naming the file, line,
   column and rule; nothing is built. The annotation records of that same reading are written
   into the stage, where Spark's JSON reader loads them (the engines never parse a tool's file).
   ``prepare`` always returns where things are (project_dir, raw_dir, raw_uri, stage_uri,
   annotation_records and their columns), which the plugin hands to the Spark macros as
   ``LABELING_SPARK_INPUTS`` (``labeling_spark_inputs``).
2. **dbt builds** on Spark: the on-run-start hook creates external tables over the raw files (at
   ``raw_uri``) and the records; each ``gated_export`` model is written, in its order, as Parquet
   at ``<stage_uri>/<invocation_id>/<model>/`` with its manifest's fields beside it.
3. **Publish** (``publish``), only when the gate (``labeling.publish.refusal``, as on DuckDB) lets
   the build through, from ``target/manifest.json`` and ``target/run_results.json``:
   each export's staged rows are streamed through DuckDB into its files with the DuckDB build's
   writer and dialect, with a ``manifest.json``, into a new version of the export folder, which
   becomes current with one atomic switch (``labeling.publish``).

Locations, from the environment: ``LABELING_RAW_DIR`` (default ``data/sample``),
``LABELING_ANNOTATIONS_DIR``, ``LABELING_SPARK_DIR`` (default ``spark``: the in-process session's
warehouse and metastore, and the stage), ``LABELING_EXPORT_DIR`` (default ``spark/exports``), and
on a cluster ``LABELING_SPARK_RAW_URI`` (the raw folder as the cluster reads it),
``LABELING_SPARK_STAGE_URI`` (where the cluster writes the stage) and ``LABELING_SPARK_STAGE_READ``
(the same place as this machine reads it).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeling import annotations, paths, raw_files
from labeling.paths import anchored
from labeling.publish import (ExportFolder, ExportFolderError, Publication, StagedExport, describe_inputs,
                              export_copy_options, refusal)

#: The stage's folder for the annotation records (kept across builds: the records table reads it).
ANNOTATIONS_STAGE = "annotations"
#: In the stage: the invocation id of the last build the plugin prepared (so that the publish never
#: takes an earlier build's run_results.json for a build that stopped before dbt wrote its own).
PREPARED = "prepared.json"
#: Commands that load the raw and annotation files (the others read what a build left).
BUILDING_COMMANDS = {"build", "run", "seed", "snapshot", "retry"}


@dataclass(frozen=True)
class Locations:
    """Where a Spark build reads and writes (the module docstring lists the variables)."""

    project: Path
    raw_dir: Path
    raw_uri: str
    stage_uri: str
    stage_read: Path
    export_dir: Path
    annotations_dir: Path

    @classmethod
    def from_env(cls, project: Path) -> "Locations":
        spark_dir = anchored(os.environ.get("LABELING_SPARK_DIR", "spark"), project)
        raw_dir = paths.raw_dir(project)
        stage_uri = os.environ.get("LABELING_SPARK_STAGE_URI", str(spark_dir / "stage")).rstrip("/")
        stage_read = os.environ.get("LABELING_SPARK_STAGE_READ", stage_uri).rstrip("/")
        return cls(project=project, raw_dir=raw_dir,
                   raw_uri=os.environ.get("LABELING_SPARK_RAW_URI", "").rstrip("/") or str(raw_dir),
                   stage_uri=stage_uri, stage_read=Path(stage_read.removeprefix("file:")),
                   export_dir=anchored(os.environ.get("LABELING_EXPORT_DIR", str(spark_dir / "exports")), project),
                   annotations_dir=annotations.configured_dir(project))

    def inputs(self) -> dict[str, Any]:
        """What the Spark macros read (``LABELING_SPARK_INPUTS``)."""
        return {"project_dir": str(self.project), "raw_dir": str(self.raw_dir), "raw_uri": self.raw_uri,
                "stage_uri": self.stage_uri, "annotation_columns": annotations.RECORD_COLUMNS,
                "annotation_records": f"{self.stage_uri}/{ANNOTATIONS_STAGE}/records.jsonl",
                "canonical_integer": raw_files.type_rule("bigint").canonical_sql("{v}", "string"),
                "csv_options": raw_files.spark_csv_options(), "raw_columns": raw_files.raw_columns(self.project)}


def prepare(project: Path, command: str | None) -> dict[str, Any]:
    """Step 1, run by the dbt-core plugin: for a command that builds, check the inputs (raise
    ``RuntimeError`` listing every problem) and write the annotation records and the list of
    their files into the stage; for every command, return where things are, for the macros
    (``LABELING_SPARK_INPUTS``)."""
    where = Locations.from_env(project)
    if command in BUILDING_COMMANDS:
        from dbt_common.invocation import get_invocation_id

        where.stage_read.mkdir(parents=True, exist_ok=True)
        (where.stage_read / PREPARED).write_text(json.dumps({"command": command, "invocation_id": get_invocation_id()}))
        problems = raw_files.check_inputs(project, where.raw_dir, paths.raw_dir_setting(),
                                          "read_csv")
        if (where.raw_dir / "batches").exists():
            problems.append(f"{where.raw_dir}/batches: data that arrives in batches is applied by the DuckDB "
                            "build only (make build LOAD=read_csv); a Spark build reads projects.csv and "
                            "tags.csv whole. Merge the batches into them, or build on DuckDB.")
        reading = annotations.read_configured(where.annotations_dir)
        problems += reading.problems
        try:
            ExportFolder(where.export_dir).claim(write=False)
        except ExportFolderError as exc:
            problems.append(str(exc))
        if problems:
            raise RuntimeError("labeling (spark): input check failed; nothing was built, the exports are "
                               "unchanged:\n  - " + "\n  - ".join(problems))
        folder = where.stage_read / ANNOTATIONS_STAGE
        annotations.write_records(reading, folder / "records.jsonl")
        (folder / "files.json").write_text(json.dumps({name: str(path) for name, path in reading.named_files().items()}))
    return where.inputs()


def publish(project: Path) -> str:
    """Step 3: publish the exports of the last dbt build on Spark (``target/``), only when the
    gate lets it through; returns what was published, raises ``RuntimeError`` why not."""
    where = Locations.from_env(project)
    prepared = where.stage_read / PREPARED
    if not prepared.is_file():
        raise RuntimeError(f"no dbt build on Spark has run with this stage ({where.stage_read})")
    build = json.loads(prepared.read_text())["invocation_id"]
    target = project / "target"
    results = json.loads((target / "run_results.json").read_text()) if (target / "run_results.json").is_file() else {}
    invocation_id = results.get("metadata", {}).get("invocation_id")
    if invocation_id != build:
        raise RuntimeError(f"the last dbt build on Spark ({build}) stopped before dbt wrote its results")
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    if manifest["metadata"]["invocation_id"] != invocation_id:
        raise RuntimeError(f"target/manifest.json is not the last build's ({build}): another dbt command ran since")
    current = where.export_dir / "current" / "manifest.json"
    if current.is_file() and json.loads(current.read_text()).get("invocation_id") == invocation_id:
        return f"build {invocation_id} is already published"
    stage = f"{where.stage_read}/{invocation_id}"
    exports = [manifest["nodes"][r["unique_id"]] for r in results["results"] if r["status"] == "success"
               and manifest["nodes"].get(r["unique_id"], {}).get("config", {}).get("materialized") == "gated_export"]
    computed = {node["unique_id"]: _staged_meta(stage, node["name"]) for node in exports}
    cause = refusal(manifest["nodes"], results["results"],
                    {uid: meta["row_count"] for uid, meta in computed.items()})
    if cause:
        raise RuntimeError(cause)
    if not exports:
        return "nothing to publish (no export model ran)"
    annotation_files = {name: Path(path) for name, path in json.loads(
        (where.stage_read / ANNOTATIONS_STAGE / "files.json").read_text()).items()}
    folder = ExportFolder(where.export_dir)
    folder.claim()
    staging = folder.prepare(invocation_id)
    for node in exports:
        folder.staged.append(_write_export(node, computed[node["unique_id"]], stage, staging, where.export_dir,
                                           annotation_files))
    publication = Publication(build_id=invocation_id, main=None, database_copy=None, exports=folder)
    publication.stage()
    outcome = publication.publish()
    for old in where.stage_read.iterdir() if where.stage_read.is_dir() else []:
        # Earlier builds' stages (published or never); on object storage a lifecycle rule does this.
        if old.name not in (invocation_id, ANNOTATIONS_STAGE) and old.is_dir():  # PREPARED is a file
            shutil.rmtree(old, ignore_errors=True)
    return outcome


def _staged_meta(stage: str, name: str) -> dict[str, Any]:
    """The manifest's fields the Spark materialization computed for an export (``<stage>/<model>.meta/``)."""
    import duckdb

    with duckdb.connect() as con:
        return json.loads(con.execute(f"select content from read_text('{stage}/{name}.meta/part-*')").fetchall()[0][0])


def _write_export(node: dict[str, Any], computed: dict[str, Any], stage: str, staging: Path, export_dir: Path,
                  annotation_files: dict[str, Path]) -> StagedExport:
    """One gated_export model's files, written into ``staging`` from the rows Spark staged for it
    (``<stage>/<model>/``, Parquet part files in the model's order), in the contract's column
    order and types, with DuckDB's writer (the DuckDB build's dialect, byte for byte), and what
    publishing needs: the manifest's fields the materialization computed (``computed``), the
    columns as DuckDB describes the file, and the inputs. DuckDB streams the rows."""
    import duckdb

    config = node["config"]
    files = config.get("files") or [{"name": f"{config.get('file_stem') or node['name']}.{fmt}"}
                                    for fmt in config.get("formats") or ["csv", "parquet"]]
    parquet = [f["name"] for f in files if f["name"].endswith(".parquet") and f.get("select", "*") == "*"][0]
    contract = [(name, column.get("data_type")) for name, column in node["columns"].items()]
    enforced = bool(contract) and bool(config.get("contract", {}).get("enforced"))
    rows = f"{stage}/{node['name']}"
    con = duckdb.connect()
    try:
        # The DuckDB build's memory bound, and the rows in the order they are read: Spark wrote the
        # sorted rows as part files numbered in order, and DuckDB keeps the order of the files
        # listed and of the rows in each (preserve_insertion_order), so no second sort is needed.
        con.execute("set TimeZone = 'UTC'")
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
            if file["name"] != parquet:
                target = staging / file["name"]
                target.parent.mkdir(parents=True, exist_ok=True)
                con.execute(f"copy (select {file.get('select', '*')} from read_parquet('{base}')) to '{target}' "
                            f"({export_copy_options(file['name'].rsplit('.', 1)[-1])})")
        described = con.execute(f"describe select * from read_parquet('{base}')").fetchall()
        row_count = con.execute(f"select count(*) from read_parquet('{base}')").fetchall()[0][0]
    finally:
        con.close()
    if row_count != computed["row_count"]:
        raise RuntimeError(f"{node['name']}: Spark counted {computed['row_count']} rows, the staged files "
                           f"at {rows} hold {row_count}; not publishing a partial export")
    inputs = describe_inputs({name: Path(path) for name, path in computed.pop("inputs").items()},
                             annotation_files if computed.pop("_reads_annotations") else None)
    meta: dict[str, Any] = {**computed, "engine": "spark", "columns": [d[0] for d in described],
                            "column_types": [d[1] for d in described], "inputs": inputs}
    return StagedExport(relation=node["relation_name"], files=[f["name"] for f in files],
                        manifest=config.get("manifest_name") or "manifest.json", meta=meta,
                        view_target=str(export_dir / parquet), reader="read_parquet")
