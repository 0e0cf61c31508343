"""Other people's sessions, settings and folders (issue 10): what the README promises about them.

* A session that writes to ``labeling.duckdb`` never loses its writes to a build, and never
  leaves readers broken; commands that only read never take a write lock.
* The export folder: the project touches only what it created.
* Paths with quotes and spaces; a raw folder that is missing or holds other files; a database
  file that is not a database; the older on-disk layout, adopted without a gap.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from conftest import BIN, PIPELINE_ONLY, Project, copy_project, run_script
from test_robustness import add_project, published_together

WRITER = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
con.execute("create or replace table main.my_notes as select 42 as answer")
print("written", flush=True)
if sys.argv[2] == "hold":
    sys.stdin.readline()  # until the test lets it go
elif sys.argv[2] == "crash":
    # committed, never checkpointed: the writes stay in the WAL
    import os
    os._exit(0)
con.close()
"""


def run_writer(database: Path, mode: str) -> subprocess.Popen[str]:
    """Another process writing to the database: ``hold`` keeps it open read-write, ``crash``
    exits without a checkpoint (a WAL is left), ``close`` closes it properly."""
    setup = "" if mode != "crash" else "con.execute('pragma disable_checkpoint_on_shutdown'); con.execute(\"set wal_autocheckpoint = '1TB'\")\n"
    code = WRITER.replace('con.execute("create or replace', setup + 'con.execute("create or replace')
    process = subprocess.Popen([sys.executable, "-c", code, str(database), mode],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "written"
    if mode != "hold":
        process.wait(timeout=60)
    return process


def digests(project: Project) -> tuple[str, dict[str, str]]:
    return hashlib.sha256(project.database.read_bytes()).hexdigest(), project.export_snapshot()


# --- A user's writes -----------------------------------------------------------------------------

def test_a_live_writer_stops_the_build_and_keeps_its_writes(clone_built: Project) -> None:
    add_project(clone_built)
    writer = run_writer(clone_built.database, "hold")
    try:
        result = clone_built.dbt("build", *PIPELINE_ONLY)
        assert result.returncode != 0
        assert "is open for writing in another process" in result.stdout
        assert "Nothing was changed" in result.stdout and "Traceback" not in result.stdout
    finally:
        writer.communicate("\n", timeout=60)  # the session closes properly
    # Once that session is gone, the build keeps the user's table (each build starts from a
    # copy of the published file).
    clone_built.build(*PIPELINE_ONLY)
    assert clone_built.query("select answer from main.my_notes") == [(42,)]
    assert published_together(clone_built) == 47


def test_a_pending_wal_stops_the_build_and_never_breaks_readers(clone_built: Project) -> None:
    add_project(clone_built)
    run_writer(clone_built.database, "crash")
    wal = clone_built.database.resolve().with_name("labeling.duckdb.wal")
    assert wal.exists() and wal.stat().st_size > 0
    before = digests(clone_built)
    result = clone_built.dbt("build", *PIPELINE_ONLY)
    assert result.returncode != 0
    assert "pending write-ahead log" in result.stdout and "Nothing was changed" in result.stdout
    assert digests(clone_built) == before
    # Readers still work and see the committed write (DuckDB replays the WAL beside its file).
    assert clone_built.query("select answer from main.my_notes") == [(42,)]
    assert clone_built.query("select count(*) from labeled_projects") == [(46,)]
    # The fix the message gives folds the WAL in; then the build keeps the user's table.
    duckdb.connect(str(clone_built.database)).close()
    clone_built.build(*PIPELINE_ONLY)
    assert clone_built.query("select answer from main.my_notes") == [(42,)]
    assert published_together(clone_built) == 47


def test_a_write_during_the_build_is_never_lost(clone_built: Project, tmp_path: Path) -> None:
    add_project(clone_built)
    log = (tmp_path / "build.log").open("w+")
    resume = tmp_path / "resume"
    build = subprocess.Popen(
        [str(BIN / "dbt"), "build", *PIPELINE_ONLY, "--project-dir", str(clone_built.root)],
        cwd=clone_built.root, env=clone_built.env(LABELING_PAUSE="publish:start:20", LABELING_RESUME=str(resume)),
        stdout=log, stderr=subprocess.PIPE, text=True,
    )
    assert build.stderr is not None
    for line in build.stderr:  # the build has copied the database and is about to publish
        if line.startswith("labeling: paused at publish:start"):
            break
    else:
        build.wait()
        pytest.fail("the build never reached publish:start: " + (tmp_path / "build.log").read_text()[-3000:])
    run_writer(clone_built.database, "close")
    resume.touch()  # the paused build goes on now
    build.communicate(timeout=300)
    log.close()
    output = (tmp_path / "build.log").read_text()
    assert build.returncode != 0
    assert "changed while this build ran" in output and "NOT published" in output
    assert clone_built.query("select answer from main.my_notes") == [(42,)]
    assert published_together(clone_built) == 46


def test_commands_that_only_read_never_lock_readers_out(clone_built: Project) -> None:
    """A reader held open through dbt show, compile, docs generate, SQLFluff's dbt templater
    (make lint) and a build: no command fails, and a reader opening the file over and over
    meanwhile never fails either."""
    held = duckdb.connect(str(clone_built.database), read_only=True)
    failures: list[str] = []
    opens = 0
    stop = threading.Event()

    def keep_opening() -> None:
        nonlocal opens
        while not stop.is_set():
            try:
                with duckdb.connect(str(clone_built.database), read_only=True) as con:
                    con.sql("select count(*) from labeled_projects").fetchall()
                opens += 1
            except duckdb.Error as exc:
                failures.append(str(exc).splitlines()[0])
            time.sleep(0.05)

    thread = threading.Thread(target=keep_opening)
    thread.start()
    try:
        for args in (["show", "--inline", "select count(*) as n from {{ ref('labeled_projects') }}"],
                     ["compile", "--select", "labeled_projects"],
                     ["docs", "generate"]):
            result = clone_built.dbt(*args)
            assert result.returncode == 0, (args, result.stdout[-3000:])
        # make lint's SQLFluff hook (its dbt templater opens the profile's database), in a git
        # copy, on a model of each layer (make lint in CI lints every file; the templater opens
        # the database the same way for one file as for all).
        (clone_built.root / ".venv").symlink_to(BIN.parent)
        subprocess.run(["git", "init", "-q"], cwd=clone_built.root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=clone_built.root, check=True)
        lint = subprocess.run([str(BIN / "pre-commit"), "run", "sqlfluff-lint", "--files",
                               "models/staging/madewithml/stg_madewithml__projects.sql",
                               "models/intermediate/int_label_decisions.sql", "models/marts/labeled_projects.sql"],
                              cwd=clone_built.root, env=clone_built.env(), capture_output=True, text=True,
                              timeout=900)
        assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-3000:]
        assert re.search(r"sqlfluff lint.*Passed", lint.stdout), lint.stdout[-3000:]
        add_project(clone_built)
        clone_built.build(*PIPELINE_ONLY)
    finally:
        stop.set()
        thread.join()
    assert held.sql("select count(*) from labeled_projects").fetchall() == [(46,)]
    held.close()
    assert failures == [] and opens > 20, (failures[:5], opens)
    assert published_together(clone_built) == 47


def test_commands_that_only_read_work_before_the_first_build(project: Project) -> None:
    result = project.dbt("compile", "--select", "labeled_projects")
    assert result.returncode == 0, result.stdout[-3000:]
    assert not project.database.exists() and not (project.root / ".build").exists()


# --- The export folder ---------------------------------------------------------------------------

def test_an_export_folder_with_other_files_is_refused_and_left_alone(clone_built: Project, tmp_path: Path) -> None:
    theirs = tmp_path / "their exports"
    for name, text in {"versions/v1/data.csv": "a\n", "versions/v2/data.csv": "b\n",
                       ".staging/notes.txt": "keep me\n", "labeled_projects.csv": "mine\n"}.items():
        (theirs / name).parent.mkdir(parents=True, exist_ok=True)
        (theirs / name).write_text(text)
    before = {p: p.read_bytes() for p in theirs.rglob("*") if p.is_file()}
    result = clone_built.dbt("build", *PIPELINE_ONLY, LABELING_EXPORT_DIR=str(theirs))
    assert result.returncode != 0
    assert "holds files this project did not create" in result.stdout
    assert "labeled_projects.csv" in result.stdout and "versions/v1" in result.stdout
    assert {p: p.read_bytes() for p in theirs.rglob("*") if p.is_file()} == before
    assert not (theirs / ".labeling-exports").exists()
    # An empty folder is taken and marked; the project's own files land there.
    empty = tmp_path / "empty"
    empty.mkdir()
    clone_built.build(*PIPELINE_ONLY, LABELING_EXPORT_DIR=str(empty))
    assert (empty / ".labeling-exports").is_file() and (empty / "labeled_projects.csv").exists()


# --- Paths, folders, files -----------------------------------------------------------------------

def test_a_project_path_with_a_quote_and_a_space_builds(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "o'brien's work" / "label it")
    raw = project.root / "data" / "it's raw"
    shutil.copytree(project.root / "data" / "sample", raw)
    project.build(*PIPELINE_ONLY, LABELING_RAW_DIR="data/it's raw", LABELING_EXPORT_DIR="exports 'x'")
    assert (project.root / "exports 'x'" / "labeled_projects.csv").exists()
    outside = tmp_path / "raw files, 'quoted'"
    shutil.copytree(project.root / "data" / "sample", outside)
    add_project(project)  # data/sample changes; the read_csv build reads the outside folder
    project.build(*PIPELINE_ONLY, LABELING_LOAD="read_csv", LABELING_RAW_DIR=str(outside),
                  LABELING_EXPORT_DIR="exports 'x'")
    assert project.query("select count(*) from labeled_projects") == [(46,)]


def test_a_missing_raw_folder_is_named_with_the_fix(project: Project) -> None:
    result = project.dbt("build", LABELING_RAW_DIR="data/madewithml")
    assert result.returncode != 0
    assert "the raw folder does not exist" in result.stdout and "make real" in result.stdout
    assert "not found" not in result.stdout.replace("does not exist", "")  # not dbt's node error


def test_a_stray_csv_in_the_raw_folder_is_named(project: Project) -> None:
    (project.root / "data" / "sample" / "notes.csv").write_bytes(b"\xff\xfebinary")
    result = project.dbt("build")
    assert result.returncode != 0
    assert "notes.csv is not raw file(s) of this project" in result.stdout
    assert "UnicodeDecodeError" not in result.stdout and not project.database.exists()


def test_a_database_file_that_is_not_a_database_is_named(clone_built: Project) -> None:
    target = clone_built.database.resolve()
    target.write_bytes(b"this is not a database" * 100)
    before = digests(clone_built)
    result = clone_built.dbt("build", *PIPELINE_ONLY)
    assert result.returncode != 0
    assert "is not a DuckDB database file" in result.stdout and "Nothing was changed" in result.stdout
    assert "another dbt build is running" not in result.stdout
    assert digests(clone_built) == before
    assert not (clone_built.root / ".build" / ".build").exists()
    # make clean removes the build folders too, and the next build starts afresh.
    subprocess.run(["make", "clean"], cwd=clone_built.root, check=True, capture_output=True)
    assert not (clone_built.root / ".build").exists() and not clone_built.database.exists()
    clone_built.build(*PIPELINE_ONLY)
    assert published_together(clone_built) == 46


def test_the_older_layout_is_adopted_without_a_gap(clone_built: Project) -> None:
    """A project published before generations (a plain database file, exports/current pointing
    at a version) builds on, keeping the user's data and the export history."""
    database = clone_built.database
    plain = database.read_bytes()
    version = (clone_built.exports / "current").resolve()
    shutil.rmtree(clone_built.root / ".build")
    database.unlink()
    database.write_bytes(plain)
    (clone_built.exports / "current").unlink()
    os.symlink(f"versions/{version.name}", clone_built.exports / "current")
    (clone_built.exports / ".labeling-exports").unlink()
    assert published_together(clone_built) == 46

    add_project(clone_built)
    clone_built.build(*PIPELINE_ONLY)
    assert database.is_symlink()
    assert published_together(clone_built) == 47
    assert version in [v.resolve() for v in (clone_built.exports / "versions").iterdir()]


def test_a_stale_wal_is_named_by_query_py_and_the_build(clone_built: Project) -> None:
    """A WAL written for an older version of the file (what copying a database without its WAL
    used to leave) makes DuckDB refuse the file: both say so, and how to fix it."""
    run_writer(clone_built.database, "crash")
    # A pending WAL of committed writes is fine for readers: DuckDB replays it in memory.
    ok = run_script("query.py", "--db", str(clone_built.database), "select answer from main.my_notes",
                    cwd=clone_built.root)
    assert ok.returncode == 0 and "42" in ok.stdout
    wal = clone_built.database.resolve().with_name("labeling.duckdb.wal")
    shutil.copyfile(wal, kept := wal.with_name("kept.wal"))
    duckdb.connect(str(clone_built.database)).close()  # checkpoint: the WAL is folded in
    shutil.copyfile(kept, wal)
    broken = run_script("query.py", "--db", str(clone_built.database), "select 1", cwd=clone_built.root)
    assert broken.returncode == 2
    assert "write-ahead log" in broken.stderr and "is stale" in broken.stderr
    assert "another process" not in broken.stderr
    result = clone_built.dbt("build", *PIPELINE_ONLY)
    assert result.returncode != 0 and "stale write-ahead log" in result.stdout
    wal.rename(wal.with_name("labeling.duckdb.wal.stale"))  # the fix both give
    clone_built.build(*PIPELINE_ONLY)
    assert clone_built.query("select answer from main.my_notes") == [(42,)]
