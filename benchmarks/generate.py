"""Generate raw Made With ML-shaped data at any size, deterministically, with DuckDB.

Writes ``projects.csv`` (id, created_on, title, description) and ``tags.csv`` (id, tag) like
the real files: ascending ids, timestamps from 2020 on, titles and descriptions from a fixed
vocabulary with quoted commas, quotes and LF/CRLF line breaks, surrounding spaces on some
values, the six tags in roughly the real proportions, and about 2% of projects without a tag
(half with no tag row, half with an empty tag). The same ``--rows`` always gives the same bytes.

    python benchmarks/generate.py --rows 1000000 --out benchmarks/data/1e6
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

WORDS = ("model", "data", "neural", "learning", "graph", "vision", "text", "deep", "time", "series",
         "agent", "policy", "transformer", "embedding", "pipeline", "serving", "feature", "label",
         "classifier", "detection", "segmentation", "forecast", "reward", "attention", "dataset")
# Tag shares of the real data (388, 356, 79, 56, 45, 31 of 955).
TAG_CUTS = ((388, "natural-language-processing"), (744, "computer-vision"), (823, "mlops"),
            (879, "reinforcement-learning"), (924, "graph-learning"), (955, "time-series"))


def generate(rows: int, out: Path, first: int = 0) -> tuple[Path, Path]:
    """Write projects.csv and tags.csv with ``rows`` projects into ``out``; return their paths.
    ``first`` numbers the rows from there (project ids ``3 * row + 6``): a batch generated with
    ``first`` = the size of an earlier file has new ids only."""
    out.mkdir(parents=True, exist_ok=True)
    words = "[" + ", ".join(f"'{w}'" for w in WORDS) + "]"
    tag_case = "case " + " ".join(f"when h % 955 < {cut} then '{tag}'" for cut, tag in TAG_CUTS) + " end"
    con = duckdb.connect()
    # Views, streamed to the files in id order (range() is ordered and insertion order is kept):
    # nothing is held in memory, so 5e7 rows need no more than the limit below.
    con.execute("set preserve_insertion_order = true")
    con.execute("set memory_limit = '4GB'")
    con.execute(f"""
        create temp view projects as
        select
            i * 3 + 6 as id,
            timestamp '2020-02-20 06:43:18' + to_seconds(i * 37) as created_on,
            case when h % 50 = 0 then ' ' else '' end
              || upper({words}[1 + h % 25][1]) || {words}[1 + h % 25][2:] || ' ' || {words}[1 + (h // 25) % 25] || ' '
              || {words}[1 + (h // 625) % 25] || ' #' || i as title,
            'A project about ' || {words}[1 + (h // 7) % 25] || ', ' || {words}[1 + (h // 11) % 25]
              || case when h % 9 = 0 then chr(10) || 'Second line.' when h % 13 = 0
                      then chr(13) || chr(10) || 'Windows line.' else '' end
              || case when h % 17 = 0 then ' With "quotes".' else '' end
              || case when h % 40 = 0 then '  ' else '' end as description,
            h
        from (select range as i, cast(hash(range) % 1000000007 as bigint) as h from range({first}, {first + rows}))
    """)
    con.execute(f"""
        create temp view tags as
        select id, case when h % 100 = 1 then null else {tag_case} end as tag
        from projects
        where h % 100 <> 0
    """)
    projects, tags = out / "projects.csv", out / "tags.csv"
    options = "format csv, header true, quote '\"', escape '\"', comment ''"
    con.execute(f"copy (select id, strftime(created_on, '%Y-%m-%d %H:%M:%S') as created_on, title, description "
                f"from projects) to '{projects}' ({options})")
    con.execute(f"copy (select id, tag from tags) to '{tags}' ({options})")
    con.close()
    return projects, tags


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="generate.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, required=True, help="number of projects")
    parser.add_argument("--out", type=Path, required=True, help="folder to write projects.csv and tags.csv into")
    parser.add_argument("--first", type=int, default=0,
                        help="number the rows from here (a batch after a file of this many rows has new ids)")
    args = parser.parse_args(argv)
    for path in generate(args.rows, args.out, args.first):
        print(f"generate: wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
