"""The labeling report (make report): every chart drawn from the published database, with its
numbers and SQL, and nothing requested from outside the file, as Chromium shows it."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from annotation_fixtures import choices_result, write_label_studio
from conftest import REPO, Project, run_script
from test_docs import CHROMIUM, CHROMIUM_ARGS

sys.path.insert(0, str(REPO / "scripts"))
import report  # noqa: E402




def make_report(project: Project) -> tuple[str, str]:
    """`make report` on ``project``, as the docs show it (its .venv is this interpreter's)."""
    venv = project.root / ".venv"
    if not venv.exists():
        venv.symlink_to(Path(sys.executable).parent.parent)
    result = subprocess.run(["make", "report"], cwd=project.root, env=project.env(), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout, (project.root / "reports" / "labeling_report.html").read_text(encoding="utf-8")


def figures(page: str) -> dict[str, str]:
    """Each chart's key and its <figure> (drawn: an inline SVG; empty: the note saying why)."""
    found = dict(re.findall(r'<figure class="chart(?: empty)?" data-chart="([^"]+)">(.*?)</figure>', page, re.S))
    assert list(found) == report.CHART_KEYS
    return found


def test_report_of_two_builds_with_annotations_in_chromium(clone_built: Project, tmp_path: Path) -> None:
    project = clone_built
    # One published build, no annotation yet: the page is written, and the charts that need
    # annotators or a second build say what would fill them.
    stdout, page = make_report(project)
    drawn = figures(page)
    for key in ("agreement-by-build", "pair-kappa", "annotators"):
        assert "<svg" not in drawn[key] and "annotat" in drawn[key], key
    for key in ("labels-by-source", "tasks", "class-balance", "function-overlaps", "learning-curve"):
        assert "<svg" in drawn[key], key

    # Annotations from three annotators (with a gold answer) and a reviewer's correction.
    folder = tmp_path / "annotations"
    gold = {"id": 900, "completed_by": {"id": 9, "email": "gold@x"}, "result": choices_result("mlops"),
            "was_cancelled": False, "ground_truth": True, "updated_at": "2026-11-02T10:00:00Z"}
    write_label_studio(folder, {
        "ann@x": {6: "mlops", 9: "computer-vision", 141: "time-series", 12: "mlops", 138: "mlops"},
        "ben@x": {6: "mlops", 9: "mlops", 141: "time-series", 12: "graph-learning", 138: "mlops"},
        "cat@x": {6: "computer-vision", 9: "computer-vision", 141: "time-series"},
    }, extra={6: [gold]})
    with (project.root / "seeds" / "label_corrections.csv").open("a", encoding="utf-8") as f:
        f.write("12,graph-learning,rita@x,adjudicated the tie,2026-11-20 09:00:00\n")
    project.build(LABELING_ANNOTATIONS_DIR=str(folder))

    # labeling_progress keeps a row per published build (the second build was a full one:
    # the annotations changed), and its figures are the marts'.
    progress = project.query("select n_labels_tags_csv, n_labels_consensus, n_labels_corrected, n_adjudication_queue,"
                             " n_tasks_exported_so_far, n_tasks_annotated, fleiss_kappa"
                             " from labeling_progress order by run_started_at")
    assert len(progress) == 2 and progress[0][1:3] == (0, 0)
    sources = dict(project.query("select label_source, count(*) from label_provenance group by all"))
    assert progress[1][:3] == (sources.get("tags_csv", 0), sources["annotation_consensus"],
                               sources["reviewer_correction"])
    assert progress[1][3] == project.query("select count(*) from adjudication_queue")[0][0]
    assert progress[1][6] == project.query("select fleiss_kappa from annotation_agreement")[0][0]
    exported_first = project.query("select exported_task_ids from labeling_progress order by run_started_at")[0][0]
    annotated = {row[0] for row in project.query("select id from annotation_votes")}
    assert progress[1][4:6] == (len(exported_first), len(set(exported_first) & annotated))

    stdout, page = make_report(project)
    assert f"{len(report.CHART_KEYS)} of {len(report.CHART_KEYS)} charts drawn" in stdout
    drawn = figures(page)
    assert all("<svg" in figure for figure in drawn.values())
    # Each chart shows its SQL, the compiled analysis as dbt wrote it.
    compiled = project.root / "target" / "compiled" / "mwml_labeling" / "analyses"
    for _, _, charts in report.SECTIONS:
        for chart in charts:
            sql = next(compiled.rglob(f"{chart.analysis}.sql")).read_text(encoding="utf-8").strip()
            article = page[page.index(f'<article id="{chart.key}">'):]
            assert html.escape(sql) in article[:article.index("</article>")], chart.key
    changed = page[page.index('<article id="changes">'):]
    assert "<td>rita@x</td>" in changed and "<td>adjudicated the tie</td>" in changed

    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is needed in CI (make test-deps installs it)")
        pytest.skip("/usr/bin/chromium not installed (make test-deps installs it)")
    from playwright.sync_api import sync_playwright

    url = (project.root / "reports" / "labeling_report.html").as_uri()
    shot = Path(os.environ.get("LABELING_ARTIFACTS", tmp_path)) / "report.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page_ = browser.new_page(viewport={"width": 1500, "height": 1000})
            page_.add_init_script("window.__violations = [];"
                                  "document.addEventListener('securitypolicyviolation',"
                                  " e => window.__violations.push(e.blockedURI + ' ' + e.violatedDirective));")
            page_.on("request", lambda request: requests.append(request.url))
            page_.goto(url, wait_until="load")
            sizes = page_.evaluate(
                "() => Array.from(document.querySelectorAll('figure.chart')).map(f => {"
                " const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;"
                " return [f.dataset.chart, box ? box.width : 0, box ? box.height : 0,"
                " svg ? svg.querySelectorAll('path, use').length : 0]; })")
            titles = page_.locator("figure[data-chart='labels-by-source'] svg title").all_text_contents()
            violations = page_.evaluate("() => window.__violations")
            page_.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert [s[0] for s in sizes] == report.CHART_KEYS
    for key, width, height, n_shapes in sizes:
        assert width > 200 and height > 100 and n_shapes > 10, (key, width, height, n_shapes)
    assert any(t.startswith("#2") and "reviewer correction: 1" in t for t in titles), titles
    assert requests == [url] and violations == []
    assert shot.stat().st_size > 100_000
    if os.environ.get("LABELING_ARTIFACTS"):
        shutil.copyfile(project.root / "reports" / "labeling_report.html", shot.parent / "labeling_report.html")


def test_report_names_what_is_missing(tmp_path: Path) -> None:
    missing = run_script("report.py", "--db", str(tmp_path / "none.duckdb"), "--output", str(tmp_path / "r.html"))
    assert missing.returncode == 2 and "none.duckdb: no published database; run make build" in missing.stderr
    assert not (tmp_path / "r.html").exists()
    help_ = run_script("report.py", "--help")
    assert help_.returncode == 0 and "--analyses" in help_.stdout


def test_class_balance_names_each_tags_parent() -> None:
    """A child tag is drawn in its parent's colour, with the parent named on hover and in brackets."""
    chart = next(c for _, _, charts in report.SECTIONS for c in charts if c.key == "class-balance")
    rows = report.Rows(["tag", "n_projects", "pct", "parent_tag"], [
        ("natural-language-processing", 30, 60.0, None), ("transformers", 15, 30.0, "natural-language-processing"),
        ("mlops", 5, 10.0, None)])
    svg = report.svg_of(chart, rows)
    assert "<title>transformers: 15 projects (30.0 %), parent natural-language-processing</title>" in svg
    assert "<title>mlops: 5 projects (10.0 %), parent none (top level)</title>" in svg
    fills = re.findall(r'<g id="tip(\d)"><title>[^<]*</title>\s*<path d="[^"]*"[^>]*style="fill: (#[0-9a-f]+)', svg)
    colour = dict(fills)
    assert colour["0"] == colour["1"] != colour["2"], fills
