"""The benchmark harness runs end to end on 1e3 rows, so it cannot rot (timings not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_generator_is_deterministic_and_valid(tmp_path: Path) -> None:
    for out in ("a", "b"):
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "--rows", "1000",
                        "--out", str(tmp_path / out)], check=True, capture_output=True)
    for name in ("projects.csv", "tags.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    projects = (tmp_path / "a" / "projects.csv").read_bytes()
    assert b"\r\n" in projects and b'""quotes""' in projects and projects.count(b"\n") > 1000
    tags = (tmp_path / "a" / "tags.csv").read_text().splitlines()
    assert 960 <= len(tags) - 1 <= 995  # about 2% of projects have no tag row


def test_harness_smoke_1e3(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "1e3", "--repeat", "1",
         "--batch", "1e3", "--batch-share", "0.05", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "results")],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [json_file] = (tmp_path / "results").glob("*.json")
    data = json.loads(json_file.read_text())
    [size] = data["sizes"]
    assert size["rows"] == 1000
    assert set(size["median"]) == {"dbt_build", "dbt_build_seed", "pandas", "duckdb_sql", "polars"}
    assert size["ratio"]["duckdb_sql"] == {"time": 1.0, "memory": 1.0}
    assert all(m["seconds"] > 0 and m["peak_mib"] > 10 for m in size["median"].values())
    assert "| 1,000 | dbt_build |" in (json_file.with_suffix(".md")).read_text()
    # A batch of 50 new projects into 1,000: the incremental build and the full one, each
    # checked by the harness to have been the kind of build it measures.
    batch = data["batch"]
    assert batch["batch_rows"] == 50
    assert set(batch["median"]) == {"dbt_batch", "dbt_full_with_batch"}
    assert all(m["export_seconds"] > 0 for m in batch["median"].values())
    assert "| dbt_batch |" in (json_file.with_suffix(".md")).read_text()
