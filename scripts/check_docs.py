"""Fail when anything in the dbt project lacks a description (run after ``dbt docs generate``).

Reads ``target/manifest.json`` and lists every model, seed, snapshot, source, data test,
analysis, exposure and project macro without a description, and every column of a model,
seed, snapshot or source without one. ``make docs`` runs it, so the docs are never built with
a gap. Exit 0 when complete, 1 with one line per gap otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DOCUMENTED_TYPES = {"model", "seed", "snapshot", "test", "analysis"}
WITH_COLUMNS = {"model", "seed", "snapshot", "source"}


def gaps(manifest: dict) -> list[str]:
    """Every undocumented node, column, source, exposure and project macro in ``manifest``."""
    project = manifest["metadata"]["project_name"]
    found = []
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in DOCUMENTED_TYPES]
    nodes += list(manifest["sources"].values()) + list(manifest.get("exposures", {}).values())
    nodes += [m for m in manifest.get("unit_tests", {}).values()]
    for node in nodes:
        if node.get("package_name") != project:
            continue
        if not (node.get("description") or "").strip():
            found.append(f"{node['resource_type']} {node['unique_id']} ({node.get('original_file_path')}): no description")
        if node["resource_type"] in WITH_COLUMNS:
            for name, column in node.get("columns", {}).items():
                if not (column.get("description") or "").strip():
                    found.append(f"column {node['unique_id']}.{name}: no description")
    for macro in manifest["macros"].values():
        if macro["package_name"] == project and not (macro.get("description") or "").strip():
            found.append(f"macro {macro['unique_id']} ({macro['original_file_path']}): no description")
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="check_docs.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", type=Path, default=PROJECT_DIR / "target" / "manifest.json",
                        help="dbt manifest to check (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.manifest.exists():
        print(f"check_docs: {args.manifest} not found; run `dbt docs generate` first", file=sys.stderr)
        return 1
    found = gaps(json.loads(args.manifest.read_text(encoding="utf-8")))
    for gap in found:
        print(f"check_docs: {gap}", file=sys.stderr)
    if not found:
        print("check_docs: every model, column, seed, source, test, exposure and macro is documented")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
