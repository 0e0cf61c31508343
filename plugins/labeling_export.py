"""dbt-duckdb plugin of the labeling project: project-anchored paths and atomic exports.

dbt-duckdb resolves relative paths (the database file, COPY targets) against the folder dbt is
started from. This plugin anchors them on the dbt project folder instead, so ``dbt build`` run
from anywhere (``--project-dir``) uses the project's own database and export folder:

* ``update_connection_config`` makes a relative database ``path`` absolute;
* ``configure_connection`` registers the SQL function ``labeling_project_dir()``, which macros
  use to build absolute file paths;
* ``store`` publishes exports (below).

It is installed with the project (``pip install -e .``, part of ``requirements.txt``) and
enabled in ``profiles/profiles.yml`` under ``plugins:``.

The ``gated_export`` materialization (``macros/materializations/gated_export.sql``) calls this
plugin through ``adapter.store_relation('labeling_export', ...)`` twice:

``prepare``
    Creates an empty staging folder ``<export_dir>/.staging/<invocation_id>/`` (removing
    leftovers of builds that were killed) for DuckDB's ``COPY ... TO`` to write into.
``commit``
    Hashes the staged files and the input files, writes ``manifest.json`` beside them, fsyncs,
    moves the folder to ``<export_dir>/versions/<version>/`` and then switches the symlink
    ``<export_dir>/current`` to it with one atomic ``rename``. The stable names users read,
    ``<export_dir>/<file>``, are symlinks through ``current``.

A reader therefore sees either the previous complete export or the new complete export, never
a mix or a half-written file, even if the build is killed at any point; older versions beyond
``keep_versions`` (default 3) are pruned after a successful switch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import TargetConfig

STAGING = ".staging"
VERSIONS = "versions"
CURRENT = "current"
MANIFEST = "manifest.json"


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically (create a temporary link, then rename it)."""
    tmp = link.with_name(f".{link.name}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def prepare(export_dir: Path, invocation_id: str) -> Path:
    """Create an empty staging folder for this invocation and return it."""
    staging_root = export_dir / STAGING
    if staging_root.exists():
        shutil.rmtree(staging_root)  # leftovers of killed builds; never read by anyone
    staging = staging_root / invocation_id
    staging.mkdir(parents=True)
    return staging


def commit(export_dir: Path, invocation_id: str, meta: dict[str, Any], keep_versions: int = 3) -> Path:
    """Publish the staged files of ``invocation_id`` as the current export; return its folder."""
    staging = export_dir / STAGING / invocation_id
    files = sorted(p for p in staging.iterdir() if p.is_file() and p.name != MANIFEST)
    if not files:
        raise RuntimeError(f"labeling_export: nothing staged in {staging}")
    manifest = dict(meta)
    manifest["files"] = {p.name: {"sha256": sha256_of(p), "bytes": p.stat().st_size} for p in files}
    inputs = {}
    for name, path in sorted(meta.get("inputs", {}).items()):
        source = anchored(path)
        inputs[name] = {"path": str(source), "sha256": sha256_of(source), "bytes": source.stat().st_size}
    manifest["inputs"] = inputs
    manifest["published_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for path in [*files, staging / MANIFEST, staging]:
        _fsync_path(path)

    versions = export_dir / VERSIONS
    versions.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    version = versions / f"{stamp}-{invocation_id}"
    os.rename(staging, version)
    _fsync_path(versions)
    try:
        staging.parent.rmdir()  # .staging is empty now
    except OSError:
        pass

    _replace_symlink(export_dir / CURRENT, f"{VERSIONS}/{version.name}")
    for name in [*(p.name for p in files), MANIFEST]:
        link = export_dir / name
        if not link.is_symlink() or os.readlink(link) != f"{CURRENT}/{name}":
            _replace_symlink(link, f"{CURRENT}/{name}")
    _fsync_path(export_dir)

    for old in sorted(v for v in versions.iterdir() if v.is_dir())[:-keep_versions]:
        if old.name != version.name:
            shutil.rmtree(old, ignore_errors=True)
    return version


def project_dir() -> Path:
    """The dbt project folder of the running invocation (``--project-dir`` or dbt's own pick)."""
    try:
        from dbt.flags import get_flags

        configured = getattr(get_flags(), "PROJECT_DIR", None)
    except Exception:  # outside a dbt invocation
        configured = None
    return Path(configured or os.getcwd()).resolve()


def anchored(path: str | Path) -> Path:
    """``path`` if absolute, else ``path`` relative to the project folder."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else project_dir() / candidate


class Plugin(BasePlugin):
    """The ``labeling_export`` plugin: ``store`` runs ``prepare`` or ``commit`` (the location format)."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.keep_versions = int(plugin_config.get("keep_versions", 3))

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        if creds.path and creds.path != ":memory:" and "://" not in creds.path and ":" not in creds.path[:3]:
            creds.path = str(anchored(creds.path))

    def configure_connection(self, conn: Any) -> None:
        root = str(project_dir())
        conn.create_function("labeling_project_dir", lambda: root, [], "VARCHAR", side_effects=False)

    def store(self, target_config: TargetConfig) -> None:
        assert target_config.location is not None
        action = target_config.location.format
        export_dir = anchored(target_config.location.path)
        meta = dict(target_config.config or {})
        invocation_id = str(meta["invocation_id"])
        if action == "prepare":
            export_dir.mkdir(parents=True, exist_ok=True)
            prepare(export_dir, invocation_id)
        elif action == "commit":
            commit(export_dir, invocation_id, meta, self.keep_versions)
        else:
            raise ValueError(f"labeling_export: unknown action {action!r} (expected prepare or commit)")
