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

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR / "plugins"))
from labeling.raw_files import check_inputs  # noqa: E402


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
    problems = check_inputs(PROJECT_DIR, raw_dir, args.raw_dir, args.load)
    for problem in problems:
        print(f"check_raw: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_raw: {raw_dir}: projects.csv, tags.csv and the project's seeds pass")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
