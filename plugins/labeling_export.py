"""dbt-duckdb plugin of the labeling project: the glue between dbt and ``plugins/labeling/``.

Enabled in ``profiles/profiles.yml`` under ``plugins:`` and installed with the project
(``pip install -e .``, part of ``requirements.txt``). What it does for each dbt command:

* **Commands that write** (``build``, ``run``, ``seed``, ``snapshot``, ``test``, ``retry``,
  ``clone``) build on a private copy of the database (``labeling.workspace``): they take the
  build lock, refuse to start while someone writes to the published file, and copy it to
  ``.build/labeling.duckdb``. The ``on-run-end`` hook publishes the copy and the staged exports
  together when the gate lets the build through (``labeling.publish``), through ``labeling_publish()``.
* **Every other command** (``show``, ``compile``, ``docs generate``, ``run-operation``, SQLFluff's
  dbt templater...) opens the published database **read-only**, so it never locks readers out
  and never fails because of one; on a project that was never built it opens an empty scratch
  database of the same name.

SQL functions it registers on every connection (used by the macros):

``labeling_project_dir()``
    the project folder; ``labeling_build_mode()`` whether this is a build on the private copy;
``labeling_check_raw_file(name, path, columns_json, full, allow_empty)``
    the raw-file preflight (``labeling.raw_files.check_raw_file``);
``labeling_canonical_sql(type, value_sql)``
    SQL: whether a text is the canonical form of a type (``labeling.raw_files.TYPE_RULES``);
``labeling_checked_cast_sql(column, type, file_sql, line_sql)``
    the SQL that casts a raw text column only when it is canonical (the fast load path);
``labeling_raw_columns()``
    the raw files' columns in file order with their types, JSON ``{stem: {column: type}}``
    (``labeling.raw_files.raw_columns``);
``labeling_csv_options(kind)``
    the one CSV dialect, as ``read_csv`` or ``COPY`` options; ``labeling_export_copy_options(format)``
    the ``COPY`` options of an export file format (``labeling.publish.EXPORT_COPY_OPTIONS``);
``labeling_plan_batches(recorded_json, full_refresh, missing_json, invocation_json)``
    plan which raw batches this build reads (``labeling.batches``), once, in on-run-start;
    ``labeling_batch_plan()`` that plan (JSON), as the staging and incremental models read it;
``labeling_claim_export_dir(path)``
    '' when the export folder is the project's (or new or empty), else why not;
``labeling_check_annotations()``
    the problems of the annotation files (``labeling.annotations.read_folder``), one per line,
    or ''; the table macro ``labeling_annotation_records()`` reads the records of that same
    reading (written once per process as canonical JSON lines), so the check's verdict is the
    load's;
``labeling_refusal(nodes_json, results_json)``
    the gate: why this build is not published, or '' (``labeling.publish.refusal``);
``labeling_publish(build_id)``
    publish the build (returns ``published ...`` or ``NOT published: <cause>``; never raises);
    ``labeling_publication()`` what it published; ``labeling_stage_exports(build_id)`` the step
    before (the export files become a version, the views are pointed at it);
``labeling_fault(point)``
    the crash tests' fault points (``labeling.faults``).

The ``gated_export`` materialization calls ``adapter.store_relation('labeling_export', ...)`` with
``prepare`` (an empty staging folder) and ``commit`` (hash the inputs, register the staged files
for publishing).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import TargetConfig

from labeling import annotations, batches, raw_files
from labeling.faults import fault
from labeling.paths import anchored, command, dbt_flag, project_dir, raw_dir, sql_string
from labeling.publish import (BUILD_RECORD, BLOCKING_STATUSES, EDIT_SELECTION, EXPORT_COPY_OPTIONS, MANIFEST,
                              ExportFolder, ExportFolderError, Generations, Publication, StagedExport, carried_tests,
                              describe_inputs, published_record, published_state, refusal,
                              remember_hashes, save_hashes)
from labeling.workspace import BuildWorkspace, WorkspaceError

WRITING_COMMANDS = {"build", "run", "seed", "snapshot", "test", "retry", "clone"}
#: Below this many free bytes where the build writes, a build that did not publish blames the disk.
FULL_DISK_BYTES = 16 << 20
# On a full disk, dbt's file log cannot write: Python's logging would print a traceback for every
# line it drops (thousands), burying the one line that says what happened. Drop them quietly;
# the build's own last line (Plugin._at_exit) says it was not published.
logging.raiseExceptions = False


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _is_local_file(path: str | None) -> bool:
    return bool(path) and path != ":memory:" and "://" not in path and not path.startswith("md:")


class Plugin(BasePlugin):
    """The ``labeling_export`` plugin (see the module docstring)."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.keep_versions = int(plugin_config.get("keep_versions", 3))
        self.configured_path: str | None = None
        self.main: Path | None = None
        self.workspace: BuildWorkspace | None = None
        self.exports: ExportFolder | None = None
        self.outcome = ""
        self.publication: Publication | None = None
        self.read_only_catalog: tuple[str, Path | None] | None = None
        self.connection: Any = None
        self.plan: str | None = None
        self.annotations: annotations.Reading | None = None
        self.records_file: Path | None = None
        self.read_raw: list[str] | None = None
        self.build_id = ""
        self.failure = ""
        self.said = False
        self.passed_tests: list[str] = []
        atexit.register(self._at_exit)

    # -- connection setup --------------------------------------------------------------------
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        # dbt-duckdb calls this again after a failed connect, with creds.path as we left it:
        # always start from the path of the profile, never from our own copy's.
        if self.configured_path is None:
            self.configured_path = creds.path
        if not _is_local_file(self.configured_path):
            return
        main = anchored(self.configured_path)
        self.main = main
        if command() in WRITING_COMMANDS:
            self._check_not_foreign_link(main)
            if self.workspace is None:
                self.workspace = BuildWorkspace(main)
                remember_hashes(self.workspace.root)  # the batch plan and export manifests hash the raw files
            try:
                creds.path = str(self.workspace.acquire(command() or "build"))
            except WorkspaceError as exc:
                self.failure = str(exc)
                raise RuntimeError(f"labeling: {exc}") from None
            return
        # Read-only: an in-memory session (so the in-memory `scratch` of the profile can attach)
        # that attaches the published file read-only under the catalog name dbt uses in every
        # relation (the file's stem), or an empty in-memory catalog of that name before the
        # first build (configure_connection).
        creds.path = ":memory:"
        self.read_only_catalog = (main.stem, main if main.exists() else None)

    @staticmethod
    def _check_not_foreign_link(main: Path) -> None:
        if main.is_symlink() and os.readlink(main) != Generations(main).main_link():
            raise RuntimeError(
                f"labeling: {main} is a symbolic link to {os.readlink(main)} that this project did "
                "not create; builds publish by switching their own link there. Point "
                "LABELING_DB_PATH at the real file instead, or remove the link. Nothing was changed.")

    def configure_connection(self, conn: Any) -> None:
        self.connection = conn
        if self.read_only_catalog is not None:
            name, path = self.read_only_catalog
            source = f"{sql_string(path)} as \"{name}\" (read_only)" if path else f"':memory:' as \"{name}\""
            conn.execute(f"attach if not exists {source}")
        self._set_variables(conn)
        root = str(project_dir())
        conn.create_function("labeling_project_dir", lambda: root, [], "VARCHAR", side_effects=False)
        conn.create_function("labeling_build_mode", lambda: self.workspace is not None, [], "BOOLEAN",
                             side_effects=True)
        conn.create_function("labeling_publish", self.publish, ["VARCHAR"], "VARCHAR", side_effects=True)
        conn.create_function("labeling_publication", lambda: self.outcome, [], "VARCHAR", side_effects=True)
        conn.create_function("labeling_refusal", self.refusal, ["VARCHAR", "VARCHAR"], "VARCHAR",
                             side_effects=True)
        conn.create_function("labeling_stage_exports", self.stage_exports, ["VARCHAR"], "VARCHAR",
                             side_effects=True)
        conn.create_function("labeling_fault", fault, ["VARCHAR"], "BOOLEAN", side_effects=True)
        conn.create_function(
            "labeling_check_raw_file",
            lambda name, path, spec, full, allow_empty: raw_files.check_raw_file(
                name, path, json.loads(spec), full=full, allow_empty=allow_empty),
            ["VARCHAR", "VARCHAR", "VARCHAR", "BOOLEAN", "BOOLEAN"], "VARCHAR", side_effects=True,
        )
        conn.create_function("labeling_canonical_sql", lambda kind, value: raw_files.type_rule(kind).canonical_sql(value),
                             ["VARCHAR", "VARCHAR"], "VARCHAR", side_effects=False)
        conn.create_function("labeling_checked_cast_sql", raw_files.checked_cast_sql,
                             ["VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"], "VARCHAR", side_effects=False)
        conn.create_function("labeling_raw_columns", lambda: json.dumps(raw_files.raw_columns(project_dir())),
                             [], "VARCHAR", side_effects=False)
        conn.create_function(
            "labeling_csv_options",
            lambda kind: raw_files.copy_options() if kind == "copy" else raw_files.read_csv_options(),
            ["VARCHAR"], "VARCHAR", side_effects=False,
        )
        conn.create_function(
            "labeling_export_copy_options",
            lambda fmt: EXPORT_COPY_OPTIONS.get(fmt, ""), ["VARCHAR"], "VARCHAR", side_effects=False,
        )
        conn.create_function("labeling_plan_batches", self.plan_batches, ["VARCHAR", "BOOLEAN", "VARCHAR", "VARCHAR"],
                             "VARCHAR", side_effects=True)
        conn.create_function("labeling_batch_plan", self.batch_plan, [], "VARCHAR", side_effects=True)
        conn.create_function("labeling_claim_export_dir", self.claim_export_dir, ["VARCHAR"], "VARCHAR",
                             side_effects=True)
        conn.create_function("labeling_check_annotations", lambda: "\n".join(self._annotations().problems),
                             [], "VARCHAR", side_effects=True)

    def configure_cursor(self, cursor: Any) -> None:
        self._set_variables(cursor)

    def _set_variables(self, conn: Any) -> None:
        """Per connection (and cursor: DuckDB's temporary objects and `use` are per connection):
        the default catalog of read-only commands, the raw folder, and the table macros the
        read_csv path reads the raw files with, in the one dialect (``labeling_read_<stem>``)."""
        if self.read_only_catalog is not None:
            conn.execute(f'use "{self.read_only_catalog[0]}"')
        conn.execute("set variable labeling_raw_dir = ?", [str(raw_dir())])
        for statement in self._read_raw_macros():
            conn.execute(statement)
        conn.execute("create or replace temp macro labeling_annotation_records() as table "
                     + annotations.records_sql(self._records_file()))

    def _read_raw_macros(self) -> list[str]:
        """``labeling.raw_files.read_raw_macros``, read from ``seeds/_seeds.yml`` once per process."""
        if self.read_raw is None:
            self.read_raw = raw_files.read_raw_macros(project_dir())
        return self.read_raw

    # -- annotations -------------------------------------------------------------------------
    def _annotations(self) -> annotations.Reading:
        """The annotations folder, parsed once per process: its problems are the preflight's
        verdict, its records what the build loads, its files the manifest's inputs."""
        if self.annotations is None:
            self.annotations = annotations.read_configured(annotations.configured_dir())
        return self.annotations

    def _records_file(self) -> Path:
        """The records of this process's reading of the annotations, as JSON lines in a
        temporary file (removed when the process ends); empty when the reading has problems
        (the preflight then stops the build before anything loads)."""
        if self.records_file is None:
            handle, name = tempfile.mkstemp(prefix="labeling-annotations-", suffix=".jsonl")
            os.close(handle)
            self.records_file = annotations.write_records(self._annotations(), Path(name))
            atexit.register(self.records_file.unlink, missing_ok=True)
        return self.records_file

    # -- batches -----------------------------------------------------------------------------
    def plan_batches(self, recorded_json: str, full_refresh: bool, missing_tables_json: str,
                     invocation_json: str) -> str:
        """Plan this build's batches once (on-run-start, from what the database recorded and
        the invocation's vars and target); ``labeling.batches.plan`` as JSON."""
        self.plan = batches.plan_json(project_dir(), raw_dir(), recorded_json, full_refresh,
                                      missing_tables_json, invocation_json)
        return self.plan

    def batch_plan(self) -> str:
        """The plan of this build; before on-run-start planned (or in a command that does not
        build), a full plan of every batch."""
        if self.plan is None:
            self.plan = batches.plan_json(project_dir(), raw_dir(), "[]", True, "[]", "{}", unplanned=True)
        return self.plan

    # -- exports -----------------------------------------------------------------------------
    def claim_export_dir(self, path: str) -> str:
        """'' when ``path`` may receive this project's exports (claiming it), else why not."""
        try:
            self._export_folder(Path(path)).claim(write=False)
        except ExportFolderError as exc:
            return str(exc)
        return ""

    def _export_folder(self, path: Path) -> ExportFolder:
        if self.exports is None:
            self.exports = ExportFolder(path, self.keep_versions)
        elif self.exports.path != path:
            raise RuntimeError(f"labeling: one export folder per build ({self.exports.path}, not also {path})")
        return self.exports

    def store(self, target_config: TargetConfig) -> None:
        assert target_config.location is not None
        action = target_config.location.format
        folder = self._export_folder(anchored(target_config.location.path))
        meta = dict(target_config.config or {})
        build_id = str(meta["invocation_id"])
        private = {key: meta.pop(key) for key in list(meta) if key.startswith("_")}
        if self.workspace is None:
            raise RuntimeError("labeling: exports are published only by builds (dbt build)")
        self.build_id = build_id
        if action == "prepare":
            staging = folder.prepare(build_id)
            for sub in private.get("_subfolders", []):
                (staging / sub).mkdir(parents=True, exist_ok=True)
        elif action == "commit":
            # The fingerprint make build took of this build's inputs before it started
            # (scripts/up_to_date.py), for readers of the manifest: which inputs made these
            # files. make build itself compares with the generation's state/build.json.
            meta["input_fingerprint"] = os.environ.get("LABELING_INPUT_FINGERPRINT") or None
            meta["inputs"] = describe_inputs(
                {name: anchored(path) for name, path in meta.get("inputs", {}).items()},
                self._annotations().named_files() if private.get("_reads_annotations") else None)
            folder.staged.append(StagedExport(
                relation=str(meta.get("relation")), files=list(private["_files"]),
                manifest=str(private.get("_manifest", "manifest.json")), meta=meta,
                view_target=str(private["_published"]), reader=str(private.get("_reader", "read_parquet")),
            ))
        else:
            raise ValueError(f"labeling_export: unknown action {action!r} (expected prepare or commit)")

    # -- publishing --------------------------------------------------------------------------
    def _publication(self, build_id: str) -> Publication:
        if self.publication is None:
            assert self.workspace is not None
            self.publication = Publication(build_id=build_id, main=self.main,
                                           database_copy=self.workspace.copy, exports=self.exports,
                                           keep_versions=self.keep_versions)
        return self.publication

    def stage_exports(self, build_id: str) -> str:
        """Step 2 of publishing (before the copy's last checkpoint): turn the staged export
        files into a version. Returns JSON ``{"error": ..., "views": [...]}``: the views
        on-run-end points at the version's files, or why it could not (never raises)."""
        try:
            views = self._publication(build_id).stage() if self.workspace is not None else []
        except Exception as exc:
            return json.dumps({"error": self._not_published(exc), "views": []})
        return json.dumps({"error": None, "views": views})

    def publish(self, build_id: str) -> str:
        """Publish the build's database and exports together; never raises, so that the
        on-run-end hook can report the cause (``NOT published: ...``) as the build's error."""
        if self.workspace is None:
            return "not a build: nothing to publish"
        try:
            # Fold the build's WAL into its file first, on a second connection to the same
            # database (this one is busy running the query that called us).
            fault("publish:checkpoint")
            checkpoint = self.connection.cursor()
            try:
                checkpoint.execute("checkpoint")
            finally:
                checkpoint.close()
            publication = self._publication(build_id)
            publication.state = self._state_files(build_id)
            done = publication.publish(nobody_wrote=self.workspace.changed_since_copy)
            save_hashes()
        except Exception as exc:  # reported by on-run-end as the build's error
            if self.publication is not None and self.publication.switched:
                # Past the commit point the new build is what readers see: say so, and what
                # failed after (the clean-up of older builds, which the next build redoes).
                done = (f"published {self.main} and the exports together (build {build_id}); after "
                        f"publishing, the clean-up of older builds failed: {exc} ({type(exc).__name__}). "
                        "The next build cleans up again.")
            else:
                return self._not_published(exc)
        finally:
            self.workspace.release()
        self.outcome = done
        return done

    def _not_published(self, exc: Exception | str) -> str:
        cause = exc if isinstance(exc, str) else f"{exc} ({type(exc).__name__})"
        self.failure = self.failure or cause
        self._discard_staging()
        name = self.main.name if self.main else "the database"
        return (f"NOT published: {cause}. {name} and the exports are "
                "unchanged; the failed build is in .build/ until the next one.")

    def refusal(self, nodes_json: str, results_json: str) -> str:
        """The gate's verdict on this build (``labeling.publish.refusal``, from dbt's graph and
        results and the rows each export staged): '' when it may be published; else why not,
        once what it staged in the export folder is removed (on-run-end then says the final line)."""
        staged = self.exports.staged if self.exports is not None else []
        nodes, results = json.loads(nodes_json), json.loads(results_json)
        carried = carried_tests(nodes, results, self._passed_before())
        cause = refusal(nodes, results, {str(e.meta["model"]): int(e.meta["row_count"]) for e in staged}, carried)
        self.passed_tests = sorted(carried | {r["unique_id"] for r in results if r["unique_id"].startswith("test.")
                                              and str(r["status"]) not in BLOCKING_STATUSES})
        if cause:
            self.said = True
            self._not_published(cause)
        return cause

    # -- the published build's dbt state (make build's edit loop) -----------------------------
    def _state_build(self) -> str:
        """What this invocation rebuilt: ``"all"`` (``dbt build`` of the whole project),
        ``"modified"`` (``dbt build --select state:modified+ ...`` against the published build's
        state, as ``make build`` runs it after an edit of dbt's files) or ``""`` (another
        selection: its manifest does not describe every table it leaves, so it is not kept)."""
        from dbt.flags import get_flags

        flags = get_flags()
        if command() != "build" or self.main is None or getattr(flags, "SELECTOR", None) \
                or getattr(flags, "EXCLUDE", None):
            return ""
        selected = " ".join(getattr(flags, "SELECT", None) or ()).split()
        if not selected:
            return "all"
        state = getattr(flags, "STATE", None)
        if EDIT_SELECTION[0] in selected and state and \
                Path(state).resolve() == published_state(self.main).resolve():
            return "modified"
        return ""

    def _passed_before(self) -> list[str]:
        """The data tests the published build passed, for rule 3 of the gate: only in a
        ``"modified"`` build (``_state_build``) on the published build's data (the data
        fingerprint make build hands it equals the one the published build recorded)."""
        data = os.environ.get("LABELING_DATA_FINGERPRINT")
        if not data or self.main is None or self._state_build() != "modified":
            return []
        record = published_record(self.main) or {}
        return list(record.get("passed_tests") or []) if record.get("data_fingerprint") == data else []

    def _state_files(self, build_id: str) -> dict[str, bytes]:
        """The generation's ``state/`` files: ``build.json`` (the fingerprints make build took
        before the build, the data tests it passed or carried over) and, when the build left
        every node as its manifest says (``_state_build``), dbt's ``manifest.json`` of this
        invocation, for the next ``make build`` to compare with (``--state``)."""
        record = {"invocation_id": build_id, "rebuilt": self._state_build() or "selection",
                  "input_fingerprint": os.environ.get("LABELING_INPUT_FINGERPRINT") or None,
                  "data_fingerprint": os.environ.get("LABELING_DATA_FINGERPRINT") or None,
                  "passed_tests": self.passed_tests}
        files = {BUILD_RECORD: (json.dumps(record, indent=1) + "\n").encode()}
        if record["rebuilt"] == "selection":
            return files
        manifest = anchored(dbt_flag("TARGET_PATH") or "target") / MANIFEST
        try:
            content = manifest.read_bytes()
            same = json.loads(content).get("metadata", {}).get("invocation_id") == build_id
        except (OSError, ValueError):
            same = False
        if same:  # (another dbt command may have written target/ meanwhile: then none is kept)
            files[MANIFEST] = content
        return files

    def _discard_staging(self) -> None:
        """Remove what this build staged in the export folder (``.staging/<build>/``)."""
        if self.exports is not None and self.build_id:
            shutil.rmtree(self.exports.staging(self.build_id), ignore_errors=True)
            try:
                self.exports.staging(self.build_id).parent.rmdir()
            except OSError:
                pass

    def _at_exit(self) -> None:
        """The last word of a build process: a build that did not publish says so in one line,
        on standard error, whatever stopped it (dbt's own logging may have failed first, on a
        full disk for example), and leaves no staged export files behind."""
        if self.workspace is None or self.outcome or self.said:
            return
        self._discard_staging()
        cause = self.failure or "the build stopped before publishing (see the error above)"
        folder = self.workspace.copy.parent
        free = _free_bytes(folder)
        if free is not None and free < FULL_DISK_BYTES:
            cause += f"; the disk is full ({free} bytes free under {folder})"
        name = self.main.name if self.main else "the database"
        try:
            print(f"labeling: build NOT published: {cause}. {name} and the exports are unchanged.",
                  file=sys.stderr, flush=True)
        except OSError:
            pass
