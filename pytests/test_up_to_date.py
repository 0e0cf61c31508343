"""make build skips a build whose inputs did not change since the published build."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
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


def test_make_build_skips_only_when_nothing_changed(clone_built: Project) -> None:
    project = clone_built
    (project.root / ".venv").symlink_to(BIN.parent)
    # The clone's published build was made by dbt itself: not trusted as up to date.
    first = make_build(project)
    assert "up_to_date: building (the published build was not made by make build)" in first.stdout
    build = published(project)
    manifest = json.loads((project.exports / "current" / "manifest.json").read_text())
    assert len(manifest["input_fingerprint"]) == 64  # published with the build, in its manifests

    # Nothing changed: no dbt run, the same build stays published.
    same = make_build(project)
    assert "up_to_date: nothing to build: build " + build in same.stdout
    assert "Running with dbt" not in same.stdout and published(project) == build

    # A reviewer's correction (a seed, one of dbt's files) changed: it builds what depends on it.
    with (project.root / "seeds" / "label_corrections.csv").open("a", encoding="utf-8") as f:
        f.write("6,mlops,reviewer@example.com,up-to-date test,2026-01-01 00:00:00\n")
    changed = make_build(project)
    assert f"up_to_date: building (only dbt's files changed since build {build}" in changed.stdout
    assert "Running with dbt" in changed.stdout and published(project) != build
    assert project.query("select tag from labeled_projects where id = 6") == [("mlops",)]
    build = published(project)

    # A setting changed (an environment variable the build reads): it builds.
    setting = make_build(project, LABELING_MEMORY_LIMIT="2GB")
    assert "up_to_date: building (inputs changed since the published build)" in setting.stdout
    build = published(project)

    # FORCE=1 builds anyway.
    forced = make_build(project, "FORCE=1", LABELING_MEMORY_LIMIT="2GB")
    assert "Running with dbt" in forced.stdout and published(project) != build


def test_make_build_after_an_edit_rebuilds_what_changed_and_equals_a_full_build(clone_built: Project) -> None:
    """The edit loop: after one model is edited, make build runs dbt's state selection against
    the published build (that model, what depends on it, and the progress row), takes the
    published build's passing tests for the rest, and publishes what a full build publishes."""
    project = clone_built
    (project.root / ".venv").symlink_to(BIN.parent)
    make_build(project)  # a full build, made by make build: it keeps its dbt manifest
    state = project.root / ".build" / "published" / "current" / "state"
    assert json.loads((state / "build.json").read_text())["rebuilt"] == "all"
    model = project.root / "models" / "marts" / "labeled_projects.sql"
    model.write_text(model.read_text() + "-- an edit\n")
    edited = make_build(project)
    assert "only dbt's files changed" in edited.stdout and "state:modified+" in edited.stdout
    manifest = json.loads((project.root / "target" / "manifest.json").read_text())
    expected, frontier = {"model.mwml_labeling.labeling_progress"}, ["model.mwml_labeling.labeled_projects"]
    while frontier:
        node = frontier.pop()
        if node not in expected:
            expected.add(node)
            frontier += manifest["child_map"].get(node, [])
    built = {r["unique_id"] for r in json.loads((project.root / "target" / "run_results.json").read_text())["results"]}
    runnable = ("model.", "seed.", "snapshot.")
    assert {n for n in built if n.startswith(runnable)} == {n for n in expected if n.startswith(runnable)}
    assert "model.mwml_labeling.stg_madewithml__projects" not in built
    record = json.loads((state / "build.json").read_text())
    assert record["rebuilt"] == "modified" and record["invocation_id"] == published(project)
    tests = {n for n, node in manifest["nodes"].items() if node["resource_type"] == "test"}
    assert tests <= set(record["passed_tests"]) | {n for n in tests if not manifest["nodes"][n]["config"]["enabled"]}
    after_edit = project.export_snapshot()

    # dbt's own state selection, without make build's data fingerprint, carries no test over:
    # the gate refuses, and nothing readers see changes.
    model.write_text(model.read_text() + "-- another edit\n")
    manual = project.dbt("build", "--select", "state:modified+", "--state", str(state))
    assert manual.returncode != 0 and "are not part of this invocation" in manual.stdout
    assert project.export_snapshot() == after_edit

    # A full build of the same files publishes the same dataset, byte for byte.
    full = make_build(project, "FORCE=1")
    assert "up_to_date: building (FORCE=1)" in full.stdout

    def dataset(snapshot: dict[str, str]) -> dict[str, str]:
        return {name: digest for name, digest in snapshot.items() if name.startswith("labeled_projects.")}

    assert dataset(project.export_snapshot()) == dataset(after_edit) and len(dataset(after_edit)) == 2


def test_a_file_is_hashed_again_only_when_it_changed(tmp_path: Path, monkeypatch) -> None:
    """``make build``'s check and a build's batch plan and manifests read a raw file for its
    sha256 only when it changed since it was last hashed, in this process or an earlier one
    (``labeling.publish.remember_hashes``); an edit that keeps the size and resets the
    modification time still changes the change time, and is hashed again."""
    import hashlib

    from labeling import publish

    monkeypatch.setattr(publish, "_SHA256_SEEN", {})
    monkeypatch.setattr(publish, "_hashes_folder", [])
    monkeypatch.setattr(publish, "_SETTLED_NS", 0)
    raw, cache = tmp_path / "projects.csv", tmp_path / ".build"
    raw.write_bytes(b"id,title\n1,a\n")
    publish.remember_hashes(cache)
    assert publish.sha256_of(raw) == hashlib.sha256(b"id,title\n1,a\n").hexdigest()
    publish.save_hashes()
    saved = json.loads((cache / publish.HASHES_FILE).read_text())
    assert list(saved) == [str(raw.resolve())]

    # A later process: the saved hash is taken without reading the file (a planted value shows it).
    saved[str(raw.resolve())][5] = "0" * 64
    (cache / publish.HASHES_FILE).write_text(json.dumps(saved))
    monkeypatch.setattr(publish, "_SHA256_SEEN", {})
    monkeypatch.setattr(publish, "_hashes_folder", [])
    publish.remember_hashes(cache)
    assert publish.sha256_of(raw) == "0" * 64
    # The same size, the modification time put back: the change time moved, so it is read again.
    before = raw.stat()
    time.sleep(0.01)
    raw.write_bytes(b"id,title\n1,b\n")
    os.utime(raw, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert publish.sha256_of(raw) == hashlib.sha256(b"id,title\n1,b\n").hexdigest()


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


def test_a_build_refused_by_the_lock_does_not_change_what_the_running_one_records(project: Project) -> None:
    """make build paused before publishing; tags.csv edited; a second make build is refused
    (the lock). The published build must record its own inputs, so the next make build builds."""
    (project.root / ".venv").symlink_to(BIN.parent)
    resume = project.root.parent / "resume"
    first = subprocess.Popen(["make", "build"], cwd=project.root,
                             env=project.env(LABELING_PAUSE="publish:start:20", LABELING_RESUME=str(resume)),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert first.stdout is not None
    lines = []
    for line in first.stdout:
        lines.append(line)
        if "labeling: paused at publish:start" in line:
            break
    else:
        raise AssertionError("".join(lines[-40:]))
    with (project.root / "data" / "sample" / "tags.csv").open("a", encoding="utf-8") as f:
        f.write("\n")  # a change to an input (a blank line at the end)
    refused = subprocess.run(["make", "build"], cwd=project.root, env=project.env(), capture_output=True, text=True,
                             timeout=600)
    assert refused.returncode != 0 and "another dbt build is running" in refused.stdout + refused.stderr
    resume.touch()  # the paused build goes on now
    rest, _ = first.communicate(timeout=600)
    assert first.returncode == 0, rest[-3000:]
    again = make_build(project)
    assert "up_to_date: building (inputs changed since the published build)" in again.stdout


def test_what_is_published_is_checked_before_skipping(project: Project) -> None:
    """A removed or edited export file, or a table dropped in a read-write session: make build
    does not say "nothing to build" over them; it rebuilds and says why."""
    import duckdb

    (project.root / ".venv").symlink_to(BIN.parent)
    assert "up_to_date: building (no published build)" in make_build(project).stdout
    (project.exports / "labeled_projects.csv").unlink()
    removed = make_build(project)
    assert "published changed: the published name" in removed.stdout and "labeled_projects.csv" in removed.stdout
    assert (project.exports / "labeled_projects.csv").is_file()
    with (project.exports / "annotation" / "tasks.doccano.jsonl").open("a", encoding="utf-8") as f:
        f.write("{}\n")
    edited = make_build(project)
    assert "the published export annotation/tasks.doccano.jsonl differs from what its build wrote" in edited.stdout
    time.sleep(0.01)
    with duckdb.connect(str(project.database)) as con:
        con.execute("drop table main.labeled_projects")
    dropped = make_build(project)
    assert "labeling.duckdb was written after its build published it" in dropped.stdout
    assert project.query("select count(*) from labeled_projects")[0][0] == 46
    assert "up_to_date: nothing to build" in make_build(project).stdout
    # A write whose file keeps its size, with its modification time put back: still a write.
    database = project.database.resolve()
    before = database.stat()
    with duckdb.connect(str(project.database)) as con:
        con.execute("update main.labeled_projects set tag = 'mlops' where id = 6")
    os.utime(database, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (database.stat().st_size, database.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    put_back = make_build(project)
    assert "labeling.duckdb was written after its build published it" in put_back.stdout
    assert project.query("select tag from labeled_projects where id = 6") != [("mlops",)]


def test_fingerprint_follows_symbolic_links(project: Project, tmp_path: Path) -> None:
    """A raw file or a batch folder reached through a link counts by what it points to."""
    from labeling.fingerprint import fingerprint

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABELING_", "DBT_"))}
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "tags.csv").write_bytes((project.root / "data" / "sample" / "tags.csv").read_bytes())
    linked = project.root / "data" / "linked"
    linked.mkdir()
    (linked / "projects.csv").write_bytes((project.root / "data" / "sample" / "projects.csv").read_bytes())
    (linked / "tags.csv").symlink_to(target / "tags.csv")
    (target / "batch").mkdir()
    (target / "batch" / "tags.csv").write_text("id,tag\n")
    (linked / "batches").mkdir()
    (linked / "batches" / "b1").symlink_to(target / "batch")
    settings = {**env, "LABELING_RAW_DIR": "data/linked"}
    before = fingerprint(project.root, settings)
    with (target / "tags.csv").open("a") as f:
        f.write("999,mlops\n")
    after_file = fingerprint(project.root, settings)
    assert after_file != before
    (target / "batch" / "tags.csv").write_text("id,tag\n1,mlops\n")
    assert fingerprint(project.root, settings) != after_file
    # A broken link counts too (by where it points), and a loop of links ends.
    (linked / "batches" / "loop").symlink_to(linked)
    (linked / "gone.csv").symlink_to(target / "missing.csv")
    assert fingerprint(project.root, settings) != after_file


_OPENING = re.compile(r"({%-?\s*(macro|test|materialization)\s+(\w+)[\s\S]*?-?%})")


def _edit_every_macro(path: Path, insert: str) -> None:
    """Put ``insert`` (formatted with the macro's name as dbt's manifest gives it) after the
    opening tag of every macro, test and materialization of ``path``."""
    text = path.read_text(encoding="utf-8")
    path.write_text(_OPENING.sub(lambda m: m[1] + insert.format(name=_macro_name(m[2], m[3])), text), encoding="utf-8")


def _macro_name(kind: str, name: str) -> str:
    return f"test_{name}" if kind == "test" else name


def test_an_edit_of_any_macro_file_rebuilds_whatever_it_can_change(clone_built: Project, tmp_path: Path) -> None:
    """Every macro file of the project, edited in turn (a no-op change of every macro in it):
    make build's edit loop either builds everything and names the file, or its state selection
    holds every node during whose run one of the file's macros runs, and no hook runs one.

    Where a macro runs comes from a build of the project whose every macro logs its name (dbt's
    JSON log gives the node each log line was written for): the truth, whatever dbt records."""
    project = clone_built
    (project.root / ".venv").symlink_to(BIN.parent)
    make_build(project)
    files = sorted(p for folder in ("macros", "tests/generic") for p in (project.root / folder).rglob("*.sql"))
    originals = {path: path.read_bytes() for path in files}

    # Where each macro runs: a full build, elsewhere, of the project with every macro traced.
    for path in files:
        _edit_every_macro(path, "{{% if execute %}}{{% do log('TRACE {name}') %}}{{% endif %}}")
    traced = project.dbt("build", "--log-format-file", "json", "--log-path", str(tmp_path / "logs"),
                         "--target-path", str(tmp_path / "target"), LABELING_DB_PATH=str(tmp_path / "trace.duckdb"),
                         LABELING_EXPORT_DIR=str(tmp_path / "exports"))
    assert traced.returncode == 0, traced.stdout[-3000:]
    runs: dict[str, set[str]] = {}
    for line in (tmp_path / "logs" / "dbt.log").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        message = event.get("data", {}).get("msg", "")
        if message.startswith("TRACE "):
            node = event["data"].get("node_info", {}).get("unique_id") or "outside a node"
            runs.setdefault(message.split()[1], set()).add(node)
    for path, content in originals.items():
        path.write_bytes(content)
    assert "labeling_label_precedence" in runs and "test_unique_combination" in runs, sorted(runs)

    state = project.root / ".build" / "published" / "current" / "state"
    followed = []
    for path in files:
        shown = str(path.relative_to(project.root))
        names = {_macro_name(kind, name) for _, kind, name in _OPENING.findall(originals[path].decode())}
        _edit_every_macro(path, "{{# an edit #}}")
        plan = subprocess.run([str(BIN / "python"), "scripts/up_to_date.py", "check"], cwd=project.root,
                              env=project.env(LABELING_LOAD="seed"), capture_output=True, text=True, timeout=300)
        assert plan.returncode == 1, plan.stdout
        if "only dbt's files changed" not in plan.stdout:
            assert f"building (dbt's files changed since build" in plan.stdout and shown in plan.stdout, plan.stdout
        else:
            listed = project.dbt("ls", "--select", "state:modified+", "--state", str(state), "--output", "json",
                                 "--output-keys", "unique_id", "--quiet")
            assert listed.returncode == 0, listed.stdout[-2000:]
            selected = {json.loads(line)["unique_id"] for line in listed.stdout.splitlines() if line.startswith("{")}
            ran = set().union(*(runs.get(name, set()) for name in names))
            assert "outside a node" not in ran, (shown, ran)
            assert ran <= selected, (shown, ran - selected)
            followed.append(shown)
        path.write_bytes(originals[path])
    # Both ways are taken: macros only nodes call are followed, the rest rebuild everything.
    assert "macros/annotations.sql" in followed and "tests/generic/unique_combination.sql" in followed
    assert len(followed) < len(files)
