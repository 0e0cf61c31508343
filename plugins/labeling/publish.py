"""The gate and the publish, for both engines: whether a build may be published, and how its
database and export files become visible together, or not at all.

**The gate** (``refusal``) is asked once dbt has run every node, by DuckDB's on-run-end hook and
by Spark's publish alike: a build is published only when some node ran, none errored, failed or
was skipped, every data test on an export or on a node upstream of it ran, and no export is
empty (unless it allows it). Its docstring lists the rules in order, with the one that comes
before any node runs (the input checks of ``labeling.raw_files``). A refused build changes
nothing readers see, and what it staged is removed.

**The publish.** Layout on DuckDB (``labeling.duckdb`` and ``exports/`` at their defaults; on
Spark, with no local database, the export folder's own ``current`` link is the commit point)::

    labeling.duckdb           -> .build/published/current/labeling.duckdb
    .build/published/current  -> <build>                   the one commit point
    .build/published/<build>/labeling.duckdb              that build's database
    .build/published/<build>/exports -> ../../../exports/versions/<version>
    .build/published/<build>/state/  dbt's manifest.json of the build, build.json
    exports/current           -> ../.build/published/current/exports
    exports/labeled_projects.csv -> current/labeled_projects.csv   (every published name)
    exports/versions/<version>/   that build's files and manifest.json
    exports/.labeling-exports     marks the folder as the project's own

Readers open ``labeling.duckdb`` and ``exports/<file>``; both resolve through
``.build/published/current``, so one ``rename`` of that link switches the database and the
export files at once, and at any instant both come from the same build. What a build does, in
order (the fault points of ``faults`` sit between the steps):

1. ``publish:start``: check that nobody wrote to the published database since the build copied
   it (else publishing would lose those writes) and that the build's copy has no pending WAL
   (the caller checkpointed it); fsync the copy.
2. ``publish:version``: the export files staged under ``exports/.staging/<build>/`` get their
   manifests and are fsynced, then renamed to ``exports/versions/<version>/``; exports this
   build did not write are carried over from the current version (hard links), so a partial
   selection never drops a file.
3. ``publish:generation``: ``.build/published/<build>/`` receives the database copy (a rename),
   a link to that version and the build's dbt state (``state/``: dbt's manifest and
   ``build.json``, which ``make build`` compares with next time); the stable links (``labeling.duckdb``, ``exports/current``, the
   file names) are created if missing. Nothing readers see has changed yet.
4. ``publish:switched``: ``.build/published/current`` is pointed at the new build with one
   atomic ``rename`` and the folder is fsynced. This is the commit point.
5. ``publish:linked``: names the new version no longer has are unlinked, and older builds and
   versions are pruned (the last ``keep_versions`` export versions stay for comparisons).

A crash before step 4 leaves everything readers see as it was (the leftovers are pruned by the
next build); a crash after it leaves the new build complete. A project published by an older
layout (a plain database file, ``exports/current -> versions/...``) is first re-expressed in this
layout without changing what readers see (``adopt_existing``), each step one atomic rename.

The project only touches what it created: the export folder must be new, empty, or carry the
marker ``.labeling-exports`` (written when the project first publishes there); a folder with
other files is refused before anything is built (``ExportFolder.claim``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labeling.faults import fault
from labeling.paths import relative_link
from labeling.workspace import BUILD_DIR, wal_of

PUBLISHED = "published"
CURRENT = "current"
VERSIONS = "versions"
STAGING = ".staging"
MARKER = ".labeling-exports"
MANIFEST = "manifest.json"
EXPORTS_LINK = "exports"
# Names the project creates in an export folder, and the shape of the ones it generates.
VERSION_NAME = re.compile(r"^\d{8}T\d{6,12}Z-[0-9a-f-]{36}$")
MARKER_TEXT = ("This folder holds the exports of the mwml_labeling dbt project. The project writes\n"
               "only what it created here: current, versions/, .staging/ and links through current/.\n")


#: DuckDB COPY options of each export file format (the ``gated_export`` materialization's, on
#: DuckDB through the plugin's ``labeling_export_copy_options``, and ``labeling.spark``'s).
#: CSV: header, RFC 4180 minimal quoting (``comment ''`` stops DuckDB from quoting ``#``), NULL as
#: an empty field: what pandas' ``to_csv`` writes. json: one JSON array of objects (Label Studio's
#: task import); jsonl: one object per line (Doccano, Prodigy); xml and txt: the single column's
#: text as it is, one value per row.
EXPORT_COPY_OPTIONS = {
    "csv": "format csv, header true, delimiter ',', quote '\"', comment ''",
    "parquet": "format parquet, compression zstd",
    "json": "format json, array true",
    "jsonl": "format json",
    "xml": "format csv, header false, quote '', escape '', delimiter '\x1f'",
    "txt": "format csv, header false, quote '', escape '', delimiter '\x1f'",
}


def export_copy_options(file_format: str) -> str:
    """The COPY options of an export format (``EXPORT_COPY_OPTIONS``); ValueError if unknown."""
    try:
        return EXPORT_COPY_OPTIONS[file_format]
    except KeyError:
        raise ValueError(f"gated_export: unsupported format {file_format!r} "
                         f"({', '.join(EXPORT_COPY_OPTIONS)})") from None


#: dbt's node statuses that keep a build from being published, on both engines: a model or test
#: that errored, a test that failed, a node skipped because something upstream failed. A test
#: that warns does not.
BLOCKING_STATUSES = ("error", "fail", "runtime error", "skipped")


def refusal(nodes: dict[str, dict[str, Any]], results: list[dict[str, Any]],
            row_counts: dict[str, int], carried: set[str] | frozenset[str] = frozenset()) -> str:
    """The gate: why a finished build must not be published, or '' when it may be. Both engines
    ask it once dbt has run every node: DuckDB's on-run-end hook (``labeling_refusal``, with
    dbt's ``graph`` and ``results``) and Spark's publish (``labeling.spark.publish``, with
    ``target/manifest.json`` and ``target/run_results.json``). The rules, in order:

    1. the inputs were checked before anything loaded (not here: a bad raw file, seed or
       annotation file stops the command before any node runs, naming file, line and rule:
       ``labeling.raw_files.check_inputs``, run by DuckDB's on-run-start and Spark's ``prepare``);
    2. some node ran, and none errored, failed or was skipped (``BLOCKING_STATUSES``);
    3. every data test that checks an export or a node upstream of it ran in this invocation
       (so ``dbt run``, or a selection that leaves tests out, never publishes), or is
       ``carried`` over from the published build (``carried_tests``: ``make build``'s edit loop);
    4. no export is empty, unless its model sets ``allow_empty``.

    ``nodes``: dbt's nodes by unique id, in the manifest's shape (``resource_type``, ``name``,
    ``depends_on.nodes``, ``attached_node``, ``config.materialized`` and ``config.allow_empty``);
    ``results``: ``{unique_id, status}`` per node run; ``row_counts``: the rows each export staged.
    """
    statuses = {result["unique_id"]: str(result["status"]) for result in results}
    if not statuses:
        return "no node ran"
    blocked = [uid for uid, status in statuses.items() if status in BLOCKING_STATUSES]
    if blocked:
        return f"{len(blocked)} node(s) failed or were skipped"
    for uid in sorted(statuses):
        node = nodes.get(uid) or {}
        if node.get("config", {}).get("materialized") != "gated_export":
            continue
        gated = _upstream(nodes, uid) | {uid}
        missing = sorted(test for test, candidate in nodes.items() if candidate.get("resource_type") == "test"
                         and test not in statuses and test not in carried and _checks(candidate, gated))
        if missing:
            return (f"{node['name']} is an export gated by the data tests of the nodes it reads, but "
                    f"{len(missing)} of them are not part of this invocation (for example "
                    f"{', '.join(missing[:3])}). Run `dbt build` (or `dbt build --select +{node['name']}`)")
        if row_counts.get(uid) == 0 and not node["config"].get("allow_empty"):
            return f"gated_export {node['name']}: the result has 0 rows; refusing to publish an empty export"
    return ""


def carried_tests(nodes: dict[str, dict[str, Any]], results: list[dict[str, Any]],
                  passed_before: list[str]) -> set[str]:
    """The data tests a build may take from the published build instead of running them, for
    rule 3 of ``refusal``: among ``passed_before`` (the tests the published build passed, its
    ``build.json``), those that neither ran in this build nor read a node that did. The caller
    hands ``passed_before`` only to a build that starts from the published build's database,
    on the same data (the data fingerprint), with dbt's state selection against the published
    build's manifest (so whatever changed since ran): then such a test would read what it read
    when it passed."""
    ran = {result["unique_id"] for result in results}
    return {test for test in passed_before
            if test in nodes and test not in ran and not (_upstream(nodes, test) & ran)}


def _upstream(nodes: dict[str, dict[str, Any]], uid: str) -> set[str]:
    """Every node ``uid`` reads, directly or not."""
    seen: set[str] = set()
    frontier = list(nodes.get(uid, {}).get("depends_on", {}).get("nodes", []))
    while frontier:
        parent = frontier.pop()
        if parent not in seen:
            seen.add(parent)
            frontier += nodes.get(parent, {}).get("depends_on", {}).get("nodes", [])
    return seen


def _checks(test: dict[str, Any], gated: set[str]) -> bool:
    """Whether a data test checks one of the ``gated`` nodes: a generic test the node it is
    defined on (a test on another model that merely reads a gated one does not); a singular
    test any node it reads."""
    attached = test.get("attached_node")
    return attached in gated if attached else bool(set(test.get("depends_on", {}).get("nodes", [])) & gated)


class PublishError(RuntimeError):
    """Publishing cannot go on; nothing readers see has changed."""


def describe_inputs(inputs: dict[str, Path], annotation_files: dict[str, Path] | None = None
                    ) -> dict[str, dict[str, Any]]:
    """An export manifest's ``inputs``, on either engine: ``{name: {path, sha256, bytes}}`` of the
    raw files and seeds the export was built from and, with ``annotation_files`` (the export
    reads the annotations: the files of the build's reading, ``annotations.Reading.named_files``),
    every annotation file, named ``annotations/<tool>/<file>``."""
    files = {**inputs, **(annotation_files or {})}
    return {name: {"path": str(path), "sha256": sha256_of(path), "bytes": path.stat().st_size}
            for name, path in sorted(files.items())}


class ExportFolderError(RuntimeError):
    """The export folder holds files the project did not create; nothing was changed."""


#: Hashes already taken, by resolved path: ``[device, inode, size, mtime_ns, ctime_ns, sha256]``.
#: An edit changes the change time even when it keeps the size and resets the modification time
#: (``touch -r``), so an entry whose identity still matches is the file's content. Kept for the process, and across processes in
#: ``HASHES_FILE`` once ``remember_hashes`` named its folder.
_SHA256_SEEN: dict[str, list[Any]] = {}
HASHES_FILE = "sha256-cache.json"
_hashes_folder: list[Path] = []
#: A hash is kept across processes only for a file untouched for this long (in ns) when it is
#: saved: a file written in the same tick of a coarse clock may change without its times moving.
_SETTLED_NS = 2_000_000_000


def remember_hashes(folder: Path) -> None:
    """Keep file hashes across processes in ``folder/HASHES_FILE`` (the build folder, ``.build/``):
    load what an earlier process saved, and ``save_hashes`` writes it back. ``make build`` with
    nothing changed and a build's batch plan and export manifest then read a large raw file
    only when it changed, not on every run."""
    if _hashes_folder == [folder]:
        return
    _hashes_folder[:] = [folder]
    try:
        saved = json.loads((folder / HASHES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(saved, dict):
        for key, entry in saved.items():
            _SHA256_SEEN.setdefault(key, entry)


def save_hashes() -> None:
    """Write the settled hashes of this process (and of earlier ones) to the folder
    ``remember_hashes`` named, atomically; never raises (the file is a shortcut, not a record)."""
    if not _hashes_folder:
        return
    folder = _hashes_folder[0]
    now = dt.datetime.now(dt.timezone.utc).timestamp() * 1e9
    settled = {key: entry for key, entry in _SHA256_SEEN.items() if now - max(entry[3], entry[4]) > _SETTLED_NS}
    tmp = folder / f".{HASHES_FILE}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(settled), encoding="utf-8")
        os.replace(tmp, folder / HASHES_FILE)
    except OSError:
        tmp.unlink(missing_ok=True)


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks; taken again only when the file's identity
    changed since it was last hashed (``_SHA256_SEEN``): in this process, or in an earlier one
    when ``remember_hashes`` is on."""
    stat = path.stat()
    key = str(path.resolve())
    identity = [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
    seen = _SHA256_SEEN.get(key)
    if seen is not None and seen[:5] == identity:
        return str(seen[5])
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    _SHA256_SEEN[key] = [*identity, digest.hexdigest()]
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file or a folder (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically: a temporary link renamed over it."""
    tmp = link.with_name(f".{link.name}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _now_stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _link_tree(source: Path, dest: Path) -> None:
    """Hard-link ``source`` (a file or a folder) to ``dest``; copy where links are refused."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir():
        shutil.copytree(source, dest, copy_function=link)
    else:
        link(str(source), str(dest))


@dataclass
class StagedExport:
    """One export model's files, written by this build into its staging folder."""

    relation: str
    files: list[str]
    manifest: str
    meta: dict[str, Any]
    view_target: str
    reader: str


@dataclass
class ExportFolder:
    """An export folder (``var('export_dir')``) the project owns."""

    path: Path
    keep_versions: int = 3
    staged: list[StagedExport] = field(default_factory=list)

    # -- ownership ---------------------------------------------------------------------------
    def foreign_entries(self) -> list[str]:
        """Entries of the folder the project did not create (empty when it owns the folder)."""
        if not self.path.exists():
            return []
        owned = (self.path / MARKER).is_file()
        foreign = []
        for entry in sorted(self.path.iterdir()):
            name = entry.name
            if name in (MARKER, f".{CURRENT}.tmp"):
                continue
            if name == CURRENT and entry.is_symlink():
                continue
            if name == VERSIONS and entry.is_dir() and not entry.is_symlink():
                foreign += [f"{VERSIONS}/{v.name}" for v in sorted(entry.iterdir())
                            if not VERSION_NAME.match(v.name)]
                continue
            if name == STAGING and entry.is_dir() and (owned or all(
                    re.match(r"^[0-9a-f-]{36}$", s.name) for s in entry.iterdir())):
                continue
            if entry.is_symlink() and os.readlink(entry) == f"{CURRENT}/{name}":
                continue
            if name.startswith(".") and name.endswith(".tmp") and entry.is_symlink():
                continue
            foreign.append(name + ("/" if entry.is_dir() and not entry.is_symlink() else ""))
        return foreign

    def claim(self, write: bool = True) -> None:
        """Make sure the folder is the project's (create it, or mark an empty or earlier
        export folder of the project); raise ``ExportFolderError`` when it holds other files.
        With ``write=False`` only check (the preflight: nothing is written before publishing)."""
        foreign = self.foreign_entries()
        if foreign:
            shown = ", ".join(foreign[:6]) + (f" and {len(foreign) - 6} more" if len(foreign) > 6 else "")
            raise ExportFolderError(
                f"export folder {self.path} holds files this project did not create ({shown}). "
                f"The project writes only into a new or empty folder, or one it marked as its own "
                f"({MARKER}); it never deletes or replaces files it did not create. Point "
                "LABELING_EXPORT_DIR at a new or empty folder, or move those files away. "
                "Nothing was changed.")
        if not write:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        marker = self.path / MARKER
        if not marker.is_file():
            marker.write_text(MARKER_TEXT, encoding="utf-8")

    # -- staging -----------------------------------------------------------------------------
    def staging(self, build_id: str) -> Path:
        return self.path / STAGING / build_id

    def prepare(self, build_id: str) -> Path:
        """An empty staging folder for this build (leftovers of killed builds are removed)."""
        self.claim(write=False)
        root = self.path / STAGING
        if root.is_dir():
            for leftover in root.iterdir():
                if leftover.name != build_id and re.match(r"^[0-9a-f-]{36}$", leftover.name):
                    shutil.rmtree(leftover, ignore_errors=True)
        staging = self.staging(build_id)
        staging.mkdir(parents=True, exist_ok=True)
        return staging

    def current_version(self) -> Path | None:
        """The version folder readers currently see, or None."""
        current = self.path / CURRENT
        if not current.exists():
            return None
        resolved = current.resolve()
        return resolved if resolved.is_dir() else None

    # -- step 2 ------------------------------------------------------------------------------
    def finalize(self, build_id: str, name: str) -> Path:
        """Write each staged export's manifest, carry over what this build did not write, fsync,
        and rename the staging folder to a new version; return the version folder."""
        staging = self.staging(build_id)
        for export in self.staged:
            manifest = dict(export.meta)
            manifest["files"] = {
                name: {"sha256": sha256_of(staging / name), "bytes": (staging / name).stat().st_size}
                for name in export.files
            }
            manifest["published_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            target = staging / export.manifest
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        previous = self.current_version()
        if previous is not None:
            for entry in previous.iterdir():
                if not (staging / entry.name).exists():
                    _link_tree(entry, staging / entry.name)
        for path in sorted(staging.rglob("*"), reverse=True):
            fsync_path(path)
        fsync_path(staging)
        versions = self.path / VERSIONS
        versions.mkdir(exist_ok=True)
        version = versions / name
        os.rename(staging, version)
        fsync_path(versions)
        try:
            staging.parent.rmdir()
        except OSError:
            pass
        return version

    def link_names(self, version: Path) -> None:
        """Stable names ``<folder>/<name> -> current/<name>`` for every entry of ``version``."""
        for entry in version.iterdir():
            link = self.path / entry.name
            if not link.is_symlink() or os.readlink(link) != f"{CURRENT}/{entry.name}":
                if link.exists() and not link.is_symlink():
                    raise PublishError(f"{link} is a file this project did not create; not replacing it")
                replace_symlink(link, f"{CURRENT}/{entry.name}")

    def unlink_stale_names(self, version: Path) -> None:
        """Remove stable names the published version no longer has."""
        for link in self.path.iterdir():
            if link.is_symlink() and os.readlink(link) == f"{CURRENT}/{link.name}" \
                    and not (version / link.name).exists():
                link.unlink()

    def prune(self, keep: set[Path] | None = None) -> None:
        """Delete the versions not in ``keep`` (the ones published generations name); without
        ``keep`` (no local database), all but the newest ``keep_versions``."""
        versions = self.path / VERSIONS
        if not versions.is_dir():
            return
        ours = sorted(v for v in versions.iterdir() if VERSION_NAME.match(v.name))
        if keep is None:
            keep = set(ours[-self.keep_versions:])
        keep_resolved = {k.resolve() for k in keep}
        for old in ours:
            if old.resolve() not in keep_resolved:
                shutil.rmtree(old, ignore_errors=True)


class Generations:
    """``<database folder>/.build/published/``: one folder per published build and ``current``.

    A build's folder holds its database while it is current, and its ``exports`` link for as
    long as the export version it names is kept: the folders are the record of what was
    published, newest last (their names start with a UTC time stamp).
    """

    def __init__(self, main: Path, keep: int = 3) -> None:
        self.main = main
        self.keep = keep
        self.root = main.parent / BUILD_DIR / PUBLISHED
        self.current = self.root / CURRENT

    def main_link(self) -> str:
        return relative_link(self.current / self.main.name, self.main)

    def exports_link(self, export_dir: Path) -> str:
        return relative_link(self.current / EXPORTS_LINK, export_dir / CURRENT)

    def current_build(self) -> Path | None:
        return self.current.resolve() if self.current.is_symlink() and self.current.exists() else None

    def builds(self) -> list[Path]:
        """Every generation folder, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if VERSION_NAME.match(p.name) and p.is_dir()
                      and not p.is_symlink())

    def exported_versions(self) -> set[Path]:
        """The export versions the kept generations name."""
        return {(b / EXPORTS_LINK).resolve() for b in self.builds() if (b / EXPORTS_LINK).is_symlink()}

    def adopt_existing(self, exports: "ExportFolder | None") -> None:
        """Re-express a project published by the older layout (a plain database file, an export
        folder whose ``current`` points straight at a version) as generations, each step an
        atomic rename that leaves what readers see unchanged."""
        legacy_db = self.main.exists() and not self.main.is_symlink()
        legacy_exports = exports is not None and (exports.path / CURRENT).is_symlink() and \
            os.readlink(exports.path / CURRENT).startswith(f"{VERSIONS}/")
        if not legacy_db and not legacy_exports:
            return
        if self.current_build() is None:
            current_version = (exports.path / CURRENT).resolve() if legacy_exports else None
            older = [v for v in sorted((exports.path / VERSIONS).iterdir())
                     if VERSION_NAME.match(v.name) and v != current_version] if legacy_exports else []
            for version in older:  # kept as history for comparisons between builds
                self._new_build(version.name, None, version)
            build = self._new_build(current_version.name if current_version else f"{_now_stamp()}-{'0' * 36}",
                                    None, current_version)
            if legacy_db:
                os.link(self.main, build / self.main.name)
            fsync_path(build)
            replace_symlink(self.current, build.name)
            fsync_path(self.root)
        if legacy_db:
            replace_symlink(self.main, self.main_link())
        if legacy_exports:
            replace_symlink(exports.path / CURRENT, self.exports_link(exports.path))
        fsync_path(self.main.parent)

    def _new_build(self, name: str, database: Path | None, version: Path | None) -> Path:
        build = self.root / name
        if build.exists():
            shutil.rmtree(build)
        build.mkdir(parents=True)
        if database is not None:
            os.rename(database, build / self.main.name)
        if version is not None:
            os.symlink(relative_link(version, build / EXPORTS_LINK), build / EXPORTS_LINK)
        return build

    def create(self, name: str, database: Path | None, version: Path | None,
               state: dict[str, bytes] | None = None) -> Path:
        """A new generation folder with the build's database, a link to its export version
        (or to the version the current generation shows, when this build exported nothing)
        and its ``state`` files (``STATE``)."""
        if version is None:
            current = self.current_build()
            if current is not None and (current / EXPORTS_LINK).exists():
                version = (current / EXPORTS_LINK).resolve()
        build = self._new_build(name, database, version)
        if state:
            (build / STATE).mkdir()
            for file_name, content in state.items():
                (build / STATE / file_name).write_bytes(content)
                fsync_path(build / STATE / file_name)
            fsync_path(build / STATE)
        fsync_path(build)
        fsync_path(self.root)
        return build

    def switch(self, build: Path) -> None:
        """The commit point: ``current`` names the new build, atomically."""
        replace_symlink(self.current, build.name)
        fsync_path(self.root)

    def prune(self) -> None:
        """Drop the databases of all generations but the current one (readers that opened an
        older database keep reading it: an open file outlives its name), and all but the newest
        ``keep`` generations; leftovers of builds that never switched in go too."""
        current = self.current_build()
        builds = self.builds()
        for build in builds:
            if current is not None and build.resolve() == current:
                continue
            database = build / self.main.name
            if database.exists():
                database.unlink()
                wal_of(database).unlink(missing_ok=True)
            if build not in builds[-self.keep:] or not (build / EXPORTS_LINK).is_symlink():
                shutil.rmtree(build, ignore_errors=True)


DATABASE_RECORD = "database.json"
#: A published build's dbt state, in its generation folder (``.build/published/<build>/state/``):
#: dbt's ``manifest.json`` of the build (when it left every node as its manifest describes it,
#: so that ``--state`` compares with what is published) and ``build.json`` (its fingerprints
#: and the data tests it passed).
STATE = "state"
BUILD_RECORD = "build.json"
#: The selection of make build's edit loop (``scripts/up_to_date.py`` runs it; the plugin
#: recognises it): what dbt finds changed since the published state and what depends on it, and
#: the progress row every published build appends.
EDIT_SELECTION = ("state:modified+", "labeling_progress")


def published_state(main: Path) -> Path:
    """The published build's state folder (through ``current``): ``dbt build --state`` reads it."""
    return Generations(main).current / STATE


def published_record(main: Path) -> dict[str, Any] | None:
    """The published build's ``build.json``, or None (no published build, or one without it)."""
    try:
        record = json.loads((published_state(main) / BUILD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _database_identity(stat: os.stat_result) -> dict[str, int]:
    """What changes when a file is written to, whatever its modification time is set back to:
    its inode, size, modification time and change time (``ctime``, which only the kernel sets:
    writing, and putting the modification time back, both move it to now)."""
    return {"inode": stat.st_ino, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "ctime_ns": stat.st_ctime_ns}


def record_database(database: Path) -> None:
    """Write, beside a build's database in its generation folder, the file's identity as
    published (``database.json``, after its last rename): ``scripts/up_to_date.py`` trusts the
    published database only while it is still that file, unwritten since."""
    if not database.is_file():
        return
    record = database.parent / DATABASE_RECORD
    record.write_text(json.dumps({"file": database.name, **_database_identity(database.stat())}), encoding="utf-8")
    fsync_path(record)


def published_database_changed(main: Path) -> str:
    """'' when the published database (``main``, resolved through the generations) is the file
    its build published, unwritten since; else what changed."""
    database = main.resolve()
    record = database.parent / DATABASE_RECORD
    try:
        recorded = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"no record of {main.name} as its build published it"
    if not database.is_file():
        return f"{main.name} is missing"
    stat = database.stat()
    now = _database_identity(stat)
    if any(recorded.get(key) != value for key, value in now.items()):
        when = dt.datetime.fromtimestamp(max(stat.st_mtime, stat.st_ctime), dt.timezone.utc).isoformat(
            timespec="seconds")
        return f"{main.name} was written after its build published it (changed {when})"
    wals = [p for p in {wal_of(main), wal_of(database)} if p.exists() and p.stat().st_size > 0]
    if wals:
        return f"{main.name} has writes pending in {wals[0].name}"
    return ""


def published_exports_changed(export_dir: Path) -> str:
    """'' when every file the published manifests list is there, under its stable name too,
    with the sha256 the manifest gives; else the first that is not."""
    current = export_dir / CURRENT
    if not current.is_dir():
        return f"{current} is missing"
    version = current.resolve()
    manifests = sorted(version.rglob(f"*{MANIFEST}"))  # manifest.json, annotation/tasks.manifest.json...
    if not manifests:
        return f"{current} holds no {MANIFEST}"
    for entry in sorted(version.iterdir()):
        link = export_dir / entry.name
        if not link.is_symlink() or os.readlink(link) != f"{CURRENT}/{entry.name}" or not link.exists():
            return f"the published name {link} is missing or points elsewhere"
    for manifest_path in manifests:
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return f"{manifest_path} is not readable JSON"
        for name, described in sorted(manifest.get("files", {}).items()):
            path = version / name
            if not path.is_file():
                return f"the published export {path.relative_to(version)} is missing"
            if path.stat().st_size != described.get("bytes") or sha256_of(path) != described.get("sha256"):
                return f"the published export {path.relative_to(version)} differs from what its build wrote"
    return ""


@dataclass
class Publication:
    """Everything one build publishes: its database copy (``None`` when the database is not a
    local file) and the exports it staged. ``stage`` (step 2) runs before the copy's final
    checkpoint, so that the export views in it can name the version's files; ``publish`` runs
    the other steps after it."""

    build_id: str
    main: Path | None
    database_copy: Path | None
    exports: ExportFolder | None = None
    keep_versions: int = 3
    name: str = ""
    version: Path | None = None
    #: Files for the generation's ``state/`` folder (``STATE``): dbt's manifest, ``build.json``.
    state: dict[str, bytes] = field(default_factory=dict)
    #: Set at the commit point: from then on the build is what readers see, whatever fails after.
    switched: bool = False

    def __post_init__(self) -> None:
        self.name = self.name or f"{_now_stamp()}-{self.build_id}"

    def stage(self) -> list[dict[str, str]]:
        """Step 2: turn the staged export files into a version; return, for each export view,
        the file it should read once published (the version's copy, which stays as long as
        the generation naming it)."""
        if self.exports is None or not self.exports.staged:
            return []
        self.version = self.exports.finalize(self.build_id, self.name)
        fault("publish:version")
        return [{"relation": e.relation, "reader": e.reader,
                 "published": str(self.version / Path(e.view_target).relative_to(self.exports.path))}
                for e in self.exports.staged]

    def publish(self, nobody_wrote: Any = None) -> str:
        """Steps 1, 3, 4 and 5; return what was published. An exception before step 4 leaves
        readers' view unchanged. ``nobody_wrote`` returns '' or why the published database
        changed during the build."""
        fault("publish:start")
        if nobody_wrote is not None:
            problem = nobody_wrote()
            if problem:
                raise PublishError(problem)
        if self.database_copy is not None:
            wal = wal_of(self.database_copy)
            if wal.exists() and wal.stat().st_size > 0:
                raise PublishError(f"{wal} is not empty after the checkpoint")
            fsync_path(self.database_copy)
        fault("publish:checkpointed")
        version = self.version

        if self.main is None:  # no local database: the export folder's own link is the commit
            if version is not None:
                self.exports.link_names(version)
                replace_symlink(self.exports.path / CURRENT, f"{VERSIONS}/{version.name}")
                fsync_path(self.exports.path)
                self.switched = True
                fault("publish:switched")
                self.exports.unlink_stale_names(version)
                self.exports.prune()
            return f"published {version}" if version else "nothing to publish"

        generations = Generations(self.main, self.keep_versions)
        generations.adopt_existing(self.exports)
        build = generations.create(self.name, self.database_copy, version, self.state)
        if not self.main.is_symlink():
            replace_symlink(self.main, generations.main_link())
        shown = (build / EXPORTS_LINK).resolve() if (build / EXPORTS_LINK).is_symlink() else None
        if self.exports is not None and shown is not None:
            self.exports.claim()
            link = self.exports.path / CURRENT
            if not link.is_symlink() or os.readlink(link) != generations.exports_link(self.exports.path):
                replace_symlink(link, generations.exports_link(self.exports.path))
            self.exports.link_names(shown)
            fsync_path(self.exports.path)
        fsync_path(self.main.parent)
        fault("publish:generation")

        record_database(build / self.main.name)
        generations.switch(build)
        self.switched = True
        fault("publish:switched")

        generations.prune()
        if self.exports is not None and shown is not None:
            self.exports.unlink_stale_names(shown)
            self.exports.prune(generations.exported_versions())
        fault("publish:linked")
        what = f"the export version {version.name}" if version else "the unchanged exports"
        return f"published {self.main} and {what} together (build {self.build_id})"
