"""Run SQL against the labeling database, read-only, and print a table, CSV or JSON.

Examples (from the project folder)::

    python scripts/query.py "select tag, count(*) as n from labeled_projects group by tag"
    python scripts/query.py --file target/compiled/mwml_labeling/analyses/class_balance.sql
    python scripts/query.py --format csv "select * from raw_row_audit where outcome = 'left_out'"
    python scripts/query.py --db .build/labeling.duckdb "select * from audit.raw_rows_have_no_blocking_issues"

The connection is read-only, so a query can never change the database. Builds write a private
copy and publish it with one rename, so queries do not wait for them. If the file cannot be
opened, the command names the cause and the fix and exits 2: another process holds it for
writing (a session that opened it read-write), or a session left committed writes in a
write-ahead log (``labeling.duckdb.wal``) that a read-only open cannot fold in.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import json
import re
import sys
from pathlib import Path
from typing import Any

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_DIR / "labeling.duckdb"


class QueryError(Exception):
    """A problem the user can act on; the message says what and how."""


def run(sql: str, database: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` on ``database`` read-only; return (column names, rows)."""
    if not database.exists():
        raise QueryError(f"{database} does not exist; build it first with `make build`")
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise QueryError(_open_problem(database, exc)) from None
    try:
        relation = con.sql(sql)
        if relation is None:
            return [], []
        return list(relation.columns), relation.fetchall()
    except duckdb.Error as exc:
        raise QueryError(str(exc).splitlines()[0]) from None
    finally:
        con.close()


def _open_problem(database: Path, exc: Exception) -> str:
    """Why ``database`` cannot be opened read-only, and what to do, from DuckDB's error."""
    message = str(exc).splitlines()[0]
    wals = [w for w in {database.with_name(database.name + ".wal"),
                        database.resolve().with_name(database.resolve().name + ".wal")}
            if w.exists() and w.stat().st_size > 0]
    holder = re.search(r"PID (\d+)", str(exc))
    if "lock" in message.lower():
        who = f"process {holder.group(1)}" if holder else "another process"
        return (f"{database} is held for writing by {who}: a session that opened it read-write "
                "(builds never do; they write a private copy). Close that session, or open the "
                "file read-only there too; meanwhile query the exported files, e.g. "
                "select * from 'exports/labeled_projects.parquet'")
    if wals and "checkpoint iteration does not match" in message:
        return (f"{database} cannot be read: its write-ahead log {wals[0]} is stale, written for an "
                "older version of the file (a copy of the database made without its WAL), and "
                f"DuckDB refuses the file while it is there ({message}). Move it aside: "
                f"mv {wals[0]} {wals[0]}.stale")
    if wals:
        return (f"{database} cannot be read: its write-ahead log {wals[0]} holds writes of a "
                f"session that ended without a checkpoint ({message}). Fold them into the file "
                "with one read-write open and close, e.g. .venv/bin/python -c \"import duckdb; "
                f"duckdb.connect({str(database)!r}).close()\", then query again.")
    return f"{database} cannot be opened read-only: {message}"


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def render(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, max_width: int = 60) -> str:
    """Format the result as an aligned text table, CSV or JSON (a list of objects)."""
    if fmt == "json":
        return json.dumps([dict(zip(columns, map(_plain, row))) for row in rows], indent=2, ensure_ascii=False)
    if fmt == "csv":
        out = []
        writer = csv.writer(_Lines(out), lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else _plain(v) for v in row] for row in rows])
        return "".join(out).rstrip("\n")

    def cell(value: Any) -> str:
        text = "NULL" if value is None else str(_plain(value))
        text = text.replace("\r", "\\r").replace("\n", "\\n")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


class _Lines:
    def __init__(self, sink: list[str]) -> None:
        self.sink = sink

    def write(self, text: str) -> None:
        self.sink.append(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="query.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sql", nargs="?", help="the SQL to run (or use --file)")
    parser.add_argument("--file", type=Path, help="read the SQL from this file (e.g. a compiled analysis)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="database file (default: %(default)s)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="output format (default: table)")
    args = parser.parse_args(argv)
    if (args.sql is None) == (args.file is None):
        parser.error("give the SQL as an argument or with --file, not both")
    sql = args.file.read_text(encoding="utf-8") if args.file else args.sql
    try:
        columns, rows = run(sql, args.db)
    except QueryError as exc:
        print(f"query: {exc}", file=sys.stderr)
        return 2
    print(render(columns, rows, args.format))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
