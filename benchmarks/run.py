"""Benchmark the project's dbt build against the lesson's pandas code and one DuckDB statement.

For each size (rows of projects.csv) it generates raw data (``benchmarks/generate.py``, cached
in ``benchmarks/data/``), then runs side by side, ``--repeat`` times each, interleaved:

``dbt_build``     the project's full ``dbt build`` (preflight, load, every model and test,
                  CSV + Parquet export, manifest, publish) on the fast load path
                  (``LABELING_LOAD=read_csv``), from a fresh database each time;
``dbt_build_seed`` the same with the default seed load path (only up to ``--seed-max`` rows);
``pandas``        the lesson's code (``scripts/lesson_labeling.py``): read, merge, filter, to_csv;
``duckdb_sql``    one DuckDB process: the same join and filter, ``COPY`` to CSV and to Parquet.
``polars``        polars' lazy engine: ``scan_csv`` ×2, join, filter, sort, ``sink_csv`` and
                  ``sink_parquet`` collected together (one plan, the scan shared).

``spark_build``   the same build on Apache Spark (``dbt build --target spark`` and
                  ``scripts/spark_publish.py``: dbt-spark's session method on ``local[2]``, the raw
                  files read by Spark's CSV reader, the export written and published after); from ``.venv-spark`` (make
                  spark-setup), and only when asked for with ``--contenders`` (it is slow to
                  start and one machine favours DuckDB).

``--contenders`` picks some of them (at 5e7 rows pandas alone would need about 25 GiB).
Between the repeats of a ``dbt_build*`` contender the database, the exports and ``.build/`` are
removed, but dbt's ``target/partial_parse.msgpack`` is kept, as it is between a user's builds
(the first repeat parses in full, and the median is of the warm ones).

With ``--minimal`` it also runs, on a data folder (default: the real data mirror), our build
with seeds against dbt's own minimal project (two seeds, a table model, an external CSV), and
``dbt_build_workflow``: the same build with the labeling workflow (labeling functions, the
classifier of label issues, the active-learning queue) included, from a fresh database and an
empty classifier cache; ``dbt_rebuild_workflow``: that whole build again on the built
project when nothing changed (same files, code and vars), where the classifier is reused;
``make_rebuild``: the README's ``make build`` on that unchanged project, which its up-to-date
check (``scripts/up_to_date.py``) turns into no build at all; and the edit loop, the README's
``make build`` right after one model is edited (a comment line appended, so dbt sees it
modified), which builds what dbt's state selection finds changed and what depends on it:
``make_edit_mart`` edits the lesson's mart ``labeled_projects`` (it, its export and the
workflow models that read it: 48 nodes), ``make_edit_leaf`` a leaf of the workflow
(``labeling_function_summary``: 10 nodes). Their baseline is ``dbt_minimal_rebuild``, the
minimal project's ``dbt build`` with nothing changed.

The ``dbt_build*`` contenders leave the labeling workflow out (``--exclude
tag:labeling_workflow``): regular expressions over every row and a classifier trained on 10
million texts are a different job from loading and exporting the labeled dataset, and are
measured on their own on the real data (``dbt_build_workflow``).

With ``--batch SIZE`` it measures data that arrives in batches (``LABELING_RAW_DIR/batches/``,
applied incrementally on the fast load path): a dataset of SIZE projects is built, then a batch
of ``--batch-share`` (default 1%) new projects with their tags arrives, and

``dbt_batch``            the incremental build that applies it (timed; the build of the
                         dataset before it is not);
``dbt_full_with_batch``  a full build of the same rows from a fresh database, the baseline.

Both leave the labeling workflow out, like ``dbt_build``. The export is rewritten whole by both;
its share (the export model's time and its own tests', which read the exported file, in dbt's
``run_results.json``) is reported separately, and so is the fixed cost (from dbt's start to its
first node: parsing, the build's copy of the database, the on-run-start hooks), which for
``dbt_batch`` grows with the dataset the database already holds (issue 22, target 6).

Wall time and peak memory (RSS summed over the whole process tree, sampled every 20 ms) are
recorded; the median of the repeats is reported as a ratio against ``duckdb_sql``. Results go
to ``--out`` (default ``benchmarks/results/``) as JSON and Markdown.

    python benchmarks/run.py --sizes 1000 100000 1000000 --repeat 3 --minimal ../shared/data/madewithml
    python benchmarks/run.py --sizes --batch 1e7 --repeat 3
"""

from __future__ import annotations

# The benchmarked pipeline: load, transform, test, export; not the labeling workflow.
PIPELINE_ONLY = ["--exclude", "tag:labeling_workflow"]

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

DUCKDB_SQL = """
import duckdb, sys
raw, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
dialect = "header = true, auto_detect = false, quote = '\\"', escape = '\\"', strict_mode = true"
con.execute(f'''create temp view labeled as
    select p.id, p.created_on, p.title, p.description, t.tag
    from read_csv('{raw}/projects.csv', columns = {{'id': 'BIGINT', 'created_on': 'TIMESTAMP', 'title': 'VARCHAR', 'description': 'VARCHAR'}}, {dialect}) as p
    inner join read_csv('{raw}/tags.csv', columns = {{'id': 'BIGINT', 'tag': 'VARCHAR'}}, {dialect}) as t
        on p.id = t.id
    where t.tag is not null
    order by p.id''')
con.execute(f"copy labeled to '{out}/labeled_projects.csv' (format csv, header true, comment '')")
con.execute(f"copy labeled to '{out}/labeled_projects.parquet' (format parquet, compression zstd)")
"""

POLARS = """
import polars as pl, sys
raw, out = sys.argv[1], sys.argv[2]
projects = pl.scan_csv(f'{raw}/projects.csv', schema={'id': pl.Int64, 'created_on': pl.Datetime('us'),
                                                       'title': pl.String, 'description': pl.String})
tags = pl.scan_csv(f'{raw}/tags.csv', schema={'id': pl.Int64, 'tag': pl.String})
labeled = projects.join(tags, on='id', how='inner').filter(pl.col('tag').is_not_null()).sort('id')
pl.collect_all([
    labeled.sink_csv(f'{out}/labeled_projects.csv', datetime_format='%Y-%m-%d %H:%M:%S', lazy=True),
    labeled.sink_parquet(f'{out}/labeled_projects.parquet', compression='zstd', lazy=True),
])
"""

CONTENDERS = ("dbt_build", "dbt_build_seed", "pandas", "duckdb_sql", "polars")
#: Run only when named in --contenders.
OPT_IN = ("spark_build",)
SPARK_PYTHON = PROJECT / ".venv-spark" / "bin" / "python"

MINIMAL_PROJECT = {
    "dbt_project.yml": """name: minimal
version: "1.0.0"
config-version: 2
profile: minimal
seeds:
  minimal:
    projects: {+column_types: {id: bigint, created_on: timestamp, title: varchar, description: varchar}}
    tags: {+column_types: {id: bigint, tag: varchar}}
""",
    "profiles.yml": """minimal:
  target: dev
  outputs:
    dev: {type: duckdb, path: minimal.duckdb, threads: 2}
""",
    "models/labeled.sql": """select p.id, p.created_on, p.title, p.description, t.tag
from {{ ref('projects') }} as p inner join {{ ref('tags') }} as t on p.id = t.id
where t.tag is not null order by p.id
""",
    "models/labeled_export.sql": """{{ config(materialized='external', location='labeled.csv') }}
select * from {{ ref('labeled') }}
""",
}


def _tree_rss(root: int) -> int:
    """Resident memory in bytes of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> dict[str, float]:
    """Run ``command``; return wall seconds and peak tree RSS in MiB. Raises if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{output.decode(errors='replace')[-3000:]}")
    return {"seconds": wall, "peak_mib": peak / 2**20}


def project_copy(dest: Path) -> Path:
    """Copy the project's source files (no venvs, builds, exports, downloads or benchmarks)."""
    anywhere = shutil.ignore_patterns(".git", "*.duckdb", "__pycache__", ".pytest_cache")
    at_top = {".venv", ".venv-harlequin", ".venv-labelstudio", ".venv-spark", "spark", "target", "logs", "exports",
              ".build", "benchmarks", "ci-artifacts"}

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).resolve()
        skip = set(anywhere(directory, names))
        if here == PROJECT:
            skip |= at_top & set(names)
        if here == PROJECT / "data":
            skip |= {"madewithml"} & set(names)
        return skip

    shutil.copytree(PROJECT, dest, ignore=ignore)
    return dest


def dbt_env(project: Path, raw_dir: Path, load: str) -> dict[str, str]:
    """The environment of a dbt contender: no DBT_/LABELING_ settings of the caller's shell except
    LABELING_MEMORY_LIMIT (--memory-limit), which is the setting being measured."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DBT_", "LABELING_")) or k == "LABELING_MEMORY_LIMIT"}
    env.update(DBT_PROFILES_DIR=str(project / "profiles"), DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               LABELING_RAW_DIR=str(raw_dir), LABELING_LOAD=load, PATH=f"{BIN}:{env.get('PATH', '')}")
    return env


def fresh(project: Path) -> None:
    """Remove the database, the exports, .build/ (published builds, the classifier cache) and
    target/ except dbt's partial-parse file, which a user's next build would have too."""
    for name in ("labeling.duckdb", "labeling.duckdb.wal", "exports", ".build"):
        path = project / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    target = project / "target"
    if target.is_dir():
        for path in target.iterdir():
            if path.name != "partial_parse.msgpack":
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def contenders(size: int, raw: Path, work: Path, seed_max: int) -> dict[str, tuple]:
    """name -> (command, cwd, env, prepare) for one size."""
    project = project_copy(work / "project")
    out = work / "out"
    out.mkdir()
    plain = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    found = {
        "dbt_build": ([str(BIN / "dbt"), "build", *PIPELINE_ONLY, "--project-dir", str(project)], project,
                      dbt_env(project, raw, "read_csv"), lambda: fresh(project)),
        "pandas": ([sys.executable, str(PROJECT / "scripts" / "lesson_labeling.py"), str(raw),
                    str(out / "pandas.csv")], work, plain, lambda: None),
        "duckdb_sql": ([sys.executable, "-c", DUCKDB_SQL, str(raw), str(out)], work, plain, lambda: None),
        "polars": ([sys.executable, "-c", POLARS, str(raw), str(out)], work, plain, lambda: None),
    }
    spark_env = {**dbt_env(project, raw, "read_csv"), "LABELING_SPARK_DIR": str(project / "spark")}
    spark_env.update({k: v for k, v in os.environ.items() if k.startswith("LABELING_SPARK_")})
    # What make build TARGET=spark runs: dbt build on Spark, then the publish (one shell).
    found["spark_build"] = (["bash", "-c", f"{SPARK_PYTHON.parent / 'dbt'} build --target spark --exclude "
                             f"tag:labeling_workflow && {SPARK_PYTHON} scripts/spark_publish.py"], project, spark_env,
                            lambda: (fresh(project), shutil.rmtree(project / "spark", ignore_errors=True)))
    if size <= seed_max:
        # The seed path needs the files inside the project (dbt writes compiled seeds by path).
        inside = project / "data" / "bench"
        inside.mkdir(parents=True)
        for name in ("projects.csv", "tags.csv"):
            shutil.copyfile(raw / name, inside / name)
        found["dbt_build_seed"] = ([str(BIN / "dbt"), "build", *PIPELINE_ONLY, "--project-dir", str(project)], project,
                                   dbt_env(project, Path("data/bench"), "seed"), lambda: fresh(project))
    return found


def run_size(size: int, repeat: int, data_root: Path, seed_max: int,
             chosen: tuple[str, ...] = CONTENDERS) -> dict:
    raw = data_root / f"{size:g}"
    if not (raw / "tags.csv").exists():
        generate(size, raw)
    with tempfile.TemporaryDirectory(prefix=f"bench-{size}-") as tmp:
        runs: dict[str, list[dict[str, float]]] = {}
        plan = {name: spec for name, spec in contenders(size, raw, Path(tmp), seed_max).items()
                if name in chosen or name == "duckdb_sql"}
        for _ in range(repeat):
            for name, (command, cwd, env, prepare) in plan.items():
                prepare()
                runs.setdefault(name, []).append(measure(command, cwd, env))
                print(f"  {size:>10,} {name:<15} {runs[name][-1]['seconds']:8.2f} s {runs[name][-1]['peak_mib']:8.0f} MiB",
                      flush=True)
    return summarize(runs, baseline="duckdb_sql") | {"rows": size, "raw_bytes": sum(
        (raw / n).stat().st_size for n in ("projects.csv", "tags.csv"))}


def summarize(runs: dict[str, list[dict[str, float]]], baseline: str) -> dict:
    medians = {name: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "peak_mib")}
               for name, rs in runs.items()}
    base = medians[baseline]
    return {"runs": runs, "median": medians, "baseline": baseline,
            "ratio": {name: {"time": m["seconds"] / base["seconds"], "memory": m["peak_mib"] / base["peak_mib"]}
                      for name, m in medians.items()}}


def edit(model: Path) -> None:
    """Edit a model the way a user does between builds: a new comment line, so its checksum
    (and dbt's ``state:modified``) changes while what it selects does not."""
    with model.open("a", encoding="utf-8") as handle:
        handle.write(f"-- edited by the benchmark at {time.time_ns()}\n")


def run_minimal(raw: Path, repeat: int) -> dict:
    """Our full build (seeds) against dbt's minimal seed -> table -> external CSV project."""
    with tempfile.TemporaryDirectory(prefix="bench-minimal-") as tmp:
        work = Path(tmp)
        minimal = work / "minimal"
        for rel, text in MINIMAL_PROJECT.items():
            (minimal / rel).parent.mkdir(parents=True, exist_ok=True)
            (minimal / rel).write_text(text)
        (minimal / "seeds").mkdir()
        for name in ("projects.csv", "tags.csv"):
            shutil.copyfile(raw / name, minimal / "seeds" / name)
        project = project_copy(work / "project")
        (project / ".venv").symlink_to(BIN.parent)  # for make build
        (project / "data" / "bench").mkdir(parents=True)
        for name in ("projects.csv", "tags.csv"):
            shutil.copyfile(raw / name, project / "data" / "bench" / name)
        env_min = {**os.environ, "DBT_PROFILES_DIR": str(minimal), "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
        plan = {
            "dbt_minimal": ([str(BIN / "dbt"), "build"], minimal, env_min,
                            lambda: [p.unlink() for p in minimal.glob("*.duckdb")]),
            # The same project built again with nothing changed: the edit loop's baseline.
            "dbt_minimal_rebuild": ([str(BIN / "dbt"), "build"], minimal, env_min, lambda: None),
            "dbt_build_seed": ([str(BIN / "dbt"), "build", *PIPELINE_ONLY, "--project-dir", str(project)],
                               project, dbt_env(project, Path("data/bench"), "seed"), lambda: fresh(project)),
            "dbt_build_workflow": ([str(BIN / "dbt"), "build", "--project-dir", str(project)], project,
                                   dbt_env(project, Path("data/bench"), "seed"), lambda: fresh(project)),
            # Right after dbt_build_workflow, on the project it built: nothing changed.
            "dbt_rebuild_workflow": ([str(BIN / "dbt"), "build", "--project-dir", str(project)], project,
                                     dbt_env(project, Path("data/bench"), "seed"), lambda: None),
            # The README's command on the same unchanged project: make build's up-to-date check
            # (scripts/up_to_date.py). Its first make build (untimed) records the inputs.
            "make_rebuild": (["make", "build"], project, dbt_env(project, Path("data/bench"), "seed"),
                             lambda: subprocess.run(["make", "build"], cwd=project, check=True, capture_output=True,
                                                    env=dbt_env(project, Path("data/bench"), "seed"))),
            # Right after make_rebuild: one model edited, then the README's make build.
            "make_edit_mart": (["make", "build"], project, dbt_env(project, Path("data/bench"), "seed"),
                               lambda: edit(project / "models" / "marts" / "labeled_projects.sql")),
            "make_edit_leaf": (["make", "build"], project, dbt_env(project, Path("data/bench"), "seed"),
                               lambda: edit(project / "models" / "marts" / "labeling_workflow"
                                            / "labeling_function_summary.sql")),
        }
        runs: dict[str, list[dict[str, float]]] = {}
        for _ in range(repeat):
            for name, (command, cwd, env, prepare) in plan.items():
                prepare()
                runs.setdefault(name, []).append(measure(command, cwd, env))
                print(f"  {'real data':>10} {name:<15} {runs[name][-1]['seconds']:8.2f} s", flush=True)
    return summarize(runs, baseline="dbt_minimal") | {"data": str(raw)}


def export_seconds(project: Path, name: str) -> float:
    """The execution time of the export model ``name`` and of its own data tests (which read the
    exported file) in the project's last ``run_results.json``."""
    results = json.loads((project / "target" / "run_results.json").read_text())
    return sum(r["execution_time"] for r in results["results"]
               if r["unique_id"] == f"model.mwml_labeling.{name}"
               or (r["unique_id"].startswith("test.") and f"_{name}_" in r["unique_id"]))


def first_node_seconds(project: Path) -> float:
    """Issue 22's fixed cost: seconds from dbt's start (``invocation_started_at``, after Python
    imported dbt) to the first node's start, in the project's last ``run_results.json``: parsing,
    the build's copy of the database, the on-run-start hooks."""
    results = json.loads((project / "target" / "run_results.json").read_text())
    started = dt.datetime.fromisoformat(results["metadata"]["invocation_started_at"].replace("Z", "+00:00"))
    first = min(dt.datetime.fromisoformat(t["started_at"].replace("Z", "+00:00"))
                for r in results["results"] for t in r["timing"] if t.get("started_at"))
    return (first - started).total_seconds()


def run_batch(size: int, repeat: int, data_root: Path, share: float) -> dict:
    """A batch of ``share`` × ``size`` new projects into a dataset of ``size``: the incremental
    build that applies it against a full build of the same rows (module docstring)."""
    raw_base = data_root / f"{size:g}"
    if not (raw_base / "tags.csv").exists():
        generate(size, raw_base)
    batch_rows = max(1, int(size * share))
    batch_data = data_root / f"{size:g}-batch-{batch_rows:g}"
    if not (batch_data / "tags.csv").exists():
        generate(batch_rows, batch_data, first=size)
    with tempfile.TemporaryDirectory(prefix=f"bench-batch-{size}-") as tmp:
        work = Path(tmp)
        project = project_copy(work / "project")
        raw = work / "raw"
        (raw / "batches").mkdir(parents=True)
        for name in ("projects.csv", "tags.csv"):
            (raw / name).symlink_to(raw_base / name)
        batch = raw / "batches" / "b0001"
        env = dbt_env(project, raw, "read_csv")
        build = [str(BIN / "dbt"), "build", *PIPELINE_ONLY, "--project-dir", str(project)]

        def arrive() -> None:
            batch.mkdir(exist_ok=True)
            for name in ("projects.csv", "tags.csv"):
                if not (batch / name).exists():
                    (batch / name).symlink_to(batch_data / name)

        def before_batch() -> None:
            fresh(project)
            shutil.rmtree(batch, ignore_errors=True)
            subprocess.run(build, cwd=project, env=env, check=True, capture_output=True)
            arrive()

        def full() -> None:
            fresh(project)
            arrive()

        runs: dict[str, list[dict[str, float]]] = {}
        for _ in range(repeat):
            for name, prepare in (("dbt_full_with_batch", full), ("dbt_batch", before_batch)):
                prepare()
                run = measure(build, project, env)
                log = (project / "logs" / "dbt.log").read_text(errors="replace")
                plan = [line for line in log.splitlines() if "labeling: batches:" in line][-1]
                expected = "incremental build" if name == "dbt_batch" else "full build"
                if expected not in plan:
                    raise RuntimeError(f"{name}: expected an {expected}, the build said: {plan}")
                run["export_seconds"] = export_seconds(project, "labeled_projects_export")
                run["first_node_seconds"] = first_node_seconds(project)
                runs.setdefault(name, []).append(run)
                print(f"  {size:>10,} {name:<20} {run['seconds']:8.2f} s {run['peak_mib']:8.0f} MiB "
                      f"(export {run['export_seconds']:.2f} s, first node after "
                      f"{run['first_node_seconds']:.2f} s)", flush=True)
    result = summarize(runs, baseline="dbt_full_with_batch")
    for name, rs in runs.items():
        for key in ("export_seconds", "first_node_seconds"):
            result["median"][name][key] = statistics.median(r[key] for r in rs)
    return result | {"rows": size, "batch_rows": batch_rows}


def machine() -> dict[str, str]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    import duckdb
    from importlib.metadata import version
    return {"cpu": model, "cores": str(os.cpu_count()), "memory_gib": f"{int(mem) / 2**20:.1f}",
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "dbt_core": version("dbt-core"), "dbt_duckdb": version("dbt-duckdb"), "pandas": version("pandas"),
            "os": platform.platform()}


def markdown(result: dict) -> str:
    lines = [f"Run {result['started']} on {result['machine']['cpu']} ({result['machine']['cores']} cores, "
             f"{result['machine']['memory_gib']} GiB), Python {result['machine']['python']}, "
             f"DuckDB {result['machine']['duckdb']}, dbt-core {result['machine']['dbt_core']}, "
             f"dbt-duckdb {result['machine']['dbt_duckdb']}, pandas {result['machine']['pandas']}; "
             f"median of {result['repeat']}.", "",
             "| rows | contender | time (s) | peak RSS (MiB) | time / duckdb_sql | memory / duckdb_sql |",
             "|---:|---|---:|---:|---:|---:|"]
    for size in result["sizes"]:
        for name, m in size["median"].items():
            r = size["ratio"][name]
            lines.append(f"| {size['rows']:,} | {name} | {m['seconds']:.2f} | {m['peak_mib']:.0f} | "
                         f"{r['time']:.2f}× | {r['memory']:.2f}× |")
    if result.get("batch"):
        b = result["batch"]
        lines += ["", f"| {b['rows']:,} rows + a batch of {b['batch_rows']:,} | time (s) | of which export (s) | "
                  "first node after (s) | peak RSS (MiB) | time / full build | "
                  "time without export / full build without export |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        full = b["median"]["dbt_full_with_batch"]
        for name, med in b["median"].items():
            rest = (med["seconds"] - med["export_seconds"]) / (full["seconds"] - full["export_seconds"])
            lines.append(f"| {name} | {med['seconds']:.2f} | {med['export_seconds']:.2f} | "
                         f"{med.get('first_node_seconds', float('nan')):.2f} | {med['peak_mib']:.0f} | "
                         f"{b['ratio'][name]['time']:.2f}× | {rest:.2f}× |")
    if result.get("minimal"):
        m = result["minimal"]
        lines += ["", "| real data (955 rows) | time (s) | time / dbt_minimal |", "|---|---:|---:|"]
        rebuild = m["median"].get("dbt_minimal_rebuild", {}).get("seconds")
        lines[-2:] = ["| real data (955 rows) | time (s) | time / dbt_minimal | time / dbt_minimal_rebuild |",
                      "|---|---:|---:|---:|"]
        for name, med in m["median"].items():
            again = f"{med['seconds'] / rebuild:.2f}×" if rebuild else ""
            lines.append(f"| {name} | {med['seconds']:.2f} | {m['ratio'][name]['time']:.2f}× | {again} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: int(float(s)), nargs="*", default=[1000, 100_000, 1_000_000],
                        help="rows of projects.csv (1e6 or 1000000), default: 1e3 1e5 1e6")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each contender (median reported)")
    parser.add_argument("--seed-max", type=int, default=100_000, help="largest size that also runs the seed path")
    parser.add_argument("--minimal", type=Path, metavar="RAW_DIR",
                        help="also compare our build with dbt's minimal project on this data folder")
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS + OPT_IN, default=list(CONTENDERS),
                        help="which contenders to run on the generated sizes (duckdb_sql, the baseline, always "
                             "runs; spark_build only when named)")
    parser.add_argument("--memory-limit", metavar="SIZE",
                        help="DuckDB memory_limit of the dbt builds (LABELING_MEMORY_LIMIT; the profile's default is 3GB)")
    parser.add_argument("--batch", type=lambda s: int(float(s)), metavar="ROWS",
                        help="also measure a new batch arriving into a dataset of ROWS projects (1e7)")
    parser.add_argument("--batch-share", type=float, default=0.01,
                        help="the batch's size as a share of --batch (default 0.01: 1%%)")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="cache of generated data")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="folder for the JSON and Markdown results")
    args = parser.parse_args(argv)
    if args.memory_limit:
        os.environ["LABELING_MEMORY_LIMIT"] = args.memory_limit
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    result = {"started": started, "repeat": args.repeat, "machine": machine(), "sizes": [],
              "memory_limit": os.environ.get("LABELING_MEMORY_LIMIT", "3GB (profile default)")}
    for size in args.sizes:
        print(f"size {size:,}", flush=True)
        result["sizes"].append(run_size(size, args.repeat, args.data, args.seed_max, tuple(args.contenders)))
    if args.batch:
        print(f"batch into {args.batch:,}", flush=True)
        result["batch"] = run_batch(args.batch, args.repeat, args.data, args.batch_share)
    if args.minimal:
        result["minimal"] = run_minimal(args.minimal.resolve(), args.repeat)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{started}.json").write_text(json.dumps(result, indent=2))
    (args.out / f"{started}.md").write_text(markdown(result))
    print(markdown(result))
    print(f"results: {args.out / (started + '.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
