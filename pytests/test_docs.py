"""Lineage docs: generated, complete, and the lineage graph as a reviewer sees it in Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, Project, clone_project, run_script

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def docs(built_sample: Project, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A copy of the built sample with its docs generated (``dbt docs generate --static``);
    treat as read-only."""
    project = clone_project(built_sample, tmp_path_factory.mktemp("docs") / "project")
    result = project.dbt("docs", "generate", "--static")
    assert result.returncode == 0, result.stdout[-3000:]
    return project


def test_every_node_and_column_is_documented(docs: Project) -> None:
    result = run_script("check_docs.py", "--manifest", str(docs.root / "target" / "manifest.json"))
    assert result.returncode == 0, result.stderr
    assert (docs.root / "target" / "static_index.html").stat().st_size > 100_000


def test_layers_point_one_way(docs: Project) -> None:
    """staging -> intermediate -> marts -> exports (audit may read anything): no staging or
    intermediate model reads a mart, an audit or an export model, staging reads no
    intermediate model, and no mart reads an export."""
    nodes = json.loads((docs.root / "target" / "manifest.json").read_text())["nodes"]
    layer = {uid: node["fqn"][1] for uid, node in nodes.items() if node["resource_type"] == "model"}
    backwards = [(nodes[uid]["name"], nodes[parent]["name"]) for uid in layer
                 for parent in nodes[uid]["depends_on"]["nodes"] if parent in layer
                 and (layer[uid], layer[parent]) in {("staging", "intermediate"), ("staging", "marts"),
                                                     ("staging", "audit"), ("staging", "exports"),
                                                     ("intermediate", "marts"), ("intermediate", "audit"),
                                                     ("intermediate", "exports"), ("marts", "exports")}]
    assert backwards == []
    assert {"staging", "intermediate", "marts", "audit", "exports"} == set(layer.values())


def test_check_docs_fails_on_a_missing_description(clone_built: Project) -> None:
    models = clone_built.root / "models" / "marts" / "_marts__models.yml"
    models.write_text(models.read_text().replace("        description: '{{ doc(\"title\") }}'\n", "", 1))
    assert clone_built.dbt("parse").returncode == 0
    result = run_script("check_docs.py", "--manifest", str(clone_built.root / "target" / "manifest.json"))
    assert result.returncode == 1
    assert "column model.mwml_labeling.labeled_projects.title: no description" in result.stderr


def test_lineage_graph_of_labeled_projects_in_chromium(docs: Project, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is needed in CI (make test-deps installs it)")
        pytest.skip("/usr/bin/chromium not installed (make test-deps installs it)")
    from playwright.sync_api import sync_playwright

    page_url = (docs.root / "target" / "static_index.html").as_uri() + "#!/model/model.mwml_labeling.labeled_projects"
    shot = Path(os.environ.get("LABELING_ARTIFACTS", tmp_path)) / "lineage.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(page_url)
            page.get_by_text("labeled_projects", exact=True).first.wait_for()
            page.get_by_title("View Lineage Graph").click()
            page.locator("a[ng-click=\"showExpanded()\"]").click()
            page.wait_for_function(
                "() => { const g = angular.element(document.body).injector().get('graph');"
                " return g.graph && g.graph.elements && g.graph.elements.length > 20; }")
            page.wait_for_timeout(1500)  # let the layout settle for the screenshot
            shown = page.evaluate(
                "() => angular.element(document.body).injector().get('graph').graph.elements"
                ".filter(e => !e.data.source && !e.data.hidden).map(e => e.data.unique_id)")
            selector = page.evaluate("() => Array.from(document.querySelectorAll('input')).map(i => i.value)")
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert "+labeled_projects+" in selector
    for node in ("seed.mwml_labeling.projects", "seed.mwml_labeling.tags",
                 "source.mwml_labeling.madewithml.projects", "source.mwml_labeling.madewithml.tags",
                 "model.mwml_labeling.stg_madewithml__projects", "model.mwml_labeling.int_label_decisions",
                 "model.mwml_labeling.labeled_projects", "model.mwml_labeling.labeled_projects_export",
                 "exposure.mwml_labeling.training_job"):
        assert node in shown, (node, shown)
    assert shot.stat().st_size > 20_000
    if os.environ.get("LABELING_ARTIFACTS"):
        shutil.copyfile(docs.root / "target" / "static_index.html", shot.parent / "docs_static_index.html")


# --- Column-level lineage ----------------------------------------------------------------------

def column_roots(lineage: dict, node: str, column: str, seen: set | None = None) -> set[tuple[str, str]]:
    """The columns with no parents that a column's lineage reaches."""
    seen = set() if seen is None else seen
    if (node, column) in seen:
        return set()
    seen.add((node, column))
    parents = lineage["lineage"]["parents"].get(node, {}).get(column, [])
    if not parents:
        return {(node, column)}
    return set().union(*(column_roots(lineage, p["dbt_node"], p["column"], seen) for p in parents))


@pytest.fixture(scope="module")
def column_lineage(docs: Project) -> tuple[Project, dict]:
    target = docs.root / "target"
    result = run_script("column_lineage.py", "--check", "--manifest", str(target / "manifest.json"),
                        "--catalog", str(target / "catalog.json"), "--out-dir", str(target), cwd=docs.root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every column of every public model traces back to raw columns" in result.stdout
    return docs, json.loads((target / "column_lineage.json").read_text())


def test_labeled_projects_tag_traces_back_to_every_source_of_labels(column_lineage: tuple[Project, dict]) -> None:
    _, lineage = column_lineage
    roots = column_roots(lineage, "model.mwml_labeling.labeled_projects", "tag")
    assert ("source.mwml_labeling.madewithml.tags", "tag") in roots          # tags.csv, column tag
    assert ("source.mwml_labeling.labeling.label_corrections", "tag") in roots  # reviewers
    assert ("source.mwml_labeling.annotations.records", "choices") in roots  # annotators, every tool
    kinds = {p["lineage_type"] for p in lineage["lineage"]["parents"]["model.mwml_labeling.labeled_projects"]["tag"]}
    assert kinds <= {"pass-through", "rename", "transformation"} and kinds
    # Through the classifier (a Python model, lineage declared in its YAML) to the raw text.
    roots = column_roots(lineage, "model.mwml_labeling.label_issues", "predicted_probability")
    assert ("source.mwml_labeling.madewithml.projects", "title") in roots
    assert ("source.mwml_labeling.madewithml.projects", "description") in roots


def test_a_public_column_without_lineage_fails_the_check(docs: Project, tmp_path: Path) -> None:
    changed = Project(tmp_path / "project")  # its own copy of the docs: it changes a model
    shutil.copytree(docs.root, changed.root, symlinks=True)
    mart = changed.root / "models" / "marts" / "labeling_workflow" / "weak_labels.sql"
    mart.write_text(mart.read_text().replace("select\n", "select\n    42 as unexplained_constant,\n", 1)
                    if "select\n" in mart.read_text() else mart.read_text())
    models = changed.root / "models" / "marts" / "labeling_workflow" / "_labeling_workflow__models.yml"
    text = models.read_text()
    at = text.index("  - name: weak_labels")
    at = text.index("    columns:\n", at) + len("    columns:\n")
    models.write_text(text[:at] + "      - name: unexplained_constant\n        description: A column with no lineage.\n"
                      "        data_type: integer\n" + text[at:])
    assert changed.dbt("parse").returncode == 0
    target = changed.root / "target"
    result = run_script("column_lineage.py", "--check", "--manifest", str(target / "manifest.json"),
                        "--catalog", str(target / "catalog.json"), "--out-dir", str(target), cwd=changed.root)
    assert result.returncode == 1
    assert "weak_labels.unexplained_constant has no upstream column" in result.stderr


def test_column_lineage_page_in_chromium_makes_no_outside_request(column_lineage: tuple[Project, dict],
                                                                   tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is needed in CI (make test-deps installs it)")
        pytest.skip("/usr/bin/chromium not installed (make test-deps installs it)")
    from playwright.sync_api import sync_playwright

    docs, _ = column_lineage
    page_file = docs.root / "target" / "column_lineage.html"
    overview = (docs.root / "docs" / "dbt" / "overview.md").read_text()
    assert "(column_lineage.html)" in overview  # the docs' overview page links to it
    shot = Path(os.environ.get("LABELING_ARTIFACTS", tmp_path)) / "column_lineage.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1800, "height": 1000})
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri())
            page.get_by_placeholder("Search models, sources...").first.click()
            page.keyboard.type("labeled_projects")
            page.get_by_role("option").filter(has_text="labeled_projects").first.click()
            node = page.locator(".react-flow__node").filter(has=page.get_by_text("labeled_projects", exact=True))
            node.wait_for()
            page.wait_for_timeout(1000)  # the view animates to the node
            node.locator("button").nth(1).click()  # show what is upstream
            decisions = page.locator(".react-flow__node").filter(
                has=page.get_by_text("int_label_decisions", exact=True))
            decisions.wait_for()
            page.wait_for_timeout(500)
            decisions.locator("button").nth(1).click()  # and what is upstream of the decisions
            page.wait_for_timeout(800)
            node.get_by_text("tag", exact=True).click()  # the column's lineage
            page.wait_for_timeout(800)
            page.locator(".react-flow__controls-fitview").click()  # nodes outside the view are not drawn
            page.wait_for_function("() => document.querySelectorAll('.react-flow__node').length >= 5")
            page.wait_for_timeout(1500)  # let the layout settle for the screenshot
            shown = page.evaluate(
                "() => Array.from(document.querySelectorAll('.react-flow__node')).map(n => n.innerText.split('\\n')[0])")
            edges = page.evaluate("() => document.querySelectorAll('.react-flow__edge').length")
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert {"labeled_projects", "int_label_decisions", "stg_madewithml__projects", "int_annotation_votes"} <= set(shown)
    assert edges >= 4
    outside = [url for url in requests if not url.startswith(("file://", "data:", "blob:"))]
    assert outside == [], outside
    assert shot.stat().st_size > 20_000


PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "benchmarks" / "README.md"]


def test_every_link_of_the_pages_resolves() -> None:
    """The README and the topic pages under docs/ link to files that exist (anchors aside)."""
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            if not (page.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert not broken, broken


def test_every_command_the_pages_show_exists() -> None:
    """Each `make` target and script the pages' shell blocks run is in the Makefile or scripts/."""
    targets = set(re.findall(r"(?m)^([a-z][a-z-]*):", (REPO / "Makefile").read_text(encoding="utf-8")))
    missing = []
    for page in PAGES:
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S):
            for line in block.splitlines():
                for target in re.findall(r"(?:^|&& |; )make ([a-z][a-z-]*)", line):
                    if target not in targets:
                        missing.append(f"{page.relative_to(REPO)}: make {target}")
                for script in re.findall(r"\bscripts/([a-z_]+\.py)", line):
                    if not (REPO / "scripts" / script).exists():
                        missing.append(f"{page.relative_to(REPO)}: scripts/{script}")
    assert not missing, missing
