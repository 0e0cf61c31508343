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
from collections.abc import Iterable, Mapping
from importlib.metadata import distributions
from pathlib import Path

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
