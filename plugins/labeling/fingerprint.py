"""The sha256 of everything a build reads: ``make build``'s up-to-date check and the batch plan.

``fingerprint(root)`` hashes:

* the content of every file of the project that a build may read: every file under the project
  folder except version control, virtual environments, dbt's ``target/`` and ``logs/``, the
  builds (``.build/``), the exports, the benchmarks and the tests;
* the raw files (``LABELING_RAW_DIR``) and annotation exports (``LABELING_ANNOTATIONS_DIR``)
  when they lie outside the project, or under one of the skipped folders;
* through symbolic links, what they point to (a broken link: where it points);
* every ``LABELING_*`` and ``DBT_*`` environment variable (but ``NOT_INPUTS``);
* the name and version of every installed Python distribution (dbt, DuckDB, scikit-learn...).

``exclude`` leaves folders out (the batch plan leaves out the raw folder's ``batches/``, which
it compares batch by batch itself).

``split(root)`` divides the same inputs in two for ``make build``'s edit loop: ``data``, all of
the above but the folders dbt parses and compares between builds itself (``DBT_FOLDERS``), and
``dbt``, those folders' files. When only ``dbt`` changed, dbt's state selection
(``state:modified+`` against the published build's manifest) knows what to rebuild.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

from labeling.paths import anchored
from labeling.publish import sha256_of

#: Top-level folders a build never reads (or writes itself).
SKIPPED_AT_TOP = {".git", "target", "logs", "exports", ".build", "benchmarks", "pytests", "ci-artifacts",
                  "docs-site", ".labelstudio", ".pytest_cache", ".ci", "spark"}
#: Environment variables that are not inputs of a build: the fingerprints ``make build`` hands
#: the build to record (``scripts/up_to_date.py``), and ``LABELING_PIECE_ROWS``, which changes
#: how the big joins run (``labeling_pieces``), never what they give.
NOT_INPUTS = {"LABELING_INPUT_FINGERPRINT", "LABELING_DATA_FINGERPRINT", "LABELING_PIECE_ROWS"}
#: The project's folders whose files dbt parses into its manifest and compares with a previous
#: manifest itself (``state:modified``: code, configs, seeds' contents, the macros a node calls).
#: Not ``dbt_project.yml`` (its vars and hooks are not compared node by node) nor ``docs/``.
DBT_FOLDERS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")
#: Names skipped at any depth.
SKIPPED_ANYWHERE = {"__pycache__", ".DS_Store"}


def project_files(folder: Path, root: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Files under ``folder``, sorted, without the skipped folders, ``exclude`` and DuckDB files.

    Symbolic links are followed, as the build follows them: a linked raw file or batch folder
    counts by what it points to (a folder reached twice through links is read once), and a
    broken link is listed too (``fingerprint`` hashes where it points)."""
    excluded = {path.resolve() for path in exclude}
    found = []
    visited: set[Path] = set()
    for current, dirs, names in os.walk(folder, followlinks=True):
        here = Path(current)
        real = here.resolve()
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_ANYWHERE and not d.startswith(".venv")
                         and not (here == root and d in SKIPPED_AT_TOP)
                         and (here / d).resolve() not in excluded)
        for name in sorted(names):
            path = here / name
            if name in SKIPPED_ANYWHERE or ".duckdb" in name:
                continue
            if path.is_file() or (path.is_symlink() and not path.exists()):
                found.append(path)
    return found


def fingerprint(root: Path, environ: Mapping[str, str] | None = None, exclude: Iterable[Path] = ()) -> str:
    """The sha256 of everything a build of ``root`` reads (see the module docstring)."""
    environ = dict(os.environ if environ is None else environ)
    exclude = list(exclude)
    digest = hashlib.sha256()

    def add(*parts: str) -> None:
        for part in parts:
            data = part.encode("utf-8", "surrogateescape")
            digest.update(len(data).to_bytes(8, "little") + data)

    folders = [root]
    for variable, default in (("LABELING_RAW_DIR", "data/sample"), ("LABELING_ANNOTATIONS_DIR", "data/annotations")):
        folder = anchored(environ.get(variable) or default, root).resolve()
        inside = folder.relative_to(root).parts if folder.is_relative_to(root) else None
        if inside is None or (inside and inside[0] in SKIPPED_AT_TOP):
            folders.append(folder)
    for folder in folders:
        add("folder", str(folder))
        for path in project_files(folder, root, exclude):
            if path.exists():
                add(str(path.relative_to(folder)), sha256_of(path))
            else:
                add(str(path.relative_to(folder)), "broken link", os.readlink(path))
    for name in sorted(environ):
        if name.startswith(("LABELING_", "DBT_")) and name not in NOT_INPUTS:
            add("env", name, environ[name])
    for dist in sorted((d.metadata["Name"] or "", d.version) for d in distributions()):
        add("dist", *dist)
    return digest.hexdigest()


def split(root: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{"data": ..., "dbt": ..., "input": ...}``: the fingerprint of everything a build reads
    but ``DBT_FOLDERS``; of the files in those folders; and of both together (what
    ``fingerprint`` covers, hashed in two parts)."""
    folders = [root / name for name in DBT_FOLDERS]
    data = fingerprint(root, environ, exclude=folders)
    digest = hashlib.sha256()
    for folder in folders:
        for path in project_files(folder, root):
            digest.update(f"{path.relative_to(root)}\0{sha256_of(path) if path.exists() else os.readlink(path)}\n"
                          .encode("utf-8", "surrogateescape"))
    code = digest.hexdigest()
    return {"data": data, "dbt": code, "input": hashlib.sha256(f"{data}:{code}".encode()).hexdigest()}


#: A macro, test or materialization definition in a file dbt parses (its name: group 2).
_DEFINITION = re.compile(r"{%-?\s*(macro|test|materialization)\s+(\w+)")
#: dbt compares a seed of this size or more by its path only, never by its content.
SEED_COMPARED_BY_PATH = 1024 * 1024


def _reach(manifest: dict[str, Any], starts: Iterable[str]) -> set[str]:
    """The macros reached from ``starts`` (macro ids) through the macros they call, a call to a
    name reaching every macro of that name (the project's override of a dbt macro included)."""
    macros = manifest["macros"]
    by_name: dict[str, list[str]] = {}
    for uid, macro in macros.items():
        by_name.setdefault(macro["name"], []).append(uid)
    seen: set[str] = set()
    frontier = list(starts)
    while frontier:
        uid = frontier.pop()
        if uid in seen or uid not in macros:
            continue
        seen.add(uid)
        for called in macros[uid]["depends_on"]["macros"]:
            frontier += by_name.get(called.rsplit(".", 1)[-1], [called])
    return seen


def unfollowed_edits(root: Path, manifest: dict[str, Any]) -> str:
    """'' when dbt's state selection against ``manifest`` (the published build's) sees every
    change of dbt's files under ``root``; else why it cannot, and the build must be a full one.

    dbt's ``state:modified`` compares each node's code and configs, and the macros a node calls
    (``depends_on.macros``, followed through the macros they call). It does not see a macro
    reached from a materialization or a hook (``on-run-start``, ``on-run-end``), nor one dbt
    calls from Python (``generate_schema_name``, ``get_where_subquery``...: called by no node),
    nor a project macro that overrides one of dbt's by name, nor a seed of 1 MiB or more
    (compared by path). A macro changed when its text (``macro_sql``) is no longer in its file;
    a new one counts when it overrides a macro of another package or defines a materialization."""
    project = manifest["metadata"]["project_name"]
    macros = manifest["macros"]
    nodes = [n for n in (*manifest["nodes"].values(), *manifest.get("unit_tests", {}).values())
             if n["resource_type"] != "operation"]
    from_nodes = _reach(manifest, (m for n in nodes for m in n.get("depends_on", {}).get("macros", [])))
    hooks = _reach(manifest, (m for n in manifest["nodes"].values() if n["resource_type"] == "operation"
                              for m in n["depends_on"]["macros"]))
    materializations = _reach(manifest, (uid for uid, m in macros.items() if m["name"].startswith("materialization_")))
    uncalled = {uid for uid, m in macros.items() if m["package_name"] == project and uid not in from_nodes}
    overrides = _reach(manifest, uncalled)  # dbt calls them itself (or nothing does), and what they call
    other_packages = {m["name"] for m in macros.values() if m["package_name"] != project}
    old_names: dict[str, set[str]] = {}
    for uid, macro in macros.items():
        if macro["package_name"] != project:
            continue
        path = root / macro["original_file_path"]
        old_names.setdefault(macro["original_file_path"], set()).add(macro["name"])
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        if macro["macro_sql"] in text:
            continue
        for reached, how in ((materializations, "a materialization calls it"), (hooks, "a hook calls it"),
                             (overrides, "no node calls it: dbt itself does, or it overrides a dbt macro")):
            if uid in reached:
                return (f"{macro['original_file_path']}: macro {macro['name']} "
                        f"{'changed' if path.is_file() else 'is gone'}, and dbt's state selection cannot "
                        f"follow it ({how})")
    for folder in ("macros", "tests"):
        for path in project_files(root / folder, root):
            if path.suffix != ".sql" or not path.is_file():
                continue
            shown = str(path.relative_to(root))
            for kind, name in _DEFINITION.findall(path.read_text(encoding="utf-8", errors="replace")):
                known = old_names.get(shown, set())
                if kind == "materialization":
                    if not any(old.startswith(f"materialization_{name}_") for old in known):
                        return f"{shown}: new materialization {name}, which dbt's state selection cannot follow"
                    continue
                name = f"test_{name}" if kind == "test" else name
                if name not in known and name in other_packages:
                    return f"{shown}: new macro {name} overrides dbt's, which dbt's state selection cannot follow"
    for node in manifest["nodes"].values():
        path = root / node.get("original_file_path", "")
        if node["resource_type"] == "seed" and node["checksum"]["name"] == "path" and path.is_file() \
                and path.is_relative_to(root / "seeds"):
            return (f"{node['original_file_path']}: dbt compares a seed of {SEED_COMPARED_BY_PATH // 1024 // 1024} MiB "
                    "or more by its path only, so its state selection cannot see an edit of it")
    return ""
