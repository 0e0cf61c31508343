"""The Made With ML lesson's labeling step in pandas, as the reference for our export.

Runs exactly the lesson's code on a folder holding ``projects.csv`` and ``tags.csv``::

    projects = pd.read_csv(projects_path)
    tags = pd.read_csv(tags_path)
    df = pd.merge(projects, tags, on="id")
    df = df[df.tag.notnull()]
    df.to_csv(out, index=False)

The test suite compares its output with ``exports/labeled_projects.csv`` byte for byte, and the
benchmark uses it as the pandas baseline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def label(raw_dir: Path, out: Path) -> int:
    """Write the lesson's labeled CSV for the raw files in ``raw_dir`` to ``out``; return its row count."""
    projects = pd.read_csv(raw_dir / "projects.csv")
    tags = pd.read_csv(raw_dir / "tags.csv")
    df = pd.merge(projects, tags, on="id")
    df = df[df.tag.notnull()]
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    return len(df)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lesson_labeling.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("raw_dir", type=Path, help="folder with projects.csv and tags.csv")
    parser.add_argument("out", type=Path, help="CSV file to write")
    args = parser.parse_args(argv)
    rows = label(args.raw_dir, args.out)
    print(f"lesson_labeling: wrote {rows} rows to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
