"""Every query path the docs document, run for real against a built database.

The commands and the worked queries are read from README.md and docs/querying.md themselves, so
the docs cannot drift from what works: each ```bash command of "Four ways in" runs as written (with .venv/bin
pointing at this interpreter's environment), and each worked query runs through the DuckDB
CLI, Python's duckdb (read-only), dbt show and harlequin (driven in tmux).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from conftest import BIN, REPO, Project, clone_project, run_script

README = (REPO / "README.md").read_text(encoding="utf-8")
QUERYING = (REPO / "docs" / "querying.md").read_text(encoding="utf-8")
WORKFLOW = (REPO / "docs" / "labeling_workflow.md").read_text(encoding="utf-8")
HARLEQUIN = REPO / ".venv-harlequin" / "bin" / "harlequin"


def section(title: str, page: str = README) -> str:
    """The text of ``page`` from the heading or line ``title`` to the next heading."""
    start = page.index(title)
    end = min(i for i in (page.find("\n## ", start + 1), page.find("\n### ", start + 1), len(page)) if i > 0)
    return page[start:end]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


WORKED = [q.strip() for q in code_blocks(section("## Worked queries", QUERYING), "sql")]
COMMANDS = [
    line for block in code_blocks(section("### Four ways in"), "bash") + code_blocks(section("and `scripts/query.py`"), "bash")
    for line in block.splitlines() if line.startswith((".venv/bin/", "DBT_PROFILES_DIR="))
]


@pytest.fixture(scope="module")
def twice_built(built_sample: Project, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Built on the sample (a copy of the session's build), then again after a new project and
    a changed tag: two versions."""
    project = clone_project(built_sample, tmp_path_factory.mktemp("query") / "project")
    sample = project.root / "data" / "sample"
    with (sample / "projects.csv").open("ab") as handle:
        handle.write(b"1000,2021-06-01 12:00:00,Brand new project,Added in the second build.\n")
    tags = (sample / "tags.csv").read_bytes().replace(b"\n9,computer-vision\n", b"\n9,mlops\n")
    (sample / "tags.csv").write_bytes(tags + b"1000,time-series\n")
    project.build()
    compiled = project.dbt("compile", "--select", "resource_type:analysis")
    assert compiled.returncode == 0, compiled.stdout[-2000:]
    return project


def shell(project: Project, command: str) -> subprocess.CompletedProcess[str]:
    command = command.replace(".venv/bin/", f"{BIN}/")
    return subprocess.run(["bash", "-c", command], cwd=project.root, env=project.env(),
                          capture_output=True, text=True, timeout=300)


def test_readme_documents_the_queries() -> None:
    assert len(WORKED) == 5
    assert len(COMMANDS) >= 5


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.split()[0].rsplit("/", 1)[-1] + ":" + c[-30:])
def test_readme_command_runs_as_written(twice_built: Project, command: str) -> None:
    result = shell(twice_built, command)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "natural-language-processing" in result.stdout or "47" in result.stdout or "n_projects" in result.stdout


def python_rows(project: Project, sql: str) -> list[tuple]:
    old = os.getcwd()
    os.chdir(project.root)  # queries on exports/ use paths relative to the project folder
    try:
        with duckdb.connect("labeling.duckdb", read_only=True) as con:
            return con.sql(sql).fetchall()
    finally:
        os.chdir(old)


def test_worked_queries_give_the_expected_answers(twice_built: Project) -> None:
    balance, per_month, failed, left_out, changes = (python_rows(twice_built, q) for q in WORKED)
    assert balance[0][:2] == ("natural-language-processing", 10)
    assert sum(r[1] for r in balance) == 47
    assert sum(r[2] for r in per_month) == 47
    assert failed == []
    assert {r[4] for r in left_out} == {"no_tag_row", "empty_tag"}
    assert {r[1] for r in left_out} == {"initial"}  # the batch (data that arrives in batches)
    assert changes == [(9, "tag changed", "computer-vision", "mlops"), (1000, "added", None, "time-series")]


@pytest.mark.parametrize("index", range(5))
def test_worked_query_in_duckdb_cli(twice_built: Project, index: int) -> None:
    expected = python_rows(twice_built, WORKED[index])
    result = subprocess.run([str(BIN / "duckdb"), "-readonly", "-csv", "labeling.duckdb", "-c", WORKED[index]],
                            cwd=twice_built.root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(expected) + 1  # header + rows


def test_cli_is_the_pypi_1_5_6_build() -> None:
    version = subprocess.run([str(BIN / "duckdb"), "-version"], capture_output=True, text=True).stdout
    assert version.startswith("v1.5.6")


@pytest.mark.parametrize("index", range(5))
def test_worked_query_in_dbt_show(twice_built: Project, index: int) -> None:
    expected = python_rows(twice_built, WORKED[index])
    result = twice_built.dbt("show", "--inline", WORKED[index], "--limit", "100", "--output", "json",
                             "--log-format", "json")
    assert result.returncode == 0, result.stdout[-3000:]
    match = re.search(r'"preview": "(\[.*?\])"', result.stdout)
    shown = match.group(1).count("{") if match else len(re.findall(r'\\"', result.stdout))
    assert (shown == len(expected)) if match else (len(expected) == 0 or shown > 0)


def test_query_script_formats_and_analyses(twice_built: Project) -> None:
    table = run_script("query.py", "--db", str(twice_built.database),
                       "select tag, count(*) as n from labeled_projects group by tag order by n desc, tag")
    assert table.returncode == 0 and "(6 rows)" in table.stdout
    analysis = twice_built.root / "target" / "compiled" / "mwml_labeling" / "analyses" / "class_balance.sql"
    as_csv = run_script("query.py", "--db", str(twice_built.database), "--format", "csv", "--file", str(analysis))
    assert as_csv.returncode == 0
    assert as_csv.stdout.splitlines()[:2] == ["tag,n_projects,pct,parent_tag", "natural-language-processing,10,21.3,"]
    changes = twice_built.root / "target" / "compiled" / "mwml_labeling" / "analyses" / "changes_between_builds.sql"
    as_json = subprocess.run([str(BIN / "python"), str(REPO / "scripts" / "query.py"), "--db", "labeling.duckdb",
                              "--format", "json", "--file", str(changes)],
                             cwd=twice_built.root, capture_output=True, text=True)
    assert as_json.returncode == 0, as_json.stderr
    assert '"change_kind": "added"' in as_json.stdout and '"change_kind": "tag changed"' in as_json.stdout
    for name in ("failed_test_rows", "projects_per_month_and_tag", "label_review_queue", "noisy_labeling_functions"):
        path = twice_built.root / "target" / "compiled" / "mwml_labeling" / "analyses" / f"{name}.sql"
        assert run_script("query.py", "--db", str(twice_built.database), "--file", str(path)).returncode == 0


def test_query_script_says_when_the_file_is_held(twice_built: Project, tmp_path: Path) -> None:
    held = tmp_path / "held.duckdb"
    shutil.copyfile(twice_built.database, held)
    holder = subprocess.Popen([str(BIN / "python"), "-c",
                               f"import duckdb, time; c = duckdb.connect({str(held)!r}); print('ok', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = run_script("query.py", "--db", str(held), "select 1")
        assert result.returncode == 2
        assert f"is held for writing by process {holder.pid}" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()


def test_query_script_help() -> None:
    result = run_script("query.py", "--help")
    assert result.returncode == 0 and "read-only" in result.stdout


def harlequin_run(project: Project, sql: str) -> str:
    """Run ``sql`` in harlequin inside tmux and return the screen. Each run has its own tmux
    server, on a socket beside the project (``-S``): on a shared server, a session started just
    as the last one is killed can meet a server on its way out ("server exited unexpectedly")."""
    session = f"hq{os.getpid()}{abs(hash(sql)) % 10000}"
    tmux = ["tmux", "-S", str(project.root.parent / f"{session}.tmux")]
    subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", "200", "-y", "50", "-c", str(project.root),
                    f"{shlex.quote(str(HARLEQUIN))} --read-only labeling.duckdb"], check=True)
    try:
        screen = ""
        for _ in range(60):
            time.sleep(0.5)
            screen = subprocess.run([*tmux, "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout
            if "Run Query" in screen:
                break
        time.sleep(2.5)  # the editor takes keys a moment after the screen is drawn
        subprocess.run([*tmux, "send-keys", "-t", session, "-l", sql], check=True)
        time.sleep(1)
        subprocess.run([*tmux, "send-keys", "-t", session, "C-j"], check=True)
        for _ in range(60):
            time.sleep(0.5)
            screen = subprocess.run([*tmux, "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout
            if "executed successfully" in screen or "rror" in screen:
                break
        return screen
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


@pytest.mark.parametrize("index", range(5))
def test_worked_query_in_harlequin(twice_built: Project, index: int) -> None:
    if not HARLEQUIN.exists() or not shutil.which("tmux"):
        if os.environ.get("CI"):
            pytest.fail("harlequin and tmux are needed in CI (make test-deps installs them)")
        pytest.skip("harlequin or tmux not installed (make test-deps installs them)")
    expected = python_rows(twice_built, WORKED[index])
    screen = harlequin_run(twice_built, WORKED[index])
    assert "executed successfully" in screen, screen
    if expected:
        assert f"({len(expected)} Record" in screen, screen
    else:
        assert "Query Returned No Records" in screen, screen


WORKFLOW_QUERIES = re.findall(r"\| `(select [^`]*)` \|", WORKFLOW)


@pytest.mark.parametrize("index", range(len(WORKFLOW_QUERIES)))
def test_labeling_workflow_queries_of_the_readme_run(twice_built: Project, index: int) -> None:
    """Each query of the labeling-workflow table (docs/labeling_workflow.md) runs on the built database."""
    with duckdb.connect(str(twice_built.database), read_only=True) as con:
        con.sql(WORKFLOW_QUERIES[index]).fetchall()


def test_the_readme_lists_the_workflow_queries() -> None:
    assert len(WORKFLOW_QUERIES) == 9
