"""Raw data that arrives in batches, and the plan that applies only the new ones.

**Where batches arrive.** Next to the initial ``projects.csv`` and ``tags.csv`` of the raw folder
(``LABELING_RAW_DIR``), each batch is a folder ``batches/<name>/`` holding its own
``projects.csv`` and ``tags.csv`` (same header, same dialect and value rules; a header-only
``tags.csv`` is fine). Batches are append-only: a batch once applied is never edited or removed,
and a new one gets a new name. They are applied in name order (name them by date,
``2026-12-01``, or by number, ``0001``). Batches are read by DuckDB's ``read_csv`` and need the
fast load path (``LABELING_LOAD=read_csv``): on the seed path dbt would load every batch file as
another seed of the same name, so a ``batches/`` folder there is refused before dbt parses.

**The plan.** Every build compares the raw folder with what the published database says it
applied (``audit.raw_batches``: each batch's name, the sha256 and row count of its files, and
the *rebuild key* of the build that applied it):

* ``incremental`` when the rebuild key is unchanged and every applied batch is still there,
  byte for byte: only the batches not applied yet are read, and the incremental models
  recompute only the projects whose ids occur in them;
* ``full`` otherwise, with the reason: the first build, ``--full-refresh``, a changed initial
  file, a changed or removed batch, or any change the rebuild key sees.

The rebuild key is the project fingerprint (``labeling.fingerprint``: the project's files, the
annotation exports, the label corrections, the settings, the installed packages) with the
raw folder's ``batches/`` left out, plus the sha256 of the initial raw files and the dbt vars
and target of the invocation. Anything that can
change a label or an issue of an existing row (a model's code, the taxonomy, an annotation, a
correction, a variable) therefore rebuilds everything; only new batches are incremental.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeling.fingerprint import fingerprint
from labeling.publish import sha256_of

BATCHES_DIR = "batches"
#: The batch name of the raw folder's own files.
INITIAL = "initial"
BATCH_FILES = ("projects.csv", "tags.csv")
NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class Batch:
    """One batch: its name and its raw files (``projects.csv``, ``tags.csv``)."""

    name: str
    folder: Path

    def file(self, name: str) -> Path:
        return self.folder / name

    def shown(self, name: str) -> str:
        """The file as error messages and the audit name it, relative to the raw folder."""
        return name if self.name == INITIAL else f"{BATCHES_DIR}/{self.name}/{name}"


def find_batches(raw_dir: Path) -> list[Batch]:
    """The raw folder's batches in the order they apply: the initial files, then
    ``batches/<name>/`` by name."""
    found = [Batch(INITIAL, raw_dir)]
    folder = raw_dir / BATCHES_DIR
    if folder.is_dir():
        found += [Batch(path.name, path) for path in sorted(folder.iterdir(), key=lambda p: p.name)
                  if path.is_dir()]
    return found


def check_batches(raw_dir: Path, shown: str, load_mode: str) -> list[str]:
    """Problems with the raw folder's ``batches/`` (before dbt parses): on the seed path, a
    batches folder at all; else a batch name outside the rule, a missing or extra file."""
    folder = raw_dir / BATCHES_DIR
    if not folder.exists():
        return []
    if load_mode == "seed":
        return [f"LABELING_RAW_DIR={shown}: the raw folder has a {BATCHES_DIR}/ folder; batches are "
                "read in place by DuckDB and need the fast load path (LABELING_LOAD=read_csv, or "
                "make build LOAD=read_csv): on the seed path dbt would load each batch file as "
                "another seed named projects or tags. Nothing was loaded or changed."]
    if not folder.is_dir():
        return [f"LABELING_RAW_DIR={shown}: {BATCHES_DIR} is a file, not a folder of batches. "
                "Nothing was loaded or changed."]
    problems = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        where = f"LABELING_RAW_DIR={shown}: {BATCHES_DIR}/{path.name}"
        if not path.is_dir():
            problems.append(f"{where} is not a folder; each batch is a folder holding "
                            f"{' and '.join(BATCH_FILES)}. Nothing was loaded or changed.")
            continue
        if not NAME_RULE.fullmatch(path.name) or path.name == INITIAL:
            problems.append(f"{where}: a batch name is letters, digits, '.', '_' and '-', starting "
                            f"with a letter or digit, and not '{INITIAL}' (the raw folder's own "
                            "files). Nothing was loaded or changed.")
        missing = [name for name in BATCH_FILES if not (path / name).is_file()]
        if missing:
            problems.append(f"{where}: {' and '.join(missing)} missing; a batch holds "
                            f"{' and '.join(BATCH_FILES)} (a tags.csv with only its header when "
                            "the batch has no tags). Nothing was loaded or changed.")
        extra = sorted(p.name for p in path.iterdir() if p.name not in BATCH_FILES)
        if extra:
            problems.append(f"{where}: {', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not "
                            f"a batch file (expected only {', '.join(BATCH_FILES)}). Nothing was "
                            "loaded or changed.")
    return problems


def rebuild_key(project: Path, raw_dir: Path, environ: Mapping[str, str] | None = None,
                invocation: str = "") -> str:
    """The key that, when it changes, makes the next build a full one (module docstring)."""
    environ = dict(os.environ if environ is None else environ)
    # The plan itself does not change what a build computes.
    environ.pop("LABELING_FAULT", None)
    environ.pop("LABELING_PAUSE", None)
    base = fingerprint(project, environ, exclude=[raw_dir / BATCHES_DIR])
    initial = ",".join(f"{name}:{sha256_of(raw_dir / name)}" for name in BATCH_FILES)
    return sha256_text(f"{base}|{initial}|{invocation}")


def sha256_text(text: str) -> str:
    """The sha256 of ``text`` (UTF-8), in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan(project: Path, raw_dir: Path, recorded: list[Mapping[str, Any]], full_refresh: bool,
         missing_tables: list[str], invocation: str = "",
         environ: Mapping[str, str] | None = None, unplanned: bool = False) -> dict[str, Any]:
    """What this build applies.

    ``recorded``: the rows of ``audit.raw_batches`` in the published database (``batch``,
    ``raw_file``, ``sha256``, ``rebuild_key``), empty when there is none; ``missing_tables``:
    the incremental models the database lacks; ``invocation``: the dbt vars and target of the
    invocation, as JSON (part of the rebuild key); ``unplanned``: a command that does not
    build asks (its answer is a full plan with ``planned`` false). Returns ``{"mode": "full" | "incremental",
    "reason": ..., "rebuild_key": ..., "batches": [...], "new": [names], "planned": bool}``, where ``batches``
    lists every batch with its files (``name``, ``path``, ``shown``, ``sha256``) and ``new``
    the names this build reads (all of them in a full build).
    """
    # A command that does not build needs the files, not their hashes (which would read every
    # raw file on each dbt compile or show).
    key = "" if unplanned else rebuild_key(project, raw_dir, environ, invocation)
    batches = find_batches(raw_dir)
    described = [{
        "name": batch.name,
        "files": {name: {"path": str(batch.file(name)), "shown": batch.shown(name),
                         "sha256": "" if unplanned else sha256_of(batch.file(name))}
                  for name in BATCH_FILES},
    } for batch in batches]
    reason = _full_reason(described, recorded, key, full_refresh, missing_tables)
    applied = {str(row["batch"]) for row in recorded}
    new = [b["name"] for b in described] if reason else [b["name"] for b in described if b["name"] not in applied]
    return {"mode": "full" if reason else "incremental", "reason": reason or "only new batches",
            "rebuild_key": key, "batches": described, "new": new, "planned": not unplanned}


def _full_reason(described: list[dict[str, Any]], recorded: list[Mapping[str, Any]], key: str,
                 full_refresh: bool, missing_tables: list[str]) -> str:
    """Why this build must be a full one, or '' when it may be incremental."""
    if full_refresh:
        return "--full-refresh"
    if not recorded:
        return "no batches recorded in the database (first build)"
    if missing_tables:
        return f"the database has no {', '.join(missing_tables)}"
    if any(row["rebuild_key"] != key for row in recorded):
        return ("the project, the initial raw files, the annotations, the corrections or the "
                "settings changed since the last build")
    present = {(b["name"], name): spec["sha256"] for b in described for name, spec in b["files"].items()}
    for row in recorded:
        if row["batch"] == INITIAL:
            continue
        current = present.get((row["batch"], row["raw_file"]), "missing")
        if current == "missing":
            return f"batch {row['batch']} ({row['raw_file']}) was applied but is gone (batches are append-only)"
        if current != row["sha256"]:
            return f"batch {row['batch']} ({row['raw_file']}) changed since it was applied (batches are append-only)"
    return ""


def plan_json(project: Path, raw_dir: Path, recorded_json: str, full_refresh: bool,
              missing_tables_json: str, invocation_json: str, unplanned: bool = False) -> str:
    """``plan`` for the SQL function ``labeling_plan_batches`` (JSON in, JSON out)."""
    return json.dumps(plan(project, raw_dir, json.loads(recorded_json or "[]"), full_refresh,
                           json.loads(missing_tables_json or "[]"), invocation_json, unplanned=unplanned))
