"""Shared fixtures: run dbt for real in temporary copies of this project.

Each test works on its own copy (the tracked project files, without databases, exports or
downloads), so tests never touch the developer's checkout and can run in any order.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MIRROR = Path(os.environ.get("LABELING_MIRROR", REPO.parent / "shared" / "data" / "madewithml"))
# Builds in tests of loading, auditing and publishing leave the labeling workflow out (it adds
# about 6 s per build on the sample: the classifier and its tests); test_labeling_workflow.py,
# test_gate.py and the real-data builds of test_pipeline.py run it whole.
PIPELINE_ONLY = ("--exclude", "tag:labeling_workflow")
# The crash and full-disk tests of the publish protocol build the dataset's export and what it
# reads, with their tests (94 nodes, about 5 s on the sample against 6.8 s): what they test is
# the publish, whatever the selection. (Tests that also read tables outside it are left out.)
EXPORT_ONLY = ("--select", "+labeled_projects_export", "--indirect-selection", "buildable")
_IGNORED_ANYWHERE = shutil.ignore_patterns(
    ".venv", ".git", "*.duckdb", "*.duckdb.wal", "__pycache__", ".pytest_cache", "*.egg-info",
)
_IGNORED_AT_TOP = {"target", "logs", "exports", "ci-artifacts", "docs-site", ".venv-harlequin", ".build",
                   ".venv-labelstudio", ".labelstudio", ".venv-spark", "spark", "derby.log"}


def IGNORED(directory: str, names: list[str]) -> set[str]:
    """Leave out venvs, builds, exports, caches, downloaded raw data (data/madewithml) and the
    benchmark's generated data (benchmarks/data, up to gigabytes)."""
    ignored = set(_IGNORED_ANYWHERE(directory, names))
    here = Path(directory).resolve()
    if here == REPO:
        ignored |= _IGNORED_AT_TOP & set(names)
    if here == REPO / "data":
        ignored |= {"madewithml"} & set(names)
    if here == REPO / "benchmarks":
        ignored |= {"data"} & set(names)
    return ignored


@dataclass
class Project:
    """A temporary copy of the dbt project, with helpers to run dbt and read its outputs."""

    root: Path

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def database(self) -> Path:
        return self.root / "labeling.duckdb"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "LABELING_"))}
        env["DBT_PROFILES_DIR"] = str(self.root / "profiles")
        env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env.update(extra)
        return env

    def dbt(self, *args: str, cwd: Path | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run ``dbt ARGS`` on this copy and return the finished process (never raises)."""
        return subprocess.run(
            [str(BIN / "dbt"), *args, "--project-dir", str(self.root)],
            cwd=cwd or self.root, env=self.env(**extra), capture_output=True, text=True, timeout=600,
        )

    def build(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """``dbt build``; fails the test with dbt's output unless it succeeds."""
        result = self.dbt("build", *args, **extra)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
        return result

    def export_snapshot(self) -> dict[str, str]:
        """What readers of exports/ see: sha256 of each published file and where `current` points.

        Leftovers of an interrupted build (``.staging/``, unpublished ``versions/``) are not part
        of it: nothing reads them.
        """
        if not self.exports.exists():
            return {}
        snapshot = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.exports.iterdir())
            if p.is_file()
        }
        current = self.exports / "current"
        if current.is_symlink():
            snapshot["current ->"] = os.readlink(current)
        return snapshot

    def query(self, sql: str, failed_build: bool = False) -> list[tuple]:
        """Run ``sql`` read-only on the project's database, or on the copy a failed build left
        in ``.build/`` (``failed_build=True``), which holds that build's audit.* failure rows."""
        import duckdb

        path = self.root / ".build" / "labeling.duckdb" if failed_build else self.database
        with duckdb.connect(str(path), read_only=True) as con:
            return con.sql(sql).fetchall()


def copy_project(dest: Path, source: Path = REPO) -> Project:
    """Copy the project files (no builds, exports or downloads) into ``dest``."""
    shutil.copytree(source, dest, ignore=IGNORED, symlinks=True)
    return Project(dest)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh, unbuilt copy of the project."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A copy built once on the bundled sample; treat as read-only (use ``clone_built``)."""
    proj = copy_project(tmp_path_factory.mktemp("built") / "project")
    proj.build()
    return proj


def clone_project(built: Project, dest: Path) -> Project:
    """A copy of a built project in ``dest``: database and exports included, and dbt's
    partial-parse state (``target/partial_parse.msgpack``), as a built checkout has it: dbt
    re-parses only what a test changes (all of it when an env var the project reads differs),
    about 2.5 s less per dbt command. dbt's other artifacts are left behind."""
    shutil.copytree(built.root, dest, symlinks=True, ignore=shutil.ignore_patterns("target", "logs"))
    parsed = built.root / "target" / "partial_parse.msgpack"
    if parsed.is_file():
        (dest / "target").mkdir()
        shutil.copy2(parsed, dest / "target" / parsed.name)
    return Project(dest)


@pytest.fixture
def clone_built(built_sample: Project, tmp_path: Path) -> Project:
    """A private copy of the built sample project (``clone_project``)."""
    return clone_project(built_sample, tmp_path / "project")


@pytest.fixture(scope="session")
def read_csv_parse_state(built_sample: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dbt's partial-parse state of the built sample parsed with ``LABELING_LOAD=read_csv``: dbt
    re-parses the whole project when an env var the project reads differs from the state's, so
    a clone that builds on the read_csv path starts from this one (``use_parse_state``)."""
    parsed = clone_project(built_sample, tmp_path_factory.mktemp("parsed") / "project")
    result = parsed.dbt("parse", LABELING_LOAD="read_csv")
    assert result.returncode == 0, result.stdout[-3000:]
    return parsed.root / "target" / "partial_parse.msgpack"


def use_parse_state(project: Project, state: Path) -> None:
    """Give ``project`` the partial-parse state ``state`` (see ``read_csv_parse_state``)."""
    (project.root / "target").mkdir(exist_ok=True)
    shutil.copy2(state, project.root / "target" / state.name)


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The local mirror of the real raw files; required in CI, skipped elsewhere if absent."""
    if not (MIRROR / "projects.csv").exists():
        if os.environ.get("CI"):
            pytest.fail(f"mirror of the real data not found at {MIRROR} (set LABELING_MIRROR)")
        pytest.skip(f"mirror of the real data not found at {MIRROR} (set LABELING_MIRROR)")
    return MIRROR


def run_script(name: str, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/NAME ARGS`` with this interpreter."""
    return subprocess.run([sys.executable, str(cwd / "scripts" / name), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


#: Test files that take minutes each (two engines, full builds): started first, so that the
#: workers of ``pytest -n 2`` do not end with one of them running alone.
SLOW_FIRST = ("test_spark.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the slowest test files first (a stable sort: the rest keep their order)."""
    items.sort(key=lambda item: item.path.name not in SLOW_FIRST)
