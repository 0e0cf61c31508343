"""Lineage docs: generated, complete, and the lineage graph as a reviewer sees it in Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import Project, run_script

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def docs(clone_built: Project) -> Project:
    result = clone_built.dbt("docs", "generate", "--static")
    assert result.returncode == 0, result.stdout[-3000:]
    return clone_built


def test_every_node_and_column_is_documented(docs: Project) -> None:
    result = run_script("check_docs.py", "--manifest", str(docs.root / "target" / "manifest.json"))
    assert result.returncode == 0, result.stderr
    assert (docs.root / "target" / "static_index.html").stat().st_size > 100_000


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
                 "model.mwml_labeling.stg_madewithml__projects", "model.mwml_labeling.int_projects_joined_to_tags",
                 "model.mwml_labeling.labeled_projects", "model.mwml_labeling.labeled_projects_export",
                 "exposure.mwml_labeling.training_job"):
        assert node in shown, (node, shown)
    assert shot.stat().st_size > 20_000
    if os.environ.get("LABELING_ARTIFACTS"):
        shutil.copyfile(docs.root / "target" / "static_index.html", shot.parent / "docs_static_index.html")
