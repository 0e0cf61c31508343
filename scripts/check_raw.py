"""Check the raw CSV files before a build: the raw folder, header, UTF-8, CSV format, and the
canonical form of every typed value (an id of ``140.5`` or a time with an offset is refused).

The same checks run inside dbt: the raw folder's before dbt parses the project (the
``dbt_labeling`` plugin), each file's in the on-run-start hook of every ``dbt build``. This
command runs them without dbt, so ``make build`` and ``make real`` report every problem of the
input at once, before dbt starts. Definitions: ``plugins/labeling/raw_files.py``.

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
from labeling.raw_files import RAW_FILES, check_raw_file, check_raw_folder  # noqa: E402



def seed_specs(project_dir: Path = PROJECT_DIR) -> dict[str, dict]:
    """``{seed name: its config}`` from ``seeds/_seeds.yml`` (``column_types`` in declared order)."""
    spec = yaml.safe_load((project_dir / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))
    return {seed["name"]: seed["config"] for seed in spec["seeds"]}


def seed_column_types(project_dir: Path = PROJECT_DIR) -> dict[str, dict[str, str]]:
    """``{seed name: {column: type}}`` from ``seeds/_seeds.yml``, in declared order."""
    return {name: dict(config["column_types"]) for name, config in seed_specs(project_dir).items()}


def check(raw_dir: Path, project_dir: Path = PROJECT_DIR, load_mode: str = "seed",
          raw_dir_setting: str | None = None) -> list[str]:
    """Problems found in the raw folder, its raw files and the project's seeds; empty if none."""
    problems = check_raw_folder(project_dir, raw_dir_setting or str(raw_dir), load_mode)
    if problems:
        return problems
    specs = seed_specs(project_dir)
    files = [(name, raw_dir / name, specs[name.removesuffix(".csv")]) for name in RAW_FILES]
    files += [(f"{name}.csv", project_dir / "seeds" / f"{name}.csv", specs[name])
              for name in specs if (project_dir / "seeds" / f"{name}.csv").exists()]
    for name, path, config in files:
        problem = check_raw_file(name, path, dict(config["column_types"]),
                                 allow_empty=bool((config.get("meta") or {}).get("allow_empty")))
        if problem:
            problems.append(f"{problem} ({path})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="check_raw.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--raw-dir", default=os.environ.get("LABELING_RAW_DIR", "data/sample"),
                        help="folder with projects.csv and tags.csv, relative to the project "
                             "(default: $LABELING_RAW_DIR or data/sample)")
    parser.add_argument("--load", choices=("seed", "read_csv"),
                        default=os.environ.get("LABELING_LOAD", "seed"),
                        help="the load path the files are for (default: $LABELING_LOAD or seed)")
    args = parser.parse_args(argv)
    raw_dir = Path(args.raw_dir).expanduser()
    raw_dir = raw_dir if raw_dir.is_absolute() else PROJECT_DIR / raw_dir
    problems = check(raw_dir, load_mode=args.load, raw_dir_setting=args.raw_dir)
    for problem in problems:
        print(f"check_raw: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_raw: {raw_dir}: projects.csv, tags.csv and the project's seeds pass")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
