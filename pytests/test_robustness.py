"""Locks, concurrency, crashes and full disks: readers always see a database and an export from
the same build, and a build never damages the last good one.

Every crash test checks ``published_together``: the export manifest's ``invocation_id`` is the
build the database's ``audit.labeling_builds`` recorded last, and both hold the same rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import BIN, EXPORT_ONLY, PIPELINE_ONLY, Project
from labeling.faults import POINTS

NEW_PROJECT = "1000,2021-06-01 12:00:00,Brand new project,Added after the first build.\n"
# Where a build can be stopped, in order (plugins/labeling/faults.py). The switch of
# .build/published/current is the commit point: before it readers keep the old build, after it
# they see the new one, database and export together.
BEFORE_SWITCH = ["copy:database", "export:copying", "publish:version", "publish:checkpoint",
                 "publish:start", "publish:checkpointed", "publish:generation"]
AFTER_SWITCH = ["publish:switched", "publish:linked"]


def test_every_fault_point_is_tested() -> None:
    assert sorted(BEFORE_SWITCH + AFTER_SWITCH) == sorted(POINTS)


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


def published_together(project: Project) -> int:
    """The database and the export files readers see come from one build; return its rows."""
    rows = export_is_intact(project)
    manifest = json.loads((project.exports / "manifest.json").read_text())
    build, = project.query("select invocation_id from audit.labeling_builds order by recorded_at desc limit 1")[0]
    assert build == manifest["invocation_id"], "database and export come from different builds"
    assert project.query("select count(*) from labeled_projects")[0][0] == rows
    return rows


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
    assert published_together(clone_built) == 47


def test_second_build_at_once_stops_with_a_clear_message(clone_built: Project) -> None:
    add_project(clone_built)
    before = db_digest(clone_built)
    lock = clone_built.root / ".build" / "build.lock"
    resume = clone_built.root.parent / "resume"
    first = subprocess.Popen(
        [str(BIN / "dbt"), "build", *PIPELINE_ONLY, "--project-dir", str(clone_built.root)],
        cwd=clone_built.root, env=clone_built.env(LABELING_PAUSE="publish:start:20", LABELING_RESUME=str(resume)),
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
        resume.touch()  # the paused build goes on now
        output = first.communicate(timeout=300)[0]
    assert first.returncode == 0, output[-3000:]
    assert published_together(clone_built) == 47


@pytest.mark.parametrize("point", BEFORE_SWITCH + AFTER_SWITCH)
def test_kill_at_each_step_publishes_both_or_neither(clone_built: Project, point: str) -> None:
    add_project(clone_built)
    exports_before = clone_built.export_snapshot()
    database_before = db_digest(clone_built)

    killed = clone_built.dbt("build", *EXPORT_ONLY, LABELING_FAULT=point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-3000:]

    if point in BEFORE_SWITCH:
        assert published_together(clone_built) == 46
        assert db_digest(clone_built) == database_before
        assert clone_built.export_snapshot() == exports_before
    else:
        assert published_together(clone_built) == 47

    again = clone_built.dbt("build", *EXPORT_ONLY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert published_together(clone_built) == 47


@pytest.mark.parametrize("point", ["copy:database", "publish:checkpoint", "publish:start",
                                   "publish:checkpointed", "publish:version", "publish:generation"])
def test_a_full_disk_at_each_step_publishes_nothing_and_says_so(clone_built: Project, point: str) -> None:
    add_project(clone_built)
    exports_before = clone_built.export_snapshot()
    database_before = db_digest(clone_built)

    failed = clone_built.dbt("build", *EXPORT_ONLY, LABELING_FAULT=f"{point}:enospc")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output[-3000:]
    assert "No space left on device" in output
    assert "keyboard interrupt" not in output and "ERROR=0 " not in output
    if point == "copy:database":
        assert "could not copy" in output and "Nothing was changed" in output
        assert "another dbt build is running" not in output  # the retried setup reuses its lock
    else:
        assert "NOT published" in output
        assert "labeling: build succeeded" not in output
    assert db_digest(clone_built) == database_before
    assert clone_built.export_snapshot() == exports_before
    assert published_together(clone_built) == 46
    assert not (clone_built.root / ".build" / ".build").exists()
    # A failed build leaves nothing staged in the export folder, and its last line says so.
    assert not (clone_built.exports / ".staging").exists()
    assert failed.stderr.strip().splitlines()[-1].startswith("labeling: build NOT published: ")

    again = clone_built.dbt("build", *EXPORT_ONLY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert published_together(clone_built) == 47


@pytest.mark.parametrize("after_seconds", [2.0, 3.5, 5.0])
def test_kill_at_random_moments_loses_nothing(clone_built: Project, after_seconds: float) -> None:
    add_project(clone_built)
    build = subprocess.Popen(
        [str(BIN / "dbt"), "build", *PIPELINE_ONLY, "--project-dir", str(clone_built.root)],
        cwd=clone_built.root, env=clone_built.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(after_seconds)
    if build.poll() is None:
        os.kill(build.pid, signal.SIGKILL)
    build.wait(timeout=120)
    assert published_together(clone_built) in (46, 47)
    again = clone_built.dbt("build", *PIPELINE_ONLY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert published_together(clone_built) == 47


def test_older_builds_are_pruned_and_versions_kept(clone_built: Project) -> None:
    for _ in range(3):  # with the clone's own build, four generations: one more than are kept
        clone_built.build(*EXPORT_ONLY)
    published = clone_built.root / ".build" / "published"
    builds = sorted(p for p in published.iterdir() if p.name != "current")
    assert len(builds) == 3  # keep_versions
    assert sum((b / "labeling.duckdb").exists() for b in builds) == 1  # only the current database
    versions = sorted((clone_built.exports / "versions").iterdir())
    assert len(versions) == 3
    assert {(b / "exports").resolve() for b in builds} == {v.resolve() for v in versions}
    assert published_together(clone_built) == 46


def test_profile_holds_no_secrets() -> None:
    """No secret is written in the profile: a credential (the Databricks target's token) is read
    from an environment variable with an empty default, and no other value names one."""
    profile = (Path(__file__).resolve().parent.parent / "profiles" / "profiles.yml").read_text()
    parsed = yaml.safe_load(profile)

    def leaves(node: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
        if isinstance(node, dict):
            return [leaf for key, value in node.items() for leaf in leaves(value, (*path, str(key)))]
        return [(path, str(node))]

    secret_words = ("password", "token", "secret", "api_key")
    credentials = 0
    for path, value in leaves(parsed):
        if any(word in path[-1].lower() for word in secret_words):
            credentials += 1
            assert re.fullmatch(r"\{\{ env_var\('[A-Z_]+', ''\) \}\}", value), (path, value)
        else:
            assert not any(word in value.lower() for word in secret_words), (path, value)
    assert credentials == 1  # databricks.token


def test_a_full_disk_after_the_commit_point_says_it_was_published(clone_built: Project) -> None:
    """After the switch the new build is what readers see: the build says it was published and
    what failed after (the clean-up), never "NOT published ... unchanged"."""
    add_project(clone_built)
    result = clone_built.dbt("build", *EXPORT_ONLY, LABELING_FAULT="publish:switched:enospc")
    output = result.stdout + result.stderr
    assert "NOT published" not in output, output[-3000:]
    assert "after publishing, the clean-up of older builds failed: [Errno 28] No space left on device" in output
    assert published_together(clone_built) == 47
    again = clone_built.dbt("build", *EXPORT_ONLY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert published_together(clone_built) == 47


def test_a_real_full_disk_says_not_published_in_one_line(built_sample: Project, tmp_path: Path) -> None:
    """A build on a disk that fills up (a small tmpfs): no page of logging tracebacks, one
    closing line that says the build was not published, and the last good build intact."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20M", "tmpfs", str(mount)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs for the full-disk test: {mounted.stderr}")
        pytest.skip(f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}")
    try:
        import shutil
        shutil.copytree(built_sample.root, mount / "project", symlinks=True,
                        ignore=shutil.ignore_patterns("target", "logs"))
        project = Project(mount / "project")
        add_project(project)
        exports_before = project.export_snapshot()
        database_before = db_digest(project)
        failed = project.dbt("build")
        output = failed.stdout + failed.stderr
        assert failed.returncode != 0, output[-3000:]
        assert "--- Logging error ---" not in output
        assert len(output.splitlines()) < 600, f"{len(output.splitlines())} lines"
        last = failed.stderr.strip().splitlines()[-1]
        assert last.startswith("labeling: build NOT published: ") and "unchanged" in last, last
        assert "disk is full" in last or "No space left on device" in last, last
        assert project.export_snapshot() == exports_before and db_digest(project) == database_before
        assert not (project.exports / ".staging").exists()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
