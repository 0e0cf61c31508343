"""Skip a build whose inputs have not changed since the published build (``make build``).

``make build`` and ``make real`` run ``up_to_date.py check`` first. It computes a fingerprint of
everything a build reads and exits 0 ("up to date", nothing to do) when the published build
was made from the same fingerprint, 1 otherwise. After a successful ``dbt build`` they run
``up_to_date.py record``, which ties the fingerprint taken before the build to the build it
published. ``make build FORCE=1`` always builds; ``dbt build`` itself never skips.

The fingerprint is the sha256 of:

* the content of every file of the project that a build may read: every file under the project
  folder except version control, virtual environments, dbt's ``target/`` and ``logs/``, the
  builds (``.build/``), the exports, the benchmarks and the tests;
* the raw files (``LABELING_RAW_DIR``) and annotation exports (``LABELING_ANNOTATIONS_DIR``)
  when they lie outside the project or in one of the skipped folders (such as ``benchmarks/``);
* every ``LABELING_*`` and ``DBT_*`` environment variable;
* the name and version of every installed Python distribution (dbt, DuckDB, scikit-learn...).

The fingerprint is taken *before* the build: a file changed while a build runs makes the next
check differ, so it rebuilds. The record lives in ``.build/up_to_date.json`` and names the
build (its ``invocation_id``); it counts only while that build is the one published
(``exports/current/manifest.json``) and the database file exists.

    python scripts/up_to_date.py check [--force] && echo "nothing to build"
    python scripts/up_to_date.py record
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
from labeling.fingerprint import fingerprint as project_fingerprint  # noqa: E402

RECORD = ".build/up_to_date.json"
PENDING = ".build/up_to_date.pending.json"


def fingerprint(root: Path = PROJECT_DIR, environ: dict[str, str] | None = None) -> str:
    """The sha256 of everything a build of ``root`` reads (``labeling.fingerprint``)."""
    return project_fingerprint(root, environ)


def published_build(root: Path = PROJECT_DIR, environ: dict[str, str] | None = None) -> str | None:
    """The ``invocation_id`` of the published build, or None when there is none (or no database)."""
    environ = dict(os.environ if environ is None else environ)
    manifest = anchored(environ.get("LABELING_EXPORT_DIR") or "exports", root) / "current" / "manifest.json"
    database = anchored(environ.get("LABELING_DB_PATH") or "labeling.duckdb", root)
    try:
        build = json.loads(manifest.read_text(encoding="utf-8")).get("invocation_id")
    except (OSError, ValueError):
        return None
    return build if database.is_file() else None


def check(root: Path = PROJECT_DIR, force: bool = False) -> tuple[bool, str]:
    """``(up to date, why)``; also leaves the fingerprint for ``record`` in ``.build/``.
    ``force`` takes the fingerprint but always answers "not up to date"."""
    current = fingerprint(root)
    pending = root / PENDING
    pending.parent.mkdir(parents=True, exist_ok=True)
    pending.write_text(json.dumps({"fingerprint": current}), encoding="utf-8")
    if force:
        return False, "FORCE=1"
    build = published_build(root)
    if build is None:
        return False, "no published build"
    try:
        recorded = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, "no record of the inputs of the published build"
    if recorded.get("invocation_id") != build:
        return False, "the published build was not made by make build"
    if recorded.get("fingerprint") != current:
        return False, "inputs changed since the published build"
    return True, f"build {build} already built these inputs (same files, settings and packages)"


def record(root: Path = PROJECT_DIR) -> str:
    """Tie the fingerprint ``check`` took to the build now published; return its id."""
    pending = root / PENDING
    build = published_build(root)
    if build is None or not pending.is_file():
        raise SystemExit("up_to_date: nothing to record (no published build, or check did not run first)")
    taken = json.loads(pending.read_text(encoding="utf-8"))
    temporary = root / (RECORD + ".partial")
    temporary.write_text(json.dumps({"invocation_id": build, **taken}, indent=2), encoding="utf-8")
    os.replace(temporary, root / RECORD)
    pending.unlink()
    return build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="up_to_date.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("check", "record", "fingerprint"),
                        help="check: exit 0 if up to date; record: after a successful build; "
                             "fingerprint: print it")
    parser.add_argument("--force", action="store_true",
                        help="check: take the fingerprint for record, but never answer up to date")
    args = parser.parse_args(argv)
    if args.action == "fingerprint":
        print(fingerprint())
        return 0
    if args.action == "record":
        print(f"up_to_date: recorded the inputs of build {record()}")
        return 0
    fresh, why = check(force=args.force)
    if fresh:
        print(f"up_to_date: nothing to build: {why}. FORCE=1 builds anyway.")
        return 0
    print(f"up_to_date: building ({why})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
