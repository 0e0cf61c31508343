"""Where a build's time goes: one ``dbt build`` on generated data, then its nodes by time.

Builds a copy of the project on ``benchmarks/data/<size>/`` (generated if missing) with the load
path of ``--load`` (default ``read_csv``, the fast path) and prints, from dbt's
``target/run_results.json``, the wall time of the whole command, dbt's own elapsed time, and
every node that took longer than ``--min-seconds``, slowest first, with the sum of the tests.
``--repeat`` runs the same build again on the published project (a rebuild where nothing
changed), and ``--keep`` leaves the copy for EXPLAIN ANALYZE.

    python benchmarks/profile.py --size 1e7
    python benchmarks/profile.py --size 1e3 --raw ../shared/data/madewithml --load seed --workflow
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402
from run import BIN, PIPELINE_ONLY, dbt_env, measure, project_copy  # noqa: E402


def report(project: Path, wall: float, peak: float, min_seconds: float) -> None:
    results = json.loads((project / "target" / "run_results.json").read_text())
    nodes = sorted(results["results"], key=lambda r: -r["execution_time"])
    tests = [r for r in nodes if r["unique_id"].startswith(("test.", "unit_test."))]
    print(f"wall {wall:.1f} s, peak {peak:.0f} MiB, dbt elapsed {results['elapsed_time']:.1f} s, "
          f"{len(nodes)} nodes; tests {sum(r['execution_time'] for r in tests):.1f} s in sum ({len(tests)})")
    for r in nodes:
        if r["execution_time"] >= min_seconds:
            print(f"  {r['execution_time']:7.2f} s  {r['unique_id']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="profile.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=lambda s: int(float(s)), default=1_000_000, help="rows (default 1e6)")
    parser.add_argument("--raw", type=Path, help="a raw folder to build instead of generated data")
    parser.add_argument("--load", choices=("read_csv", "seed"), default="read_csv")
    parser.add_argument("--workflow", action="store_true", help="include the labeling workflow")
    parser.add_argument("--repeat", type=int, default=1, help="builds in a row on the same copy")
    parser.add_argument("--min-seconds", type=float, default=0.5)
    parser.add_argument("--keep", action="store_true", help="keep the project copy and print its path")
    args = parser.parse_args(argv)
    raw = args.raw or HERE / "data" / f"{args.size:g}"
    if args.raw is None and not (raw / "tags.csv").exists():
        generate(args.size, raw)
    work = Path(tempfile.mkdtemp(prefix="profile-"))
    try:
        project = project_copy(work / "project")
        if args.load == "seed":
            (project / "data" / "bench").mkdir(parents=True)
            for name in ("projects.csv", "tags.csv"):
                shutil.copyfile(raw / name, project / "data" / "bench" / name)
            raw = Path("data/bench")
        command = [str(BIN / "dbt"), "build", *([] if args.workflow else PIPELINE_ONLY), "--project-dir", str(project)]
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = measure(command, project, dbt_env(project, raw, args.load))
            report(project, time.perf_counter() - started, result["peak_mib"], args.min_seconds)
        if args.keep:
            print(f"kept {project}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
