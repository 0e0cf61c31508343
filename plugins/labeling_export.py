"""dbt-duckdb plugin of the labeling project: project-anchored paths and atomic exports.

dbt-duckdb resolves relative paths (the database file, COPY targets) against the folder dbt is
started from. This plugin anchors them on the dbt project folder instead, so ``dbt build`` run
from anywhere (``--project-dir``) uses the project's own database and export folder:

* ``update_connection_config`` makes a relative database ``path`` absolute and, for commands
  that write (build, run, seed, snapshot, test), points dbt at a private build copy of the
  database under ``.build/``, holding ``.build/build.lock`` so that a second build stops with a
  clear message. The on-run-end hook publishes the copy over the real file with one atomic
  rename (``labeling_publish_database()``) only when every node succeeded: a failed or killed
  build never changes ``labeling.duckdb``, and readers never block a build;
* ``configure_connection`` (and ``configure_cursor``) set the DuckDB variable
  ``labeling_raw_dir`` (the absolute raw-data folder, for the fast load path's ``read_csv``)
  and register the SQL functions ``labeling_project_dir()``,
  ``labeling_build_mode()``, ``labeling_publish_database()`` and
  ``labeling_check_raw_file(name, path, columns_json, full)`` (the raw-file preflight, see
  ``check_raw_file``);
* ``store`` publishes exports (below).

``LABELING_FAULT=<point>`` kills the process (SIGKILL) when it reaches ``<point>``, and
``LABELING_PAUSE=<point>:<seconds>`` makes it wait there; the test suite uses them to prove
that a crash at that point loses nothing and that a second build is refused. Points:
``export:copying`` (between the CSV and Parquet writes), ``export:staged``, ``export:moved``,
``export:switched``, ``db:before_publish``.

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

import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import TargetConfig

# agate (dbt's seed parser) uses the csv module, whose default field limit is 128 KiB: raise it
# so that long descriptions load (DuckDB's own limit, max_line_size, is the one that matters).
csv.field_size_limit(sys.maxsize)

STAGING = ".staging"
BUILD_DIR = ".build"
LOCK_FILE = "build.lock"
WRITING_COMMANDS = {"build", "run", "seed", "snapshot", "test"}
CSV_DIALECT = "delim=',', quote='\"', escape='\"', header=true, auto_detect=false, strict_mode=true"


def fault(point: str) -> bool:
    """Crash-test hook: at ``point``, SIGKILL this process if LABELING_FAULT names it, or sleep
    if LABELING_PAUSE is ``<point>:<seconds>``. Does nothing otherwise; returns True."""
    if os.environ.get("LABELING_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
    pause_point, _, seconds = os.environ.get("LABELING_PAUSE", "").rpartition(":")
    if pause_point == point:
        time.sleep(float(seconds))
    return True
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
    fault("export:staged")

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
    fault("export:moved")

    _replace_symlink(export_dir / CURRENT, f"{VERSIONS}/{version.name}")
    fault("export:switched")
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


def _command() -> str | None:
    try:
        from dbt.flags import get_flags

        return getattr(get_flags(), "WHICH", None)
    except Exception:
        return None


def check_raw_file(name: str, path: str | Path, columns: dict[str, str], max_errors: int = 5,
                   full: bool = True) -> str:
    """Check one raw CSV file before anything is loaded; return '' or a readable error.

    ``columns`` maps each expected column, in order, to its DuckDB type (the seed's
    ``column_types``). The file must exist, be non-empty UTF-8 CSV (a BOM and CRLF row ends
    are fine) whose header is exactly those columns in that order, with at least one data row,
    and every value must parse as its type: the error names the file, the rule, and the lines
    (up to ``max_errors``) with their column and value. With ``full=False`` only the file and
    its header are checked (the fast load path, whose strict ``read_csv`` reports bad lines
    itself while loading, so the file is parsed once, not twice).
    """
    import duckdb

    path = Path(path)
    expected = list(columns)
    if not path.is_file():
        return f"{name}: file not found at {path}"
    if path.stat().st_size == 0:
        return f"{name}: the file is empty (0 bytes); expected a header {','.join(expected)} and data rows"
    with path.open("rb") as handle:
        first = handle.readline(1 << 20)
    first = first.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{name}: line 1 (header) is not UTF-8 text ({exc.reason} at byte {exc.start}); is this a CSV file?"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return f"{name}: line 1 (header) holds control characters {text[:40]!r}; is this a CSV file?"
    header = next(csv.reader(io.StringIO(text)), [])
    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        if not missing and not extra:
            rule = "columns are in another order"
        elif missing and extra:
            rule = f"missing column(s) {', '.join(missing)} and unexpected column(s) {', '.join(extra)}"
        elif missing:
            rule = f"missing column(s) {', '.join(missing)}"
        else:
            rule = f"unexpected column(s) {', '.join(extra)}"
        shown = ",".join(header)[:200] or "(empty)"
        return f"{name}: header check failed: {rule}; header is {shown}, expected {','.join(expected)}"
    if not full:
        return ""
    spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
    con = duckdb.connect()
    try:
        escaped = str(path).replace("'", "''")
        con.execute(
            f"create table checked as select * from read_csv('{escaped}', columns={spec}, {CSV_DIALECT}, "
            "store_rejects=true, rejects_table='rejects', rejects_scan='reject_scans', max_line_size=20000000)"
        )
        rows = con.execute("select count(*) from checked").fetchone()[0]
        errors = con.execute(
            "select line, column_name, error_type, error_message, csv_line from rejects order by line, column_idx"
        ).fetchall()
    except duckdb.Error as exc:
        return f"{name}: cannot be read as CSV: {str(exc).splitlines()[0]}"
    finally:
        con.close()
    if errors:
        shown = []
        for line, column, kind, message, text in errors[:max_errors]:
            where = f"line {line}" + (f", column {column}" if column and kind == "CAST" else "")
            shown.append(f"{where}: {kind.lower()}: {message} [{text[:120]!r}]")
        more = f" (and {len(errors) - max_errors} more)" if len(errors) > max_errors else ""
        return f"{name}: {len(errors)} line(s) break the file's format{more}: " + "; ".join(shown)
    if rows == 0:
        return f"{name}: the file has a header but no data rows"
    return ""


class _BuildLockHeld(RuntimeError):
    pass


class Plugin(BasePlugin):
    """The ``labeling_export`` plugin: paths, build copy and lock, preflight, exports."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.keep_versions = int(plugin_config.get("keep_versions", 3))
        # Exports staged by this build, switched in by labeling_commit_exports() in on-run-end.
        self.pending: list[dict[str, Any]] = []
        self.main_path: Path | None = None
        self.build_path: Path | None = None
        self._lock_handle: Any = None

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        if not creds.path or creds.path == ":memory:" or "://" in creds.path or ":" in creds.path[:3]:
            return
        main = anchored(creds.path)
        if _command() not in WRITING_COMMANDS or os.environ.get("LABELING_DIRECT_WRITE"):
            creds.path = str(main)
            return
        build_dir = main.parent / BUILD_DIR
        build_dir.mkdir(parents=True, exist_ok=True)
        self._lock_handle = self._acquire_lock(build_dir / LOCK_FILE)
        build = build_dir / main.name
        for stale in (build, build.with_name(build.name + ".wal")):
            stale.unlink(missing_ok=True)
        if main.exists():
            shutil.copyfile(main, build)
        self.main_path, self.build_path = main, build
        creds.path = str(build)

    @staticmethod
    def _acquire_lock(lock_path: Path) -> Any:
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise _BuildLockHeld(
                f"another dbt build is running on this project ({holder}); it holds {lock_path}. "
                "Nothing was changed. Wait for it to finish and run again; queries can read "
                "labeling.duckdb (read-only) or exports/ meanwhile."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, {_command()} started {dt.datetime.now().isoformat(timespec='seconds')}\n")
        handle.flush()
        return handle

    def configure_cursor(self, cursor: Any) -> None:
        self._set_variables(cursor)

    @staticmethod
    def _set_variables(conn: Any) -> None:
        raw_dir = str(anchored(os.environ.get("LABELING_RAW_DIR", "data/sample")))
        conn.execute("set variable labeling_raw_dir = '" + raw_dir.replace("'", "''") + "'")

    def configure_connection(self, conn: Any) -> None:
        self._set_variables(conn)
        root = str(project_dir())
        conn.create_function("labeling_project_dir", lambda: root, [], "VARCHAR", side_effects=False)
        conn.create_function("labeling_build_mode", lambda: self.build_path is not None, [], "BOOLEAN",
                             side_effects=True)
        conn.create_function("labeling_publish_database", self.publish_database, [], "VARCHAR",
                             side_effects=True)
        conn.create_function("labeling_commit_exports", self.commit_exports, [], "VARCHAR",
                             side_effects=True)
        conn.create_function("labeling_fault", fault, ["VARCHAR"], "BOOLEAN", side_effects=True)
        conn.create_function(
            "labeling_check_raw_file",
            lambda name, path, spec, full: check_raw_file(name, path, json.loads(spec), full=full),
            ["VARCHAR", "VARCHAR", "VARCHAR", "BOOLEAN"], "VARCHAR", side_effects=True,
        )

    def publish_database(self) -> str:
        """Move the build copy over the real database file (one atomic rename)."""
        if self.build_path is None or self.main_path is None:
            return "not a build: nothing to publish"
        wal = self.build_path.with_name(self.build_path.name + ".wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise RuntimeError(f"labeling: {wal} is not empty; run CHECKPOINT before publishing")
        fault("db:before_publish")
        _fsync_path(self.build_path)
        os.replace(self.build_path, self.main_path)
        _fsync_path(self.main_path.parent)
        return f"published {self.main_path}"

    def commit_exports(self) -> str:
        """Switch in every export this build staged; return them as JSON for on-run-end.

        Called by on-run-end only when every node succeeded, just before the database is
        published, so a build that fails anywhere (in the labeling workflow too) leaves the
        previous export and database in place. Each item names the export's relation and the
        published file its view should read.
        """
        committed = []
        while self.pending:
            item = self.pending.pop(0)
            commit(Path(item["export_dir"]), item["invocation_id"], item["meta"], self.keep_versions)
            committed.append({"relation": item["relation"], "published": item["published"],
                              "reader": item["reader"]})
        return json.dumps(committed)

    def store(self, target_config: TargetConfig) -> None:
        assert target_config.location is not None
        action = target_config.location.format
        export_dir = anchored(target_config.location.path)
        meta = dict(target_config.config or {})
        invocation_id = str(meta["invocation_id"])
        # Keys starting with "_" tell the plugin how to publish; they are not part of the manifest.
        private = {key: meta.pop(key) for key in list(meta) if key.startswith("_")}
        if action == "prepare":
            export_dir.mkdir(parents=True, exist_ok=True)
            prepare(export_dir, invocation_id)
        elif action == "commit":
            if self.build_path is None:  # not a build on the private copy: publish at once
                commit(export_dir, invocation_id, meta, self.keep_versions)
            else:
                self.pending.append({
                    "export_dir": str(export_dir), "invocation_id": invocation_id, "meta": meta,
                    "relation": meta.get("relation"), "published": private.get("_published"),
                    "reader": private.get("_reader", "read_parquet"),
                })
        else:
            raise ValueError(f"labeling_export: unknown action {action!r} (expected prepare or commit)")
