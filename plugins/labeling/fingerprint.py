"""The sha256 of everything a build reads: ``make build``'s up-to-date check and the batch plan.

``fingerprint(root)`` hashes:

* the content of every file of the project that a build may read: every file under the project
  folder except version control, virtual environments, dbt's ``target/`` and ``logs/``, the
  builds (``.build/``), the exports, the benchmarks and the tests;
* the raw files (``LABELING_RAW_DIR``) and annotation exports (``LABELING_ANNOTATIONS_DIR``)
  when they lie outside the project, or under one of the skipped folders;
* every ``LABELING_*`` and ``DBT_*`` environment variable;
* the name and version of every installed Python distribution (dbt, DuckDB, scikit-learn...).

``exclude`` leaves folders out (the batch plan leaves out the raw folder's ``batches/``, which
it compares batch by batch itself).
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
#: Names skipped at any depth.
SKIPPED_ANYWHERE = {"__pycache__", ".DS_Store"}


def project_files(folder: Path, root: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Regular files under ``folder``, sorted, without the skipped folders, ``exclude`` and
    DuckDB files."""
    excluded = {path.resolve() for path in exclude}
    found = []
    for current, dirs, names in os.walk(folder):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_ANYWHERE and not d.startswith(".venv")
                         and not (here == root and d in SKIPPED_AT_TOP)
                         and (here / d).resolve() not in excluded)
        for name in sorted(names):
            path = here / name
            if name in SKIPPED_ANYWHERE or ".duckdb" in name or not path.is_file() or path.is_symlink():
                continue
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
            add(str(path.relative_to(folder)), sha256_of(path))
    for name in sorted(environ):
        if name.startswith(("LABELING_", "DBT_")):
            add("env", name, environ[name])
    for dist in sorted((d.metadata["Name"] or "", d.version) for d in distributions()):
        add("dist", *dist)
    return digest.hexdigest()
