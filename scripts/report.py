"""Write the labeling report: one self-contained HTML page from the published database.

``make report`` compiles the project's analyses (``dbt compile --select resource_type:analysis``)
and runs this script. Each chart of the page is drawn from one analysis under ``analyses/``
(``report_progress``, ``class_balance``, ``labels_changed_between_builds``, ...), run read-only
on the published ``labeling.duckdb``; beside the chart are the rows it was drawn from and, under
it, the compiled SQL, so every figure can be checked and re-run (``scripts/query.py --file``).

The page makes no request: the charts are inline SVG (matplotlib, text drawn as paths), there
is no script, and a strict Content Security Policy forbids anything from elsewhere. Hovering a
bar or a cell shows its figure (SVG titles). Sections with nothing to chart yet (no
annotations, a single published build) say what would fill them.

Examples (from the project folder)::

    make report                                   # compile the analyses, then this script
    python scripts/report.py --output /tmp/report.html
    python scripts/report.py --db .build/published/current/labeling.duckdb

Exits 2 with a message naming the missing file when the database or a compiled analysis is not
there (run ``make build``, or ``dbt compile --select resource_type:analysis``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import html
import io
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from query import QueryError, run  # noqa: E402  (scripts/query.py: read-only, clear errors)

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_DIR / "labeling.duckdb"
DEFAULT_ANALYSES = PROJECT_DIR / "target" / "compiled" / "mwml_labeling" / "analyses"
DEFAULT_OUTPUT = PROJECT_DIR / "reports" / "labeling_report.html"
# No script, no request: inline styles and inline SVG only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]
TABLE_ROWS = 60

matplotlib.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "labeling-report", "font.size": 9,
                            "axes.spines.top": False, "axes.spines.right": False})


class ReportError(Exception):
    """A missing input; the message names it and what makes it."""


@dataclass(frozen=True)
class Rows:
    """An analysis' result: column names and rows."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def col(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


class Tips:
    """Hover texts for drawn artists: each gets an SVG id, filled with a <title> after saving."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def add(self, artist: Any, text: str) -> None:
        gid = f"tip{len(self.texts)}"
        artist.set_gid(gid)
        self.texts[gid] = text

    def apply(self, svg: str) -> str:
        for gid, text in self.texts.items():
            svg = svg.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{html.escape(text)}</title>', 1)
        return svg


Draw = Callable[[Axes, Rows, Tips], None]


@dataclass(frozen=True)
class Chart:
    """One chart: its analysis, how it is drawn, and what to say when there is nothing to draw."""

    key: str
    title: str
    analysis: str
    draw: Draw
    has_data: Callable[[Rows], bool]
    empty: str
    height: Callable[[Rows], float] = lambda rows: 3.2
    columns: tuple[str, ...] = ()  # the columns the chart draws, shown beside it (default: all)

    def shown(self, rows: Rows) -> Rows:
        """The rows with only the columns this chart draws, in the chart's order."""
        if not self.columns:
            return rows
        index = [rows.columns.index(c) for c in self.columns]
        return Rows(list(self.columns), [tuple(row[i] for i in index) for row in rows.rows])


def _bars(ax: Axes, tips: Tips, labels: Sequence[str], series: dict[str, Sequence[float | None]],
          horizontal: bool = False, stacked: bool = False, fmt: str = "{:g}") -> None:
    """Grouped (or stacked) bars of several series over ``labels``, each bar with a hover text."""
    n = len(series)
    width = 0.8 if stacked else 0.8 / max(n, 1)
    base = [0.0] * len(labels)
    for k, (name, values) in enumerate(series.items()):
        for i, value in enumerate(values):
            v = float(value) if value is not None else 0.0
            pos = i if stacked else i - 0.4 + width * (k + 0.5)
            if horizontal:
                bar = ax.barh(pos, v, height=width, left=base[i] if stacked else 0, color=COLORS[k % len(COLORS)],
                              label=name if i == 0 else None)
            else:
                bar = ax.bar(pos, v, width=width, bottom=base[i] if stacked else 0, color=COLORS[k % len(COLORS)],
                             label=name if i == 0 else None)
            tips.add(bar.patches[0], f"{labels[i]} · {name}: {fmt.format(v) if value is not None else 'none'}")
            if stacked:
                base[i] += v
    ticks = list(range(len(labels)))
    counts = all(isinstance(v, int) or v is None for values in series.values() for v in values)
    if horizontal:
        ax.set_yticks(ticks, labels)
        ax.invert_yaxis()
        if counts:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.set_xticks(ticks, labels)
        if counts:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylim(0, max(1, max(base) if stacked else max(
                (float(v) for values in series.values() for v in values if v is not None), default=1)) * 1.05)
    if n > 1:
        _legend(ax)


def _legend(ax: Axes) -> None:
    """The legend beside the plot, never over the data."""
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _build_labels(rows: Rows) -> list[str]:
    return [f"#{n}\n{at[5:]}" for n, at in zip(rows.col("build_number"), rows.col("built_at"))]


def draw_labels_by_source(ax: Axes, rows: Rows, tips: Tips) -> None:
    _bars(ax, tips, _build_labels(rows), {
        "tags.csv": rows.col("n_labels_tags_csv"), "annotation consensus": rows.col("n_labels_consensus"),
        "reviewer correction": rows.col("n_labels_corrected")}, stacked=True)
    ax.set_ylabel("labeled projects")


def draw_tasks(ax: Axes, rows: Rows, tips: Tips) -> None:
    _bars(ax, tips, _build_labels(rows), {
        "tasks exported so far": rows.col("n_tasks_exported_so_far"),
        "of them annotated": rows.col("n_tasks_annotated"),
        "projects annotated": rows.col("n_projects_annotated")})
    ax.set_ylabel("projects")


def draw_adjudication(ax: Axes, rows: Rows, tips: Tips) -> None:
    _bars(ax, tips, _build_labels(rows), {"waiting for a reviewer": rows.col("n_adjudication_queue")})
    ax.set_ylabel("projects in the adjudication queue")


def draw_class_balance(ax: Axes, rows: Rows, tips: Tips) -> None:
    parents = [p or t for t, p in zip(rows.col("tag"), rows.col("parent_tag"))]
    order = sorted(set(parents))
    for i, (tag, n, pct, parent) in enumerate(zip(rows.col("tag"), rows.col("n_projects"), rows.col("pct"),
                                                  rows.col("parent_tag"))):
        bar = ax.barh(i, n, color=COLORS[order.index(parent or tag) % len(COLORS)])
        tips.add(bar.patches[0], f"{tag}: {n} projects ({pct} %), parent {parent or 'none (top level)'}")
        ax.text(n, i, f" {n} ({pct} %)", va="center", fontsize=8)
    labels = [f"{t}  [{p}]" if p else t for t, p in zip(rows.col("tag"), rows.col("parent_tag"))]
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("labeled projects")


def draw_agreement_by_build(ax: Axes, rows: Rows, tips: Tips) -> None:
    x = list(range(len(rows.rows)))
    for k, (column, name) in enumerate([("fleiss_kappa", "Fleiss' kappa"), ("krippendorff_alpha", "Krippendorff's alpha"),
                                        ("percent_agreement", "percent agreement")]):
        values = [float("nan") if v is None else v for v in rows.col(column)]
        ax.plot(x, values, marker="o", color=COLORS[k], label=name)
        for i, v in enumerate(rows.col(column)):
            if v is not None:
                point = ax.plot([i], [v], marker="o", color=COLORS[k], markersize=9, alpha=0.01)[0]
                tips.add(point, f"build #{i + 1} · {name}: {v}")
    ax.set_xticks(x, _build_labels(rows))
    ax.set_ylim(min(-0.05, min((v for c in ("fleiss_kappa", "krippendorff_alpha") for v in rows.col(c)
                                 if v is not None), default=0) - 0.05), 1.05)
    ax.axhline(0, color="#999", linewidth=0.6)
    _legend(ax)


def draw_pair_heat_map(ax: Axes, rows: Rows, tips: Tips) -> None:
    names = sorted(set(rows.col("annotator_a")))
    kappa = {(a, b): (k, n) for a, b, k, n in zip(rows.col("annotator_a"), rows.col("annotator_b"),
                                                  rows.col("cohens_kappa"), rows.col("n_projects"))}
    grid = [[kappa.get((a, b), (None, 0))[0] if a != b else None for b in names] for a in names]
    image = ax.imshow([[float("nan") if v is None else v for v in line] for line in grid],
                      cmap="RdYlGn", vmin=-1, vmax=1)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            value, n = kappa.get((a, b), (None, 0))
            text = "—" if a == b else ("n/a" if value is None else f"{value:.2f}")
            label = ax.text(j, i, text, ha="center", va="center", fontsize=8)
            if a != b:
                tips.add(label, f"{a} × {b}: Cohen's kappa {text} over {n} projects in common")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.figure.colorbar(image, ax=ax, label="Cohen's kappa", shrink=0.8)


def draw_annotators(ax: Axes, rows: Rows, tips: Tips) -> None:
    _bars(ax, tips, rows.col("annotator"), {
        "agreement with consensus": rows.col("agreement_with_consensus"),
        "agreement with gold": rows.col("agreement_with_gold")}, horizontal=True, fmt="{:.2f}")
    ax.set_xlim(0, 1.05)


def draw_function_overlaps(ax: Axes, rows: Rows, tips: Tips) -> None:
    _bars(ax, tips, rows.col("rule_name"), {
        "coverage": rows.col("coverage"), "overlap": rows.col("overlap_fraction"),
        "conflict": rows.col("conflict_fraction")}, horizontal=True, fmt="{:.3f}")
    ax.set_xlabel("share of all projects (coverage) / of the function's votes (overlap, conflict)")


def draw_function_accuracy(ax: Axes, rows: Rows, tips: Tips) -> None:
    for i, (rule, accuracy, correct, incorrect) in enumerate(zip(
            rows.col("rule_name"), rows.col("empirical_accuracy"), rows.col("correct"), rows.col("incorrect"))):
        bar = ax.barh(i, accuracy or 0, color=COLORS[0] if (accuracy or 0) >= 0.5 else COLORS[3])
        tips.add(bar.patches[0], f"{rule}: accuracy {accuracy} ({correct} correct, {incorrect} incorrect)")
    ax.set_yticks(range(len(rows.rows)), rows.col("rule_name"))
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("empirical accuracy against the labels")


def draw_label_issues(ax: Axes, rows: Rows, tips: Tips) -> None:
    _bars(ax, tips, rows.col("given_tag"), {
        "confident learning": rows.col("n_confident_learning"),
        "weak label disagrees": rows.col("n_weak_label_disagrees"),
        "flagged either way": rows.col("n_label_issues")}, horizontal=True)
    ax.set_xlabel("labeled projects flagged")


def draw_learning_curve(ax: Axes, rows: Rows, tips: Tips) -> None:
    for k, strategy in enumerate(sorted(set(rows.col("strategy")))):
        points = [(n, a, f) for s, n, a, f in zip(rows.col("strategy"), rows.col("n_labeled"),
                                                  rows.col("accuracy"), rows.col("macro_f1")) if s == strategy]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3, color=COLORS[k],
                label=f"{strategy}: accuracy")
        ax.plot([p[0] for p in points], [p[2] for p in points], linestyle="--", color=COLORS[k],
                label=f"{strategy}: macro F1")
        for n, a, f in points:
            tips.add(ax.plot([n], [a], marker="o", markersize=8, alpha=0.01, color=COLORS[k])[0],
                     f"{strategy}, {n} labeled: accuracy {a}, macro F1 {f}")
    ax.set_xlabel("labeled projects")
    _legend(ax)


def draw_changes(ax: Axes, rows: Rows, tips: Tips) -> None:
    counts: dict[str, dict[str, int]] = {}
    for kind, source in zip(rows.col("change_kind"), rows.col("source_after")):
        per_source = counts.setdefault(kind, {})
        per_source[source or "(no label)"] = per_source.get(source or "(no label)", 0) + 1
    kinds = sorted(counts)
    sources = sorted({s for per in counts.values() for s in per})
    _bars(ax, tips, kinds, {s: [counts[k].get(s, 0) for k in kinds] for s in sources}, stacked=True, horizontal=True)
    ax.set_xlabel("labels (by the source of the new label)")


def _any(rows: Rows) -> bool:
    return bool(rows.rows)


def _builds_with(column: str) -> Callable[[Rows], bool]:
    return lambda rows: any(v not in (None, 0) for v in rows.col(column))


def _per_row(size: float, least: float = 2.4) -> Callable[[Rows], float]:
    return lambda rows: max(least, 0.8 + size * len(rows.rows))


BUILD = ("build_number", "built_at")
NO_PROGRESS = "No published build has recorded its progress yet: run make build."
SECTIONS: list[tuple[str, str, list[Chart]]] = [
    ("Progress", "How far the labeling is, build by build (each published build that ran the labeling workflow).", [
        Chart("labels-by-source", "Labels by source", "report_progress", draw_labels_by_source, _any, NO_PROGRESS,
              columns=(*BUILD, "n_labeled", "n_labels_tags_csv", "n_labels_consensus", "n_labels_corrected")),
        Chart("tasks", "Tasks exported against tasks annotated", "report_progress", draw_tasks, _any, NO_PROGRESS,
              columns=(*BUILD, "n_tasks_exported", "n_tasks_exported_so_far", "n_tasks_annotated",
                       "n_projects_annotated")),
        Chart("adjudication", "The adjudication queue", "report_progress", draw_adjudication, _any, NO_PROGRESS,
              columns=(*BUILD, "n_adjudication_queue")),
    ]),
    ("Class balance", "Labeled projects per tag, with each tag's parent in the taxonomy in brackets.", [
        Chart("class-balance", "Projects per tag", "class_balance", draw_class_balance, _any,
              "No labeled project yet.", _per_row(0.35)),
    ]),
    ("Agreement", "How much annotators agree, with each other, with the consensus and with gold answers.", [
        Chart("agreement-by-build", "Fleiss' kappa and Krippendorff's alpha by build", "report_progress",
              draw_agreement_by_build, _builds_with("percent_agreement"),
              "No two annotators have rated a project in common yet: pull annotations and build.",
              columns=(*BUILD, "n_annotators", "n_annotations", "fleiss_kappa", "krippendorff_alpha",
                       "percent_agreement")),
        Chart("pair-kappa", "Annotator pairs: Cohen's kappa", "report_annotator_pairs", draw_pair_heat_map, _any,
              "No two annotators have rated a project in common yet.",
              lambda rows: max(3.0, 1.2 + 0.45 * len(set(rows.col("annotator_a"))))),
        Chart("annotators", "Each annotator against consensus and gold", "report_annotators", draw_annotators, _any,
              "No annotation counts yet: pull annotations into data/annotations and build.", _per_row(0.4)),
    ]),
    ("Labeling functions", "Snorkel's analysis of the keyword and regex rules, and each rule's accuracy.", [
        Chart("function-overlaps", "Coverage, overlaps and conflicts", "report_labeling_functions",
              draw_function_overlaps, _any, "No labeling function voted.", _per_row(0.3),
              columns=("rule_name", "tag", "n_votes", "coverage", "overlap_fraction", "conflict_fraction")),
        Chart("function-accuracy", "Accuracy against the labels", "report_labeling_functions",
              draw_function_accuracy, _any, "No labeling function voted.", _per_row(0.22),
              columns=("rule_name", "tag", "correct", "incorrect", "empirical_accuracy")),
    ]),
    ("Label issues and active learning", "Likely mislabels (confident learning and the weak labels), and what "
     "active learning gains over random sampling (scripts/simulate_active_learning.py).", [
        Chart("label-issues", "Likely mislabels by given tag", "report_label_issues", draw_label_issues, _any,
              "No labeled project to check.", _per_row(0.45)),
        Chart("learning-curve", "The active-learning curve", "report_learning_curve", draw_learning_curve, _any,
              "No simulation yet: run scripts/simulate_active_learning.py."),
    ]),
    ("What changed", "Labels that changed between the two newest published builds (from label_history).", [
        Chart("changes", "Labels changed since the previous build", "labels_changed_between_builds", draw_changes,
              _any, "No label changed between the two newest published builds.",
              lambda rows: max(2.4, 1.0 + 0.5 * len(set(rows.col("change_kind")))),
              columns=("id", "change_kind", "tag_before", "tag_after", "source_after", "corrected_by",
                       "correction_reason")),
    ]),
]
CHART_KEYS = [chart.key for _, _, charts in SECTIONS for chart in charts]


def compiled_sql(analyses: Path, name: str) -> str:
    """The compiled SQL of analysis ``name`` under ``analyses`` (searched recursively)."""
    found = sorted(analyses.rglob(f"{name}.sql"))
    if not found:
        raise ReportError(f"{analyses}: no compiled analysis {name}.sql; run "
                          "dbt compile --select resource_type:analysis (make report does)")
    return found[0].read_text(encoding="utf-8").strip()


def svg_of(chart: Chart, rows: Rows) -> str:
    """Draw ``chart`` from ``rows`` and return the inline SVG element (with hover titles)."""
    figure, ax = plt.subplots(figsize=(7.2, chart.height(rows)))
    tips = Tips()
    try:
        chart.draw(ax, rows, tips)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    return tips.apply(svg)


def _cell(value: Any) -> str:
    if value is None:
        return '<td class="null">NULL</td>'
    if isinstance(value, float):
        return f'<td class="num">{value:.4g}</td>'
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def table_html(rows: Rows) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows.columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows.rows[:TABLE_ROWS])
    more = (f'<p class="note">The first {TABLE_ROWS} of {len(rows.rows)} rows; run the SQL below for all.</p>'
            if len(rows.rows) > TABLE_ROWS else "")
    return f'<div class="rows"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}</div>'


def chart_html(chart: Chart, sql: str, rows: Rows) -> str:
    if chart.has_data(rows):
        figure = f'<figure class="chart" data-chart="{chart.key}">{svg_of(chart, rows)}</figure>'
    else:
        figure = f'<figure class="chart empty" data-chart="{chart.key}"><p>{html.escape(chart.empty)}</p></figure>'
    return (f'<article id="{chart.key}"><h3>{html.escape(chart.title)}</h3>'
            f'<div class="pair">{figure}{table_html(chart.shown(rows))}</div>'
            f'<details><summary>SQL: analyses/…/{chart.analysis}.sql, {len(rows.rows)} rows</summary>'
            f"<pre>{html.escape(sql)}</pre></details></article>")


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1500px;padding:0 24px 48px;color:#222}
h1{margin:24px 0 4px}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:36px}
.meta,.note{color:#666;font-size:13px}nav a{margin-right:14px}
.pair{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}
figure{margin:0;flex:0 0 auto}figure svg{max-width:100%;height:auto}
figure.empty{width:640px;padding:24px;background:#f6f6f6;color:#555}
.rows{flex:1 1 420px;max-height:460px;overflow:auto}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #e3e3e3;padding:2px 6px;text-align:left}
th{background:#f3f3f3;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.null{color:#aaa}details{margin:6px 0 18px}pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px}
"""


def render(database: Path, analyses: Path) -> str:
    """The whole page for ``database``, from the compiled analyses under ``analyses``."""
    if not database.exists():
        raise ReportError(f"{database}: no published database; run make build first")
    _, builds = run("select invocation_id, cast(recorded_at as varchar) from audit.labeling_builds "
                    "order by recorded_at desc limit 1", database)
    build = builds[0] if builds else ("(unrecorded)", "")
    parts = []
    for section, intro, charts in SECTIONS:
        anchor = section.lower().replace(" ", "-")
        parts.append(f'<section id="{anchor}"><h2>{html.escape(section)}</h2><p class="note">{html.escape(intro)}</p>')
        for chart in charts:
            sql = compiled_sql(analyses, chart.analysis)
            try:
                columns, rows = run(sql, database)
            except QueryError as error:
                raise ReportError(f"analysis {chart.analysis} failed on {database}: {error} (make build "
                                  "publishes the tables the report reads)") from None
            rows = [tuple(float(v) if isinstance(v, decimal.Decimal) else v for v in row) for row in rows]
            parts.append(chart_html(chart, sql, Rows(columns, rows)))
        parts.append("</section>")
    nav = " ".join(f'<a href="#{s.lower().replace(" ", "-")}">{html.escape(s)}</a>' for s, _, _ in SECTIONS)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>Labeling report</title><style>{STYLE}</style></head><body>"
            f"<h1>Labeling report</h1><p class=\"meta\">Published build {html.escape(build[0])}, recorded "
            f"{html.escape(build[1])} UTC · {html.escape(str(database))} · written {now}</p><nav>{nav}</nav>"
            + "".join(parts) + "</body></html>\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="make report runs the compile step and this script.")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the database (default: labeling.duckdb)")
    parser.add_argument("--analyses", type=Path, default=DEFAULT_ANALYSES,
                        help="the compiled analyses (default: target/compiled/mwml_labeling/analyses)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="the page to write (default: reports/labeling_report.html)")
    args = parser.parse_args(argv)
    database, analyses, output = (p.resolve() for p in (args.db, args.analyses, args.output))
    os.chdir(PROJECT_DIR)  # the analyses' relative paths (the learning curve) are the project's
    try:
        page = render(database, analyses)
    except (ReportError, QueryError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(output)
    n_charts = len(re.findall(r'<figure class="chart" ', page))
    print(f"report: wrote {output} ({len(page) // 1024} KiB, {n_charts} of {len(CHART_KEYS)} charts drawn)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
