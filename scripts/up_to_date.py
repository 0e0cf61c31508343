"""Skip a build whose inputs have not changed since the published build (``make build``).

``make build`` and ``make real`` run ``up_to_date.py check --save FILE`` first. It computes a
fingerprint of everything a build reads and exits 0 ("up to date", nothing to do) when the
published build was made from the same fingerprint and what it published is still as it wrote
it; 1 otherwise. The build that follows gets the fingerprint in ``LABELING_INPUT_FINGERPRINT``
and publishes it in its export manifests (``input_fingerprint``), in the same atomic switch as
its database and files: the recorded fingerprint is always that of the published build's own
inputs, whatever other ``make build`` ran (or was refused) meanwhile. ``make build FORCE=1``
always builds; ``dbt build`` itself never skips (a build started without the variable records
no fingerprint, so the next ``make build`` builds).

The fingerprint (``labeling.fingerprint``) is the sha256 of:

* the content of every file of the project that a build may read: every file under the project
  folder except version control, virtual environments, dbt's ``target/`` and ``logs/``, the
  builds (``.build/``), the exports, the benchmarks and the tests;
* the raw files (``LABELING_RAW_DIR``) and annotation exports (``LABELING_ANNOTATIONS_DIR``)
  when they lie outside the project or in one of the skipped folders (such as ``benchmarks/``);
* through symbolic links, what they point to;
* every ``LABELING_*`` and ``DBT_*`` environment variable;
* the name and version of every installed Python distribution (dbt, DuckDB, scikit-learn...).

It is taken *before* the build: a file changed while a build runs makes the next check differ,
so it rebuilds. Before it says "nothing to build", the check also verifies what is published:
every file the export manifests list (its sha256, and its stable name in the export folder)
and the database file (the size and modification time its build published it with, and no
pending write-ahead log). Anything else rebuilds, saying why.

    python scripts/up_to_date.py check [--force] [--save FILE] && echo "nothing to build"
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
from labeling.fingerprint import fingerprint as project_fingerprint  # noqa: E402
from labeling.publish import published_database_changed, published_exports_changed  # noqa: E402


def fingerprint(root: Path = PROJECT_DIR, environ: dict[str, str] | None = None) -> str:
    """The sha256 of everything a build of ``root`` reads (``labeling.fingerprint``)."""
    return project_fingerprint(root, environ)


def _paths(root: Path, environ: dict[str, str]) -> tuple[Path, Path]:
    return (anchored(environ.get("LABELING_EXPORT_DIR") or "exports", root),
            anchored(environ.get("LABELING_DB_PATH") or "labeling.duckdb", root))


def published_manifest(root: Path = PROJECT_DIR, environ: dict[str, str] | None = None) -> dict | None:
    """The published build's export manifest, or None when there is none (or no database)."""
    exports, database = _paths(root, dict(os.environ if environ is None else environ))
    try:
        manifest = json.loads((exports / "current" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if database.is_file() and isinstance(manifest, dict) else None


def check(root: Path = PROJECT_DIR, force: bool = False, save: Path | None = None) -> tuple[bool, str]:
    """``(up to date, why)``. ``save``: write the fingerprint there, for the build to record.
    ``force`` takes the fingerprint but always answers "not up to date"."""
    environ = dict(os.environ)
    current = fingerprint(root, environ)
    if save is not None:
        save.write_text(current, encoding="utf-8")
    if force:
        return False, "FORCE=1"
    manifest = published_manifest(root, environ)
    if manifest is None:
        return False, "no published build"
    build = manifest.get("invocation_id")
    if not manifest.get("input_fingerprint"):
        return False, "the published build was not made by make build"
    if manifest["input_fingerprint"] != current:
        return False, "inputs changed since the published build"
    exports, database = _paths(root, environ)
    changed = published_exports_changed(exports) or published_database_changed(database)
    if changed:
        return False, f"what build {build} published changed: {changed}"
    return True, f"build {build} already built these inputs (same files, settings and packages)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="up_to_date.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("check", "fingerprint"),
                        help="check: exit 0 if up to date, 1 if a build is needed; fingerprint: print it")
    parser.add_argument("--force", action="store_true",
                        help="check: take the fingerprint, but never answer up to date")
    parser.add_argument("--save", type=Path, metavar="FILE",
                        help="check: write the fingerprint to FILE (make build hands it to the build "
                             "as LABELING_INPUT_FINGERPRINT)")
    args = parser.parse_args(argv)
    if args.action == "fingerprint":
        print(fingerprint())
        return 0
    fresh, why = check(force=args.force, save=args.save)
    if fresh:
        print(f"up_to_date: nothing to build: {why}. FORCE=1 builds anyway.")
        return 0
    print(f"up_to_date: building ({why})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
