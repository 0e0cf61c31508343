"""The bad-input corpus: each broken or surprising raw file and the outcome users get.

Every case starts from a project copy whose last build succeeded (database published, export
written), changes the bundled raw files, and runs ``dbt build`` of the export and everything it
reads, with their tests (``EXPORT_ONLY``: every model from the raw files to the export, the
raw-row audit and accounting among them). A ``fail`` case must exit
non-zero with a message naming the file and the rule (never just a traceback) and leave the
database file and every export file byte for byte as they were. An ``accept`` case must build
and account for every raw row. Cases about what a valid file is run on both load paths (seed
and ``LABELING_LOAD=read_csv``), which must agree: the same files fail, with the same rule, and
the accepted ones export the same bytes. README.md has the same table for users.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import EXPORT_ONLY, Project, run_script, use_parse_state

csv.field_size_limit(1 << 26)  # the corpus holds a 3 MB field

PROJECTS_HEADER = "id,created_on,title,description"


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def write(path: Path, text: str | bytes) -> None:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)


def append(path: Path, text: str) -> None:
    write(path, read(path) + text)


def replace_line(path: Path, old: str, new: str) -> None:
    text = read(path)
    assert f"\n{old}\n" in text, old
    write(path, text.replace(f"\n{old}\n", f"\n{new}\n", 1))


def rewrite_rows(path: Path, change: Callable[[list[list[str]]], list[list[str]]], line_end: str = "\n") -> None:
    rows = list(csv.reader(io.StringIO(read(path), newline="")))
    out = io.StringIO()
    csv.writer(out, lineterminator=line_end).writerows(change(rows))
    write(path, out.getvalue())


def first_project_line(path: Path) -> str:
    return read(path).split("\n")[1]


@dataclass
class Case:
    """One corpus entry: how to break the sample, and what must happen."""

    name: str
    change: Callable[[Path, Path], None]  # (projects.csv, tags.csv)
    outcome: str  # "fail" or "accept"
    says: list[str] = field(default_factory=list)  # substrings of dbt's output
    accounting: dict[str, int] = field(default_factory=dict)  # "file outcome:reason" -> rows
    paths: tuple[str, ...] = ("seed",)  # load paths to run it on


BOTH = ("seed", "read_csv")

CASES = [
    Case("duplicate project id, same content",
         lambda p, t: append(p, first_project_line(p) + "\n"),
         "fail", ["raw_rows_have_no_blocking_issues", "duplicate_project_id", "projects.csv"]),
    Case("duplicate project id, different content",
         lambda p, t: append(p, "6,2021-01-01 00:00:00,Another title,Another description\n"),
         "fail", ["raw_rows_have_no_blocking_issues", "duplicate_project_id", "project_id=6"]),
    Case("duplicate tag row",
         lambda p, t: append(t, "6,natural-language-processing\n"),
         "fail", ["duplicate_tag_row", "tags.csv"]),
    Case("conflicting tag rows for one project",
         lambda p, t: append(t, "6,mlops\n"),
         "fail", ["duplicate_tag_row", "project_id=6"]),
    Case("tag outside the taxonomy",
         lambda p, t: replace_line(t, "9,computer-vision", "9,computer_vision"),
         "fail", ["labeled_projects_tag_in_taxonomy", "offending_value=computer_vision", "example_ids=[9]"]),
    Case("tag in another case",
         lambda p, t: replace_line(t, "9,computer-vision", "9,Computer-Vision"),
         "fail", ["tag_not_in_taxonomy", "offending_value=Computer-Vision"]),
    Case("tag with surrounding spaces",
         lambda p, t: replace_line(t, "9,computer-vision", "9, computer-vision "),
         "fail", ["tag_not_in_taxonomy", "offending_value= computer-vision "]),
    Case("empty tag",
         lambda p, t: replace_line(t, "9,computer-vision", "9,"),
         "accept", accounting={"projects.csv left_out:empty_tag": 2, "tags.csv left_out:empty_tag": 2,
                               "projects.csv labeled": 45}),
    Case("quoted empty tag",
         lambda p, t: replace_line(t, "9,computer-vision", '9,""'),
         "accept", accounting={"projects.csv left_out:empty_tag": 2, "projects.csv labeled": 45}),
    Case("tag row for a missing project",
         lambda p, t: append(t, "100000,mlops\n"),
         "fail", ["unknown_project", "project_id=100000", "tags.csv"]),
    Case("project without a tag row",
         lambda p, t: write(t, read(t).replace("\n9,computer-vision\n", "\n")),
         "accept", accounting={"projects.csv left_out:no_tag_row": 2, "projects.csv labeled": 45,
                               "tags.csv labeled": 45}),
    Case("missing column",
         lambda p, t: rewrite_rows(p, lambda rows: [r[:3] for r in rows]),
         "fail", ["projects.csv: header check failed: missing column(s) description"]),
    Case("extra column",
         lambda p, t: rewrite_rows(p, lambda rows: [r + (["source"] if i == 0 else ["x"]) for i, r in enumerate(rows)]),
         "fail", ["projects.csv: header check failed: unexpected column(s) source"]),
    Case("renamed header",
         lambda p, t: write(p, read(p).replace(PROJECTS_HEADER, "id,created_on,name,description", 1)),
         "fail", ["missing column(s) title and unexpected column(s) name"]),
    Case("columns in another order",
         lambda p, t: rewrite_rows(p, lambda rows: [[r[0], r[2], r[1], r[3]] for r in rows]),
         "fail", ["projects.csv: header check failed: columns are in another order"]),
    Case("upstream's newer tags.csv (tag column, no id)",
         lambda p, t: rewrite_rows(t, lambda rows: [r[1:] for r in rows]),
         "fail", ["tags.csv: header check failed: missing column(s) id"]),
    Case("non-integer id",
         lambda p, t: append(p, "12a,2021-01-01 00:00:00,Title,Description\n"),
         "fail", ["projects.csv", "column id: '12a' is not an integer in canonical form"], paths=BOTH),
    Case("unparseable timestamp",
         lambda p, t: append(p, "1000,yesterday,Title,Description\n"),
         "fail", ["projects.csv", "column created_on: 'yesterday' is not a UTC timestamp"], paths=BOTH),
    Case("impossible timestamp",
         lambda p, t: append(p, "1000,2020-02-30 10:00:00,Title,Description\n"),
         "fail", ["column created_on: '2020-02-30 10:00:00' is not a UTC timestamp"], paths=BOTH),
    # DuckDB's casts accept these and change the value: a tag on the wrong project, a time
    # off by its offset. Only the canonical form is taken (issue 10, defects 2 and 5).
    Case("decimal id in tags.csv (would label project 141)",
         lambda p, t: append(t, "140.5,mlops\n"),
         "fail", ["tags.csv", "column id: '140.5' is a decimal number"], paths=BOTH),
    *[Case(f"id written {form!r}",
           lambda p, t, form=form: replace_line(t, "9,computer-vision", f"{form},computer-vision"),
           "fail", ["tags.csv", f"column id: {form!r} is not an integer in canonical form"], paths=BOTH)
      for form in ("+9", "09", "9e0", "0x9", "9_0", " 9", "9 ")],
    Case("timestamp with a UTC offset",
         lambda p, t: write(p, read(p).replace("6,2020-02-01 00:00:00,", "6,2020-02-01 21:39:27+02:00,", 1)),
         "fail", ["projects.csv", "column created_on: '2020-02-01 21:39:27+02:00' carries a time-zone offset"],
         paths=BOTH),
    *[Case(f"timestamp written {form!r}",
           lambda p, t, form=form: write(p, read(p).replace("6,2020-02-01 00:00:00,", f"6,{form},", 1)),
           "fail", ["projects.csv", f"column created_on: {form!r} "], paths=BOTH)
      for form in ("2020-02-01T00:00:00", "2020-02-01", "2020-02-01 00:00:00.5", "2020-02-01 00:00:00Z",
                   "infinity", "2020-2-1 0:0:0")],
    Case("a trailing comma on every line",
         lambda p, t: (write(p, read(p).replace("\n", ",\n").replace("\r,\n", "\r\n")),
                       write(t, read(t).replace("\n", ",\n"))),
         "accept", accounting={"projects.csv labeled": 46, "tags.csv labeled": 46}, paths=BOTH),
    Case("a line over 2 MB (3 MB description)",
         lambda p, t: (append(p, "1000,2021-01-01 00:00:00,Long one,\"" + "word " * 600_000 + "end\"\n"),
                       append(t, "1000,mlops\n")),
         "accept", accounting={"projects.csv labeled": 47, "tags.csv labeled": 47}, paths=BOTH),
    Case("a line over the 20 MB limit",
         lambda p, t: append(p, "1000,2021-01-01 00:00:00,Too long,\"" + "word " * 4_200_000 + "end\"\n"),
         "fail", ["projects.csv", "20000000"], paths=BOTH),
    Case("empty title",
         lambda p, t: replace_line(p, first_project_line(p), "6,2020-02-01 00:00:00,,Build a transformer."),
         "fail", ["not_null_labeled_projects_title", "projects.csv"]),
    Case("empty description",
         lambda p, t: replace_line(p, first_project_line(p), "6,2020-02-01 00:00:00,Transformers,"),
         "fail", ["not_null_labeled_projects_description", "id=6"]),
    Case("header-only projects file",
         lambda p, t: write(p, PROJECTS_HEADER + "\n"),
         "fail", ["projects.csv: the file has a header but no data rows"]),
    Case("header-only tags file",
         lambda p, t: write(t, "id,tag\n"),
         "fail", ["tags.csv: the file has a header but no data rows"]),
    Case("empty (0-byte) file",
         lambda p, t: write(t, b""),
         "fail", ["tags.csv: the file is empty (0 bytes)"]),
    Case("UTF-8 byte order mark",
         lambda p, t: (write(p, b"\xef\xbb\xbf" + p.read_bytes()), write(t, b"\xef\xbb\xbf" + t.read_bytes())),
         "accept", accounting={"projects.csv labeled": 46, "tags.csv labeled": 46}),
    Case("CRLF line endings",
         lambda p, t: (rewrite_rows(p, lambda rows: rows, "\r\n"), rewrite_rows(t, lambda rows: rows, "\r\n")),
         "accept", accounting={"projects.csv labeled": 46, "tags.csv labeled": 46}),
    Case("Latin-1 bytes that are not UTF-8",
         lambda p, t: write(p, p.read_bytes() + "1000,2021-01-01 00:00:00,Café,Résumé\n".encode("latin-1")),
         "fail", ["projects.csv: invalid encoding", "not utf-8", "text line 54"]),
    Case("unterminated quote",
         lambda p, t: append(p, '1000,2021-01-01 00:00:00,"Unclosed title,Description\n'),
         "fail", ["projects.csv", "unterminated quote"]),
    Case("very long description (1 MB)",
         lambda p, t: (append(p, "1000,2021-01-01 00:00:00,Long one,\"" + "word, " * 174763 + "end\"\n"),
                       append(t, "1000,mlops\n")),
         "accept", accounting={"projects.csv labeled": 47, "tags.csv labeled": 47}),
    Case("not a CSV file at all",
         lambda p, t: write(p, bytes(range(256)) * 8),
         "fail", ["projects.csv: line 1 (header)", "is this a CSV file?"]),
    Case("JSON instead of CSV",
         lambda p, t: write(t, '[{"id": 6, "tag": "mlops"}]\n'),
         "fail", ["tags.csv: header check failed"]),
]


def database_state(project: Project) -> tuple[str, dict[str, int]]:
    digest = hashlib.sha256(project.database.read_bytes()).hexdigest()
    counts = {
        table: project.query(f"select count(*) from {table}")[0][0]
        for table in ("raw.projects", "raw.tags", "labeled_projects", "labeled_projects_export", "raw_row_audit")
    }
    return digest, counts


def runs(case: Case) -> list[tuple[str, ...]]:
    """The builds a case runs, one test each: a file that fails, once per load path (each from
    the last good state); a file that is accepted on both paths, both in one test, seed first
    then read_csv on the same copy, so their exports can be compared (one definition of a valid
    file, issue 10, defect 9)."""
    if case.outcome == "accept" and len(case.paths) > 1:
        return [case.paths]
    return [(path,) for path in case.paths]


RUNS = [pytest.param(case, paths, id=f"{case.name} [{' then '.join(paths)}]") for case in CASES for paths in runs(case)]


@pytest.mark.parametrize(("case", "paths"), RUNS)
def test_bad_input(case: Case, paths: tuple[str, ...], clone_built: Project, read_csv_parse_state: Path) -> None:
    if paths[0] == "read_csv":
        use_parse_state(clone_built, read_csv_parse_state)
    sample = clone_built.root / "data" / "sample"
    exports_before = clone_built.export_snapshot()
    database_before = database_state(clone_built)
    case.change(sample / "projects.csv", sample / "tags.csv")

    exported = set()
    for path in paths:
        # The seed path is the default: LABELING_LOAD is set for read_csv only, as a user would
        # (so dbt parses only what changed on the seed path, as after the clone's own build).
        result = clone_built.dbt("build", *EXPORT_ONLY, **({"LABELING_LOAD": path} if path != "seed" else {}))
        output = result.stdout + result.stderr
        assert "Traceback" not in output, output[-4000:]
        if case.outcome == "fail":
            assert_refused(case, path, clone_built, output, result.returncode)
            assert clone_built.export_snapshot() == exports_before
            assert database_state(clone_built) == database_before
        else:
            assert result.returncode == 0, output[-5000:]
            assert_accounted(case, clone_built, output)
            exported.add((clone_built.exports / "labeled_projects.csv").read_bytes())
    # What one load path accepts, the other accepts with the same result.
    assert len(exported) <= 1, "the two load paths exported different bytes"


def assert_refused(case: Case, path: str, project: Project, output: str, returncode: int) -> None:
    """The build failed, naming the file and the rule; scripts/check_raw.py (make build runs it
    first) finds a problem of the input check the same way, without dbt."""
    assert returncode != 0, output[-4000:]
    for text in case.says:
        assert text in output, f"{text!r} not in output:\n{output[-5000:]}"
    if "nput check failed" in output or "Runtime Error in model stg_" in output:
        checked = run_script("check_raw.py", "--load", path, cwd=project.root)
        assert checked.returncode == 1, checked.stdout
        for text in case.says:
            assert text in checked.stderr, (text, checked.stderr[-3000:])


def assert_accounted(case: Case, project: Project, output: str) -> None:
    """The build accounts for every raw row, with the outcomes the case expects."""
    sample = project.root / "data" / "sample"
    rows = project.query(
        "select raw_file || ' ' || outcome || coalesce(':' || reason, ''), sum(n_rows)::bigint "
        "from raw_row_outcomes group by all")
    accounted = dict(rows)
    for key, expected in case.accounting.items():
        assert accounted.get(key) == expected, (key, accounted)
    raw = sum(len(list(csv.reader(io.StringIO(read(sample / name), newline="")))) - 1
              for name in ("projects.csv", "tags.csv"))
    assert sum(accounted.values()) == raw
    assert "labeling: raw rows accounted for:" in output


def test_corpus_covers_at_least_25_kinds() -> None:
    assert len(CASES) >= 25
    assert {c.outcome for c in CASES} == {"fail", "accept"}
