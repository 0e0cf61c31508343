"""What a valid raw file is, in one place, for every reader of the raw files.

Four readers parse ``projects.csv`` and ``tags.csv``: the preflight (``check_raw_file``, run by
``scripts/check_raw.py``, by the ``on-run-start`` hook of every DuckDB build and by the dbt-core
plugin before a Spark build), the seed load (our ``load_csv_rows``, a DuckDB ``COPY``), the fast
path's ``read_csv`` sources and Spark's CSV reader. They all take their columns from the seeds'
``column_types`` (``seed_specs``, ``raw_columns``), their CSV dialect from ``CSV_OPTIONS``
(``spark_csv_options`` on Spark) and the rule for each typed value from ``TYPE_RULES`` (which
the annotation project id follows too), so a file that one of them accepts, the others accept
too, with the same values:

* **Dialect**: comma, ``"`` quote and escape, a header, DuckDB's strict mode (a stray quote, a
  missing field or an extra non-empty field is an error), lines up to ``MAX_LINE_BYTES``. Like
  every DuckDB reader, one empty field after the last column (a trailing comma) is ignored.
* **Canonical values**: DuckDB's casts accept more than the canonical form and silently change
  the value (``'140.5'`` becomes the id 141, ``'2020-02-01 21:39:27+02:00'`` drops its offset).
  A typed column therefore takes only its canonical form, checked by a round trip (the value
  cast and printed back must be the text itself); anything else is an error naming the file,
  line, column, value and rule, never a silent conversion.
* **Contents of the raw folder**: exactly the raw files the project reads (``RAW_FILES``);
  dbt loads every CSV of a seed folder, so another CSV there is refused with its name.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeling.batches import check_batches
from labeling.paths import sql_string

# The raw files of the Made With ML lesson, in the raw folder (LABELING_RAW_DIR). Their columns,
# in file order, and types are their seeds' column_types in seeds/_seeds.yml (seed_specs).
RAW_FILES = ("projects.csv", "tags.csv")
LOAD_MODES = ("seed", "read_csv")
# The longest line (a record, with its line breaks) any reader accepts: 20 MB.
MAX_LINE_BYTES = 20_000_000
# dbt's parser reads seed files up to this size as UTF-8 text to hash them, before any of the
# project's code runs; a file that is not UTF-8 must be caught before dbt parses.
DBT_SEED_HASH_LIMIT = 1 << 20

# The CSV dialect of every reader, as DuckDB read_csv / COPY options.
CSV_OPTIONS: dict[str, str] = {
    "delim": "','",
    "quote": "'\"'",
    "escape": "'\"'",
    "header": "true",
    "strict_mode": "true",
    "max_line_size": str(MAX_LINE_BYTES),
}


def read_csv_options() -> str:
    """``CSV_OPTIONS`` as the named arguments of ``read_csv`` (``delim = ',', ...``), plus
    ``auto_detect = false`` (read_csv sniffs otherwise; COPY with explicit options does not)."""
    return ", ".join(f"{key} = {value}" for key, value in CSV_OPTIONS.items()) + ", auto_detect = false"


def copy_options() -> str:
    """``CSV_OPTIONS`` as the options of ``COPY ... FROM`` (``format csv, delim ',', ...``)."""
    return "format csv, " + ", ".join(f"{key} {value}" for key, value in CSV_OPTIONS.items())


def spark_csv_options() -> dict[str, str]:
    """``CSV_OPTIONS`` as the options of Spark's CSV reader (the external tables over the raw files
    on Spark, ``spark__labeling_preflight``): the same delimiter, quote, escape and header; records
    may span lines, as DuckDB's reader allows (``multiLine``); and ``FAILFAST``, Spark's form of
    strict mode (a malformed record stops the build)."""
    def literal(key: str) -> str:
        return CSV_OPTIONS[key].strip("'")

    return {"sep": literal("delim"), "quote": literal("quote"), "escape": literal("escape"),
            "header": CSV_OPTIONS["header"], "multiLine": "true",
            "mode": "FAILFAST" if CSV_OPTIONS["strict_mode"] == "true" else "PERMISSIVE"}


@dataclass(frozen=True)
class TypeRule:
    """The canonical text form of one column type.

    ``canonical`` is a SQL condition on the text ``{v}``, true when the text is exactly the
    canonical form (a round trip: cast, print back as the engine's text type ``{text}``,
    compare; ``canonical_sql``); ``cast`` turns canonical text into
    the type; ``means`` says what the form is, for error messages; ``hints`` are (SQL condition,
    explanation) pairs naming the common non-canonical forms.
    """

    canonical: str
    cast: str
    means: str
    hints: tuple[tuple[str, str], ...] = ()

    def canonical_sql(self, value: str, text_type: str = "varchar") -> str:
        """SQL: true when ``value`` (a SQL expression of the text type ``text_type``: DuckDB's
        ``varchar``, Spark's ``string``) is in canonical form. Staging's annotation project id
        uses the ``bigint`` rule on both engines (``labeling_canonical_integer``)."""
        return self.canonical.format(v=value, text=text_type)

    def problem_sql(self, value: str) -> str:
        """SQL: NULL when ``value`` (a SQL expression of type VARCHAR) is NULL or canonical,
        else the text explaining the rule it breaks."""
        hints = "".join(f" when {cond.format(v=value)} then {sql_string(text)}" for cond, text in self.hints)
        return (f"case when {value} is null then null when {self.canonical_sql(value)} then null"
                f"{hints} else {sql_string('is not ' + self.means)} end")


TYPE_RULES: dict[str, TypeRule] = {
    "bigint": TypeRule(
        canonical="cast(try_cast({v} as bigint) as {text}) = {v}",
        cast="cast({v} as bigint)",
        means=("an integer in canonical form: plain digits with an optional leading minus, no "
               "sign, spaces, leading zeros, decimal point, exponent, separators or hex"),
        hints=(("regexp_full_match({v}, '-?[0-9]+[.][0-9]*')",
                "is a decimal number; an id must be a whole number written without a decimal "
                "point (DuckDB would round it and label another project)"),),
    ),
    "timestamp": TypeRule(
        canonical=("regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} [0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}') "
                   "and strftime(try_strptime({v}, '%Y-%m-%d %H:%M:%S'), '%Y-%m-%d %H:%M:%S') = {v}"),
        cast="strptime({v}, '%Y-%m-%d %H:%M:%S')",
        means=("a UTC timestamp in canonical form: YYYY-MM-DD HH:MM:SS, a real date and time, "
               "no T separator, fraction of a second, time zone or surrounding spaces"),
        hints=(("regexp_matches({v}, '[0-9]:[0-9]{{2}}(:[0-9]{{2}}([.][0-9]+)?)? *(Z|UTC|GMT|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$')",
                "carries a time-zone offset or zone; created_on holds UTC times without one "
                "(an offset would be dropped, not applied): convert the time to UTC and write "
                "it as YYYY-MM-DD HH:MM:SS"),),
    ),
    "varchar": TypeRule(canonical="true", cast="{v}", means="text"),
}


def type_rule(column_type: str) -> TypeRule:
    """The rule of a column type (``bigint``, ``timestamp``, ``varchar``), case-insensitive."""
    try:
        return TYPE_RULES[column_type.lower()]
    except KeyError:
        raise ValueError(f"no canonical-form rule for column type {column_type!r} "
                         f"(known: {', '.join(TYPE_RULES)})") from None


def checked_cast_sql(column: str, column_type: str, file_sql: str, line_sql: str) -> str:
    """SQL that casts the text column ``column`` to ``column_type`` when it is canonical and
    otherwise stops the query with ``error()``, naming the file (``file_sql``, a SQL expression:
    staging's ``raw_path``, as one query reads the initial file and each batch's), the line
    (``line_sql``), the column, the value and the rule. Used by staging on the fast load path,
    which reads the raw files as text: the rule is applied while the file is parsed, once."""
    rule = type_rule(column_type)
    if column_type.lower() == "varchar":
        return column
    problem = rule.problem_sql(column)
    message = (f"({file_sql}) || {sql_string(' line ')} || ({line_sql}) || "
               f"{sql_string(', column ' + column + ': ')} || {sql_string(chr(39))} || {column} || "
               f"{sql_string(chr(39) + ' ')} || ({problem})")
    return (f"case when ({problem}) is null then {rule.cast.format(v=column)} "
            f"else error({message}) end")


def _header_problem(name: str, header: list[str], expected: list[str]) -> str:
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    if not missing and not extra:
        rule = "columns are in another order"
    elif missing and extra:
        rule = f"missing column(s) {', '.join(missing)} and unexpected column(s) {', '.join(extra)}"
    elif missing:
        rule = f"missing column(s) {', '.join(missing)}"
    else:
        rule = f"unexpected column(s) {', '.join(extra)}"
    shown = ",".join(header)[:200] or "(empty)"
    return f"{name}: header check failed: {rule}; header is {shown}, expected {','.join(expected)}"


def check_header(name: str, path: Path, expected: list[str]) -> str:
    """Check that ``path`` exists, is not empty and starts with exactly the ``expected`` header
    (a UTF-8 BOM and a CRLF line end are fine); return '' or the problem, naming the file."""
    if not path.is_file():
        return f"{name}: file not found at {path}"
    if path.stat().st_size == 0:
        return f"{name}: the file is empty (0 bytes); expected a header {','.join(expected)} and data rows"
    with path.open("rb") as handle:
        first = handle.readline(1 << 20)
    first = first.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{name}: line 1 (header) is not UTF-8 text ({exc.reason} at byte {exc.start}); is this a CSV file?"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return f"{name}: line 1 (header) holds control characters {text[:40]!r}; is this a CSV file?"
    header = next(csv.reader(io.StringIO(text)), [])
    if header and header[-1] == "" and header[:-1] == expected:
        header = header[:-1]  # a trailing comma: ignored by every reader, as on data lines
    return "" if header == expected else _header_problem(name, header, expected)


def check_utf8(name: str, path: Path) -> str:
    """'' when the file is UTF-8, else the problem with its place: the byte offset and the line
    of text an editor shows (a quoted value may span several)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        shown = data[start:start + 80].decode("utf-8", errors="replace")
        return (f"{name}: invalid encoding: the file is not utf-8 encoded ({exc.reason} at byte "
                f"{exc.start}, text line {line}: {shown!r}); save it as UTF-8")
    return ""


def check_raw_file(name: str, path: str | Path, columns: dict[str, str], max_errors: int = 5,
                   full: bool = True, allow_empty: bool = False) -> str:
    """Check one raw CSV file before anything is loaded; return '' or a readable error.

    ``columns`` maps each expected column, in order, to its DuckDB type (the seed's
    ``column_types``). The file must exist, be non-empty UTF-8 CSV in the project's dialect
    whose header is exactly those columns in that order, with at least one data row, and every
    typed value must be in its canonical form (``TYPE_RULES``): the error names the file, the
    rule and the lines (up to ``max_errors``) with their column and value. ``allow_empty`` accepts
    a header without rows (a seed such as ``label_corrections``, empty until someone decides).
    With ``full=False``
    only the file and its header are checked (the fast load path, whose staging applies the
    same rules while it parses the file, so the file is parsed once, not twice).
    """
    import duckdb

    path = Path(path)
    expected = list(columns)
    problem = check_header(name, path, expected)
    if problem or not full:
        return problem
    as_text = "{" + ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in expected) + "}"
    con = duckdb.connect()
    try:
        con.execute(
            f"create table checked as select row_number() over () + 1 as line, * from "
            f"read_csv({sql_string(path)}, columns = {as_text}, {read_csv_options()}, "
            "store_rejects = true, rejects_table = 'rejects', rejects_scan = 'reject_scans')"
        )
        errors = [
            (line, f"line {line}: {kind.lower()}: {message.splitlines()[0]} [{text[:120]!r}]")
            for line, kind, message, text in con.execute(
                "select line, error_type, error_message, csv_line from rejects order by line, column_idx"
            ).fetchall()
        ]
        if not errors:  # the file parses: check each typed value's canonical form
            for column, column_type in columns.items():
                quoted = '"' + column.replace('"', '""') + '"'
                errors += [
                    (line, f"line {line}, column {column}: {value!r} {rule}")
                    for line, value, rule in con.execute(
                        f"select line, {quoted}, problem from (select line, {quoted}, "
                        f"{type_rule(column_type).problem_sql(quoted)} as problem from checked) "
                        f"where problem is not null order by line limit {max_errors + 1}"
                    ).fetchall()
                ]
        rows = con.execute("select count(*) from checked").fetchone()[0]
    except duckdb.Error as exc:
        return f"{name}: cannot be read as CSV: {str(exc).splitlines()[0]}"
    finally:
        con.close()
    if errors:
        shown = [text for _, text in sorted(errors)[:max_errors]]
        count = f"more than {max_errors}" if len(errors) > max_errors else str(len(errors))
        return (f"{name}: {count} line(s) break the file's format or a column's canonical form: "
                + "; ".join(shown))
    if rows == 0 and not allow_empty:
        return f"{name}: the file has a header but no data rows"
    return ""


def check_raw_folder(project: Path, raw_dir_setting: str, load_mode: str) -> list[str]:
    """Problems with the raw folder named by ``LABELING_RAW_DIR`` before dbt parses the project.

    dbt itself would report a missing folder as "node 'tags' not found", load a stray CSV as a
    seed, crash on a small file that is not UTF-8 without naming it, and (on the seed path)
    write its compiled copy of a seed given by an absolute path over the raw file. Each is
    reported here with its cause and fix.
    """
    if load_mode not in LOAD_MODES:
        return [f"LABELING_LOAD must be 'seed' or 'read_csv', not {load_mode!r}"]
    raw_dir = Path(raw_dir_setting).expanduser()
    absolute = raw_dir if raw_dir.is_absolute() else project / raw_dir
    shown = raw_dir_setting
    if not absolute.is_dir():
        what = "is a file, not a folder" if absolute.exists() else "does not exist"
        hint = ("run `make real` (or scripts/extract.py) to download the real data there"
                if absolute.resolve() == (project / "data" / "madewithml").resolve()
                else "set LABELING_RAW_DIR to the folder that holds projects.csv and tags.csv")
        return [f"LABELING_RAW_DIR={shown}: the raw folder {what} ({absolute}); {hint}. "
                "Nothing was loaded or changed."]
    problems = [
        f"LABELING_RAW_DIR={shown}: {name} is missing from the raw folder ({absolute}); it must "
        f"hold {' and '.join(RAW_FILES)}. Nothing was loaded or changed."
        for name in RAW_FILES if not (absolute / name).is_file()
    ]
    problems += check_batches(absolute, shown, load_mode)
    if load_mode == "seed":
        if raw_dir.is_absolute():
            try:
                inside = absolute.resolve().relative_to(project.resolve())
            except ValueError:
                problems.append(
                    f"LABELING_RAW_DIR={shown}: on the seed load path the raw folder must be inside "
                    "the project (dbt writes each seed's compiled copy under target/ by its path "
                    "and would overwrite a raw file given by an absolute path). Copy the files in "
                    "(scripts/extract.py --from DIR does), or read them in place with "
                    "LABELING_LOAD=read_csv. Nothing was loaded or changed.")
            else:
                problems.append(
                    f"LABELING_RAW_DIR={shown}: this folder is inside the project, but given as an "
                    "absolute path, which dbt would use to write each seed's compiled copy over "
                    f"the raw file; give it relative to the project: LABELING_RAW_DIR={inside}. "
                    "Nothing was loaded or changed.")
        stray = sorted(p.name for p in absolute.glob("*.csv") if p.name not in RAW_FILES)
        if stray:
            problems.append(
                f"LABELING_RAW_DIR={shown}: {', '.join(stray)} {'is' if len(stray) == 1 else 'are'} "
                f"not raw file(s) of this project (expected only {', '.join(RAW_FILES)}); dbt loads "
                "every CSV of the raw folder as a seed. Move the other file(s) out of "
                f"{absolute}. Nothing was loaded or changed.")
        for name in RAW_FILES:
            path = absolute / name
            if path.is_file() and path.stat().st_size < DBT_SEED_HASH_LIMIT:
                expected = list(seed_specs(project)[name.removesuffix(".csv")]["column_types"])
                problem = check_header(name, path, expected) or check_utf8(name, path)
                if problem:
                    problems.append(f"{problem} ({path}). Nothing was loaded or changed.")
    return problems



def seed_specs(project: Path) -> dict[str, dict[str, Any]]:
    """``{seed name: its config}`` from ``seeds/_seeds.yml``: the one definition of the columns
    of every raw file and seed, in file order, with their types (``column_types``), which dbt
    loads them by and every check here reads."""
    import yaml

    spec = yaml.safe_load((project / "seeds" / "_seeds.yml").read_text(encoding="utf-8"))
    return {seed["name"]: seed["config"] for seed in spec["seeds"]}


def raw_columns(project: Path) -> dict[str, dict[str, str]]:
    """``{raw file stem: {column: type}}`` in file order (``projects``, ``tags``): their seeds'
    ``column_types``, the one definition that the read_csv path's table macros
    (``labeling_read_<stem>``), the header check, staging's casts (``labeling_typed``) and
    Spark's external tables read."""
    specs = seed_specs(project)
    return {name.removesuffix(".csv"): dict(specs[name.removesuffix(".csv")]["column_types"]) for name in RAW_FILES}


def read_raw_macros(project: Path) -> list[str]:
    """DuckDB statements defining, per raw file, the table macro ``labeling_read_<stem>(path)``:
    ``read_csv`` of that file in the one dialect, its columns (``raw_columns``) as text."""
    statements = []
    for stem, columns in raw_columns(project).items():
        as_text = "{" + ", ".join(f"{sql_string(column)}: 'VARCHAR'" for column in columns) + "}"
        statements.append(f"create or replace temp macro labeling_read_{stem}(path) as table "
                          f"select * from read_csv(path, columns = {as_text}, {read_csv_options()})")
    return statements


def check_inputs(project: Path, raw_dir: Path, raw_dir_setting: str, load_mode: str) -> list[str]:
    """Every problem of the raw folder (``check_raw_folder``), of each raw file whole and of the
    project's own seeds (``check_raw_file``, by their ``column_types``): the up-front check of
    ``scripts/check_raw.py`` and of the Spark build. Empty if none."""
    problems = check_raw_folder(project, raw_dir_setting, load_mode)
    if problems:
        return problems
    specs = seed_specs(project)
    files = [(name, raw_dir / name, specs[name.removesuffix(".csv")]) for name in RAW_FILES]
    files += [(f"{name}.csv", project / "seeds" / f"{name}.csv", config) for name, config in specs.items()
              if (project / "seeds" / f"{name}.csv").exists()]
    for name, path, config in files:
        problem = check_raw_file(name, path, dict(config["column_types"]),
                                 allow_empty=bool((config.get("meta") or {}).get("allow_empty")))
        if problem:
            problems.append(f"{problem} ({path})")
    return problems
