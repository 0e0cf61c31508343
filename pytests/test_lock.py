"""The locks of the project's venvs (``locks/``, ``scripts/lock.py``): complete, exact, and
what ``make`` installs from.

``make`` runs ``lock.py check`` after every install (CI's included); these tests check that the
check can fail, and that the venv running the suite is its lock, nothing more or less.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_script

sys.path.insert(0, str(REPO / "scripts"))
import lock  # noqa: E402

LOCKS = sorted((REPO / "locks").glob("*.txt"))


def test_every_venv_of_the_makefile_has_a_lock_and_installs_from_it() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    venvs = re.findall(r"(\.venv[a-z-]*):requirements[a-z-]*\.txt", makefile)
    assert sorted(venvs) == [".venv", ".venv-harlequin", ".venv-labelstudio", ".venv-spark"]
    assert sorted(path.stem for path in LOCKS) == sorted(venv.lstrip(".") for venv in venvs)
    for venv in venvs:
        lock_file = f"locks/{venv.lstrip('.')}.txt"
        # the venv's rule installs with the lock as constraints, then checks it
        assert re.search(rf"\$\(call locked_venv,[^,]*,[^,]*,{re.escape(lock_file)}\)", makefile), venv


@pytest.mark.parametrize("path", LOCKS, ids=lambda p: p.name)
def test_a_lock_pins_every_package_once_with_pip_and_setuptools(path: Path) -> None:
    pins = lock.read_lock(path)
    assert {"pip", "setuptools", "wheel"} <= pins.keys()
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert len(lines) == len(pins), "a package is pinned twice"
    names = [line.split("==")[0] for line in lines]
    assert names == sorted(names)
    # the direct requirements are in it, at the version their requirements file pins
    requirements = REPO / re.search(r"installed from\n# (\S+),", path.read_text(encoding="utf-8"))[1]
    for line in requirements.read_text(encoding="utf-8").splitlines():
        pinned = re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[^]]*\])?==(\S+)", line.strip())
        if pinned:
            assert pins[lock.canonical(pinned[1])] == pinned[2], line


def test_the_venv_running_the_suite_is_its_lock() -> None:
    """This interpreter is .venv's (make test runs it): exactly locks/venv.txt."""
    assert lock.differences(lock.read_lock(REPO / "locks" / "venv.txt"), lock.installed()) == []


def test_check_names_what_the_lock_misses_and_what_it_has_too_much(tmp_path: Path) -> None:
    installed = lock.installed()
    pins = dict(installed)
    missing = sorted(pins)[0]
    del pins[missing]
    pins["no-such-package"] = "1.0"
    other = sorted(pins)[-1]
    pins[other] = "0.0.0"
    stale = tmp_path / "venv.txt"
    stale.write_text("# a comment\n" + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
    result = run_script("lock.py", "check", str(stale))
    assert result.returncode == 1
    assert f"{missing}=={installed[missing]} is installed but not in the lock (the lock is incomplete)" in result.stderr
    assert "no-such-package==1.0 is in the lock but not installed (the lock is stale)" in result.stderr
    assert f"{other} is {installed[other]}, the lock says 0.0.0" in result.stderr
    assert "`make lock` re-resolves the locks" in result.stderr
    # written from this venv, the lock matches it again
    assert run_script("lock.py", "write", str(stale), "--requirements", "requirements.txt").returncode == 0
    assert run_script("lock.py", "check", str(stale)).returncode == 0
    stale.write_text("dbt-core>=1.11\n")
    assert "not a name==version pin" in run_script("lock.py", "check", str(stale)).stderr


def test_help() -> None:
    result = run_script("lock.py", "--help")
    assert result.returncode == 0 and "make lock" in result.stdout
