"""Check the raw CSV files before a build: header, UTF-8, CSV format, value types.

The same check runs inside every ``dbt build`` (the on-run-start hook calls the plugin's
``labeling_check_raw_file``). This command runs it before dbt starts, which matters for one
case: a seed file under 1 MiB that is not UTF-8 makes dbt's own parser fail (a
UnicodeDecodeError without the file's name) before any project code runs. ``make build`` and
``make real`` run this first.

Column names and types come from the seeds' ``column_types`` in ``seeds/_seeds.yml``; the raw
folder from ``--raw-dir`` or ``LABELING_RAW_DIR`` (default ``data/sample``). Exit 0 when every
file passes, 1 with one line per problem (file, rule, lines) otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR / "plugins"))
from labeling_export import check_raw_file  # noqa: E402

RAW_SEEDS = ("projects", "tags")


def seed_column_types(project_dir: Path = PROJECT_DIR) -> dict[str, dict[str, str]]:
    """``{seed name: {column: type}}`` from ``seeds/_seeds.yml``, in declared order."""
    spec = yaml.safe_load((project_dir / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))
    return {seed["name"]: dict(seed["config"]["column_types"]) for seed in spec["seeds"]}


def check(raw_dir: Path, project_dir: Path = PROJECT_DIR) -> list[str]:
    """Problems found in the raw files of ``raw_dir`` and the taxonomy seed; empty if none."""
    types = seed_column_types(project_dir)
    files = [(f"{name}.csv", raw_dir / f"{name}.csv", types[name]) for name in RAW_SEEDS]
    files.append(("tag_taxonomy.csv", project_dir / "seeds" / "tag_taxonomy.csv", types["tag_taxonomy"]))
    problems = []
    for name, path, columns in files:
        problem = check_raw_file(name, path, columns)
        if problem:
            problems.append(f"{problem} ({path})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="check_raw.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--raw-dir", type=Path,
                        default=Path(os.environ.get("LABELING_RAW_DIR", "data/sample")),
                        help="folder with projects.csv and tags.csv, relative to the project "
                             "(default: $LABELING_RAW_DIR or data/sample)")
    args = parser.parse_args(argv)
    raw_dir = args.raw_dir if args.raw_dir.is_absolute() else PROJECT_DIR / args.raw_dir
    problems = check(raw_dir)
    for problem in problems:
        print(f"check_raw: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_raw: {raw_dir}: projects.csv, tags.csv and the taxonomy pass")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
