"""Locks, concurrency and crashes: a build never damages the last good database or export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import BIN, PIPELINE_ONLY, Project

NEW_PROJECT = "1000,2021-06-01 12:00:00,Brand new project,Added after the first build.\n"


def add_project(project: Project) -> None:
    sample = project.root / "data" / "sample"
    with (sample / "projects.csv").open("ab") as handle:
        handle.write(NEW_PROJECT.encode())
    with (sample / "tags.csv").open("ab") as handle:
        handle.write(b"1000,mlops\n")


def export_is_intact(project: Project) -> int:
    """Check the current export is complete and self-consistent; return its row count."""
    manifest = json.loads((project.exports / "manifest.json").read_text())
    for name, info in manifest["files"].items():
        data = (project.exports / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["sha256"], name
    rows = list(csv.DictReader(io.StringIO((project.exports / "labeled_projects.csv").read_text(), newline="")))
    assert len(rows) == manifest["row_count"]
    return manifest["row_count"]


def db_digest(project: Project) -> str:
    return hashlib.sha256(project.database.read_bytes()).hexdigest()


def test_reader_during_a_build_neither_blocks_nor_breaks_it(clone_built: Project) -> None:
    add_project(clone_built)
    with duckdb.connect(str(clone_built.database), read_only=True) as reader:
        assert reader.sql("select count(*) from labeled_projects").fetchall()[0][0] == 46
        result = clone_built.dbt("build", *PIPELINE_ONLY)
        assert result.returncode == 0, result.stdout[-3000:]
        # The open reader keeps the consistent snapshot it opened: the last good data.
        assert reader.sql("select count(*) from labeled_projects").fetchall()[0][0] == 46
    assert clone_built.query("select count(*) from labeled_projects")[0][0] == 47
    assert export_is_intact(clone_built) == 47


def test_second_build_at_once_stops_with_a_clear_message(clone_built: Project) -> None:
    add_project(clone_built)
    before = db_digest(clone_built)
    lock = clone_built.root / ".build" / "build.lock"
    first = subprocess.Popen(
        [str(BIN / "dbt"), "build", *PIPELINE_ONLY, "--project-dir", str(clone_built.root)],
        cwd=clone_built.root, env=clone_built.env(LABELING_PAUSE="db:before_publish:20"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while f"pid {first.pid}," not in (lock.read_text() if lock.exists() else ""):
            assert first.poll() is None, first.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "first build never took the lock"
            time.sleep(0.2)
        second = clone_built.dbt("build", *PIPELINE_ONLY)
        assert second.returncode != 0
        assert "another dbt build is running on this project" in second.stdout
        assert f"pid {first.pid}" in second.stdout
        assert "Traceback" not in second.stdout
        assert db_digest(clone_built) == before
    finally:
        output = first.communicate(timeout=300)[0]
    assert first.returncode == 0, output[-3000:]
    assert clone_built.query("select count(*) from labeled_projects")[0][0] == 47


@pytest.mark.parametrize("point", ["export:copying", "export:staged", "export:moved",
                                   "export:switched", "db:before_publish"])
def test_kill_at_each_step_loses_nothing(clone_built: Project, point: str) -> None:
    add_project(clone_built)
    exports_before = clone_built.export_snapshot()
    database_before = db_digest(clone_built)

    killed = clone_built.dbt("build", *PIPELINE_ONLY, LABELING_FAULT=point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-3000:]

    assert db_digest(clone_built) == database_before
    rows = export_is_intact(clone_built)
    if point in ("export:switched", "db:before_publish"):
        assert rows == 47  # the new export was complete and switched in before the kill
    else:
        assert rows == 46 and clone_built.export_snapshot() == exports_before
    assert clone_built.query("select count(*) from labeled_projects")[0][0] == 46

    again = clone_built.dbt("build", *PIPELINE_ONLY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert export_is_intact(clone_built) == 47
    assert clone_built.query("select count(*) from labeled_projects")[0][0] == 47


@pytest.mark.parametrize("after_seconds", [2.0, 3.5, 5.0])
def test_kill_at_random_moments_loses_nothing(clone_built: Project, after_seconds: float) -> None:
    add_project(clone_built)
    database_before = db_digest(clone_built)
    build = subprocess.Popen(
        [str(BIN / "dbt"), "build", *PIPELINE_ONLY, "--project-dir", str(clone_built.root)],
        cwd=clone_built.root, env=clone_built.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(after_seconds)
    if build.poll() is None:
        os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=120)
    assert export_is_intact(clone_built) in (46, 47)
    if build.returncode == -signal.SIGKILL:
        # Killed before it could publish, or after: either the old or the new database, whole.
        assert db_digest(clone_built) == database_before or clone_built.query(
            "select count(*) from labeled_projects")[0][0] == 47
    again = clone_built.dbt("build", *PIPELINE_ONLY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert export_is_intact(clone_built) == 47


def test_profile_holds_no_secrets() -> None:
    profile = (Path(__file__).resolve().parent.parent / "profiles" / "profiles.yml").read_text()
    parsed = yaml.safe_load(profile)
    flat = json.dumps(parsed).lower()
    for word in ("password", "token", "secret", "api_key", "motherduck_token"):
        assert word not in flat
