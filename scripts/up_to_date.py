"""Decide what ``make build`` builds: nothing, what changed in dbt's files, or everything.

``make build`` and ``make real`` run ``up_to_date.py check --save DIR`` first. It fingerprints
everything a build reads, in two parts (``labeling.fingerprint.split``):

* **dbt's files**: ``models/``, ``macros/``, ``tests/``, ``seeds/``, ``snapshots/``,
  ``analyses/``, which dbt parses into its manifest and compares with a previous one itself;
* **the data and the rest**: the raw files (``LABELING_RAW_DIR``, inside the project or not)
  and annotation exports, every other file of the project a build may read (``dbt_project.yml``,
  the profile, the plugins...), every ``LABELING_*`` and ``DBT_*`` environment variable, the
  installed Python packages; through symbolic links, what they point to.

and compares them with what the published build recorded (``.build/published/current/state/
build.json``, published in the same atomic switch as its database and exports, so it is always
the published build's own). Before anything is skipped, what is published is checked: every
file the export manifests list (its sha256, its stable name) and the database file (the size
and modification time its build published it with, and no pending write-ahead log). A file is
read for its sha256 only when it changed since it was last hashed (its inode, size, and
modification and change times: ``labeling.publish.remember_hashes``), so a check costs the
same on a 5e7-row dataset as on the sample.

* **Nothing changed**, and what is published is intact: exit 0, ``nothing to build``.
* **Only dbt's files changed** (the edit loop), the published build is intact and kept its dbt
  manifest, and dbt's state selection can see every change (``labeling.fingerprint.
  unfollowed_edits``: not a macro reached from a materialization or a hook, called by dbt
  itself or overriding a dbt macro, nor a seed of 1 MiB or more): exit 1, and ``DIR/select`` holds ``--select state:modified+ labeling_progress
  --state <published state>``: dbt rebuilds and tests what changed and what depends on it on a
  copy of the published database (which holds everything else, as deferral would), plus the
  progress row every build appends; the gate takes the published build's passing data tests
  for what did not run (``labeling.publish.carried_tests``).
* **The published database was written to** since its build published it (whatever its
  modification time says: its change time moved too): exit 1 and ``--full-refresh`` in
  ``DIR/select``, since its incremental tables are no longer what a build left.
* **Anything else** (data, settings, packages, no published build, ``--force``): exit 1 and an
  empty ``DIR/select``: a full build.

``DIR/input`` and ``DIR/data`` receive the fingerprints, which the build records
(``LABELING_INPUT_FINGERPRINT``, ``LABELING_DATA_FINGERPRINT``). ``dbt build`` itself never
skips; a build started without them records none, so the next ``make build`` builds everything.

    python scripts/up_to_date.py check [--force] [--save DIR] && echo "nothing to build"
    python scripts/up_to_date.py fingerprint
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR / "plugins"))
from labeling.paths import anchored  # noqa: E402
from labeling.fingerprint import split, unfollowed_edits  # noqa: E402
from labeling.publish import (EDIT_SELECTION, MANIFEST, published_database_changed,  # noqa: E402
                              published_exports_changed, published_record, published_state,
                              remember_hashes, save_hashes)
from labeling.workspace import BUILD_DIR  # noqa: E402


def fingerprint(root: Path = PROJECT_DIR, environ: dict[str, str] | None = None) -> str:
    """The sha256 of everything a build of ``root`` reads (both parts of ``split``)."""
    return split(root, environ)["input"]


def check(root: Path = PROJECT_DIR, force: bool = False, save: Path | None = None) -> tuple[str, str]:
    """``(plan, why)``: plan is ``""`` (nothing to build), ``"all"``, ``"refresh"`` (all, with
    ``--full-refresh``) or ``"modified"``. ``save``: a folder to write ``input``, ``data`` and
    ``select`` (the build's arguments) to (see the module docstring)."""
    environ = dict(os.environ)
    main = anchored(environ.get("LABELING_DB_PATH") or "labeling.duckdb", root)
    exports = anchored(environ.get("LABELING_EXPORT_DIR") or "exports", root)
    remember_hashes(main.parent / BUILD_DIR)  # a file unchanged since it was last hashed is not read
    prints = split(root, environ)
    plan, why = _plan(root, prints, main, exports, force)
    save_hashes()
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        (save / "input").write_text(prints["input"], encoding="utf-8")
        (save / "data").write_text(prints["data"], encoding="utf-8")
        state = published_state(main)
        shown = state.relative_to(root) if state.is_relative_to(root) else state
        (save / "select").write_text({"modified": f"--select {' '.join(EDIT_SELECTION)} --state {shown}",
                                      "refresh": "--full-refresh"}.get(plan, ""), encoding="utf-8")
    return plan, why


def _plan(root: Path, prints: dict[str, str], main: Path, exports: Path, force: bool) -> tuple[str, str]:
    if force:
        return "all", "FORCE=1"
    if not main.is_file():
        return "all", "no published build"
    record = published_record(main) or {}
    build = record.get("invocation_id")
    if not record.get("input_fingerprint"):
        return "all", "the published build was not made by make build"
    written = published_database_changed(main)
    if written:  # its incremental tables are no longer what the build left: rebuild them whole
        return "refresh", f"what build {build} published changed: {written}; rebuilding with --full-refresh"
    changed = published_exports_changed(exports)
    if changed:
        return "all", f"what build {build} published changed: {changed}"
    if record["input_fingerprint"] == prints["input"]:
        return "", f"build {build} already built these inputs (same files, settings and packages)"
    if record.get("data_fingerprint") != prints["data"]:
        return "all", "inputs changed since the published build"
    if not (published_state(main) / MANIFEST).is_file():
        return "all", f"dbt's files changed, and build {build} kept no dbt manifest to compare with"
    unseen = unfollowed_edits(root, json.loads((published_state(main) / MANIFEST).read_text(encoding="utf-8")))
    if unseen:
        return "all", f"dbt's files changed since build {build}: {unseen}"
    return "modified", (f"only dbt's files changed since build {build}: dbt rebuilds what changed "
                        "and what depends on it (state:modified+)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="up_to_date.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("check", "fingerprint"),
                        help="check: exit 0 if up to date, 1 if a build is needed; fingerprint: print it")
    parser.add_argument("--force", action="store_true",
                        help="check: take the fingerprints, but always plan a full build")
    parser.add_argument("--save", type=Path, metavar="DIR",
                        help="check: write the fingerprints (input, data) and the build's dbt "
                             "selection (select) to DIR, for make build")
    args = parser.parse_args(argv)
    if args.action == "fingerprint":
        print(fingerprint())
        return 0
    plan, why = check(force=args.force, save=args.save)
    if not plan:
        print(f"up_to_date: nothing to build: {why}. FORCE=1 builds anyway.")
        return 0
    print(f"up_to_date: building ({why})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
