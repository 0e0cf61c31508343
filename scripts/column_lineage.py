"""Column-level lineage of the project: where every column of every table comes from.

Reads dbt's ``target/manifest.json`` and ``target/catalog.json`` (``dbt docs generate``) and
writes, next to the static docs:

``target/column_lineage.json``
    every column edge (source node and column -> target node and column, with its kind:
    ``pass-through``, ``rename`` or ``transformation``), and per column its parents and children;
``target/column_lineage.html``
    one self-contained page to browse it (search a model, click a column, follow its edges).

The edges come from dbt-colibri (``pip install dbt-colibri``, MIT), which parses each model's
compiled SQL with sqlglot. Two things are added here:

* **declared lineage** for models whose code SQL parsing cannot read: a dbt Python model, or
  a staging model unpacking JSON, lists its inputs per column under
  ``config.meta.column_lineage`` in its YAML (``column: [model.column, ...]``, or
  ``source:<source>.<table>.<column>``), so that, for example,
  ``label_issues.predicted_probability`` traces through the classifier to the raw title,
  description and tag, and ``labeled_projects.tag`` to the annotation files;
* **an offline page**: colibri's telemetry is switched off, and the page carries a Content
  Security Policy that forbids any request outside the file itself (``connect-src 'none'``),
  so opening it never contacts a server; the docs test checks that it makes no request.

``--check`` fails when a column of a table that leaves the project (a public model) does not
trace back to raw columns, or to a column the project generates and marks so in its YAML
(``meta: {generated: <why>}``). Run by ``make docs-build`` after ``dbt docs generate``;
``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
# No request may leave the page: scripts, styles, images and fonts come inline (the page is
# one file); connections, frames and forms go nowhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' blob:; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; worker-src blob:; connect-src 'none'; frame-src 'none'; "
    "form-action 'none'; base-uri 'none'"
)


def declared_edges(manifest: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(parent node, parent column, node, column) for every ``meta.column_lineage`` entry.

    Raises ``ValueError`` naming the model when an entry names an unknown model or column, so
    a declaration cannot rot silently."""
    by_name = {node["name"]: uid for uid, node in manifest["nodes"].items()
               if node["resource_type"] in ("model", "seed", "snapshot")}
    by_name.update({f"source:{s['source_name']}.{s['name']}": uid for uid, s in manifest["sources"].items()})
    documented = {uid: node.get("columns", {}) for uid, node in [*manifest["nodes"].items(), *manifest["sources"].items()]}
    edges = []
    for uid, node in manifest["nodes"].items():
        declared = (node.get("config", {}).get("meta") or {}).get("column_lineage") or {}
        for column, parents in declared.items():
            if column not in node.get("columns", {}):
                raise ValueError(f"{node['name']}: column_lineage names {column!r}, not a documented column")
            for parent in parents:
                model, _, parent_column = parent.rpartition(".")
                parent_uid = by_name.get(model)
                if parent_uid is None or parent_column not in documented[parent_uid]:
                    raise ValueError(f"{node['name']}: column_lineage of {column!r} names {parent!r}, "
                                     "not a documented column of a model")
                edges.append((parent_uid, parent_column, uid, column))
    return edges


def unexplained_columns(lineage: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """The columns of the tables that leave the project (public models) that do not trace back
    to raw columns, each with the upstream column where its lineage stops.

    A column's lineage is walked up its parents to the columns that have none. Each of those
    must be a column of a source or seed (a raw file, an annotation file, a seed of the
    project), or a column the project generates itself and says so in its YAML
    (``meta: {generated: <why>}``: the build's id, a literal, a var, a row's position)."""
    parents = lineage["lineage"]["parents"]
    generated = {(uid, name) for uid, node in manifest["nodes"].items()
                 for name, column in node.get("columns", {}).items()
                 if (column.get("meta") or {}).get("generated")}

    def roots(node: str, column: str, seen: set[tuple[str, str]]) -> set[tuple[str, str]]:
        if (node, column) in seen:
            return set()
        seen.add((node, column))
        ups = parents.get(node, {}).get(column, [])
        if not ups or (node, column) in generated:
            return {(node, column)}
        return set().union(*(roots(up["dbt_node"], up["column"], seen) for up in ups))

    problems = []
    for uid, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] != "model" or node.get("access") != "public":
            continue
        for column in node.get("columns", {}):
            for root, root_column in sorted(roots(uid, column, set())):
                if root.split(".")[0] in ("source", "seed") or (root, root_column) in generated:
                    continue
                where = "has no upstream column" if (root, column) == (uid, column) else \
                    f"stops at {root.split('.')[-1]}.{root_column}, which has no upstream column"
                problems.append(f"{node['name']}.{column} {where}: give it lineage, declare it "
                                "(config.meta.column_lineage) or mark the generated column "
                                "(meta: {generated: <why>})")
    return problems


def generate(manifest_path: Path, catalog_path: Path, out_dir: Path) -> tuple[Path, Path, int]:
    """Write ``column_lineage.json`` and ``column_lineage.html`` into ``out_dir``; return their
    paths and the number of column edges."""
    os.environ["DISABLE_COLIBRI_TELEMETRY"] = "1"
    from dbt_colibri.lineage_extractor.extractor import DbtColumnLineageExtractor
    from dbt_colibri.report.generator import DbtColibriReportGenerator

    logging.getLogger("dbt_colibri").setLevel(logging.ERROR)  # not the catalog's missing external sources
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    extra = declared_edges(manifest)
    extractor = DbtColumnLineageExtractor(str(manifest_path), str(catalog_path))
    extract = extractor.extract_project_lineage

    def with_declared_lineage() -> dict[str, Any]:
        data = extract()
        parents, children = data["lineage"]["parents"], data["lineage"]["children"]
        for parent, parent_column, node, column in extra:
            parents.setdefault(node, {}).setdefault(column, []).append(
                {"column": parent_column, "dbt_node": parent, "lineage_type": "transformation"})
            children.setdefault(parent, {}).setdefault(parent_column, []).append(
                {"column": column, "dbt_node": node, "lineage_type": "transformation"})
        return data

    extractor.extract_project_lineage = with_declared_lineage
    with tempfile.TemporaryDirectory() as tmp:
        DbtColibriReportGenerator(extractor, light_mode=True, disable_telemetry=True).generate_report(output_dir=tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        json_path, html_path = out_dir / "column_lineage.json", out_dir / "column_lineage.html"
        shutil.move(Path(tmp) / "colibri-manifest.json", json_path)
        html = (Path(tmp) / "index.html").read_text(encoding="utf-8")
    head = html.index("<head>") + len("<head>")
    html = (html[:head] + f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
            + html[head:])
    html_path.write_text(html, encoding="utf-8")
    edges = len(json.loads(json_path.read_text(encoding="utf-8"))["lineage"]["edges"])
    return json_path, html_path, edges


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="column_lineage.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=PROJECT_DIR / "target" / "manifest.json",
                        help="dbt's manifest (default: %(default)s)")
    parser.add_argument("--catalog", type=Path, default=PROJECT_DIR / "target" / "catalog.json",
                        help="dbt's catalog, from dbt docs generate (default: %(default)s)")
    parser.add_argument("--out-dir", type=Path, default=PROJECT_DIR / "target",
                        help="where to write column_lineage.json and .html (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="fail (exit 1) when a column of a public model does not trace back to raw "
                             "columns or to a column marked generated")
    args = parser.parse_args(argv)
    for path in (args.manifest, args.catalog):
        if not path.exists():
            print(f"column_lineage: {path} does not exist; run dbt docs generate first (make docs-build)",
                  file=sys.stderr)
            return 1
    try:
        json_path, html_path, edges = generate(args.manifest, args.catalog, args.out_dir)
    except ValueError as exc:
        print(f"column_lineage: {exc}", file=sys.stderr)
        return 1
    print(f"column_lineage: {edges} column edges in {json_path} and {html_path}")
    if args.check:
        problems = unexplained_columns(json.loads(json_path.read_text(encoding="utf-8")),
                                       json.loads(args.manifest.read_text(encoding="utf-8")))
        for problem in problems:
            print(f"column_lineage: {problem}", file=sys.stderr)
        if problems:
            return 1
        print("column_lineage: every column of every public model traces back to raw columns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
