"""make build skips a build whose inputs did not change since the published build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import Project

BIN = Path(sys.executable).parent


def make_build(project: Project, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["make", "build", *args], cwd=project.root, env=project.env(**env),
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def published(project: Project) -> str:
    return json.loads((project.exports / "current" / "manifest.json").read_text())["invocation_id"]


def test_make_build_skips_only_when_nothing_changed(project: Project) -> None:
    (project.root / ".venv").symlink_to(BIN.parent)
    first = make_build(project)
    assert "up_to_date: building (no published build)" in first.stdout
    build = published(project)
    assert f"up_to_date: recorded the inputs of build {build}" in first.stdout

    # Nothing changed: no dbt run, the same build stays published.
    same = make_build(project)
    assert "up_to_date: nothing to build: build " + build in same.stdout
    assert "Running with dbt" not in same.stdout and published(project) == build

    # A reviewer's correction (a seed) changed: it builds.
    with (project.root / "seeds" / "label_corrections.csv").open("a", encoding="utf-8") as f:
        f.write("6,mlops,reviewer@example.com,up-to-date test,2026-01-01 00:00:00\n")
    changed = make_build(project)
    assert "up_to_date: building (inputs changed since the published build)" in changed.stdout
    assert "Running with dbt" in changed.stdout and published(project) != build
    assert project.query("select tag from labeled_projects where id = 6") == [("mlops",)]
    build = published(project)

    # A setting changed (an environment variable the build reads): it builds.
    setting = make_build(project, LABELING_MEMORY_LIMIT="2GB")
    assert "up_to_date: building (inputs changed since the published build)" in setting.stdout
    build = published(project)

    # FORCE=1 builds anyway; a build made by dbt itself is not trusted as up to date.
    forced = make_build(project, "FORCE=1", LABELING_MEMORY_LIMIT="2GB")
    assert "Running with dbt" in forced.stdout and published(project) != build
    direct = project.dbt("build", "--exclude", "tag:labeling_workflow", LABELING_MEMORY_LIMIT="2GB")
    assert direct.returncode == 0, direct.stdout[-3000:]
    after_direct = make_build(project, LABELING_MEMORY_LIMIT="2GB")
    assert "up_to_date: building (the published build was not made by make build)" in after_direct.stdout


def test_fingerprint_covers_files_raw_data_outside_and_settings(project: Project, tmp_path: Path) -> None:
    sys.path.insert(0, str(project.root / "scripts"))
    try:
        import up_to_date
    finally:
        sys.path.pop(0)
    root = project.root
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABELING_", "DBT_"))}
    base = up_to_date.fingerprint(root, env)
    assert up_to_date.fingerprint(root, env) == base
    # Files a build never reads do not count: the tests, target/, builds, compiled Python.
    (root / "target").mkdir(exist_ok=True)
    (root / "target" / "x.json").write_text("{}")
    (root / "pytests").mkdir(exist_ok=True)
    (root / "pytests" / "extra.py").write_text("")
    assert up_to_date.fingerprint(root, env) == base
    # A model, a raw file outside the project, an environment setting do.
    model = root / "models" / "marts" / "labeled_projects.sql"
    model.write_text(model.read_text() + "\n")
    edited = up_to_date.fingerprint(root, env)
    assert edited != base
    outside = tmp_path / "raw"
    outside.mkdir()
    for name in ("projects.csv", "tags.csv"):
        (outside / name).write_bytes((root / "data" / "sample" / name).read_bytes())
    with_outside = up_to_date.fingerprint(root, {**env, "LABELING_RAW_DIR": str(outside)})
    assert with_outside != edited
    with (outside / "tags.csv").open("a") as f:
        f.write("999,mlops\n")
    assert up_to_date.fingerprint(root, {**env, "LABELING_RAW_DIR": str(outside)}) != with_outside
    assert up_to_date.fingerprint(root, {**env, "LABELING_LOAD": "read_csv"}) != edited
