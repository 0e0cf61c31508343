"""scripts/extract.py: pinned checksums, mirror copies, clear one-line errors."""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_script

sys.path.insert(0, str(REPO / "scripts"))
import extract  # noqa: E402


def make_mirror(mirror: Path, dest: Path) -> Path:
    dest.mkdir()
    for name in ("projects.csv", "tags.csv"):
        shutil.copyfile(mirror / name, dest / name)
    return dest


def test_copies_from_mirror_and_verifies(mirror: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_script("extract.py", "--from", str(mirror), "--out", str(out))
    assert result.returncode == 0, result.stderr
    for raw in extract.RAW_FILES:
        assert hashlib.sha256((out / raw.name).read_bytes()).hexdigest() == raw.sha256


def test_checksum_mismatch_is_one_line_and_keeps_earlier_files(mirror: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_script("extract.py", "--from", str(mirror), "--out", str(out)).returncode == 0
    good = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = make_mirror(mirror, tmp_path / "bad")
    with (bad / "tags.csv").open("ab") as handle:
        handle.write(b"9999,mlops\n")
    result = run_script("extract.py", "--from", str(bad), "--out", str(out))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("extract: tags.csv: sha256 mismatch: expected ceac72f3")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == good


def test_missing_column_names_file_and_column(mirror: Path, tmp_path: Path) -> None:
    bad = make_mirror(mirror, tmp_path / "bad")
    # The upstream main branch's newer tags.csv: a tag column and no id.
    (bad / "tags.csv").write_text("tag\nmlops\ncomputer-vision\n")
    result = run_script("extract.py", "--from", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "extract: tags.csv: missing column(s) id; header is tag, expected id,tag")
    assert not (tmp_path / "out").exists()


def test_offline_without_mirror_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) on loopback refuses connections: the same path as being offline.
    monkeypatch.setattr(extract, "UPSTREAM_BASE", "http://127.0.0.1:9/datasets")
    out = tmp_path / "out"
    out.mkdir()
    (out / "projects.csv").write_bytes(b"earlier download\n")
    assert extract.main(["--out", str(out), "--timeout", "5"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("extract: projects.csv: cannot download http://127.0.0.1:9/datasets/projects.csv")
    assert "--from DIR" in err and len(err.splitlines()) == 1
    assert (out / "projects.csv").read_bytes() == b"earlier download\n"


def test_missing_mirror_file(tmp_path: Path) -> None:
    result = run_script("extract.py", "--from", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.startswith("extract: projects.csv: cannot read the mirror copy")


def test_help() -> None:
    result = run_script("extract.py", "--help")
    assert result.returncode == 0 and "--from DIR" in result.stdout
