"""Annotation files coming back from labeling tools: where they go, and what a valid one is.

The annotations folder (``LABELING_ANNOTATIONS_DIR``, default ``data/annotations``) has one
subfolder per tool; every file there is read on every build:

``label_studio/*.json``
    Label Studio JSON exports: an array of tasks, each with ``data`` (our tasks carry the
    project id as ``data.id``) and ``annotations`` (``completed_by``, ``result``,
    ``was_cancelled``, ``ground_truth``, ``lead_time``...). ``completed_by`` may be a user id or
    the user object (the export API with ``annotations__completed_by: {only_id: false}``, what
    ``scripts/label_studio.py pull`` asks for, gives the email).
``doccano/*.jsonl``
    Doccano text-classification exports: one object per line with ``text``, ``label`` (a list
    of tag names) and the project id as ``meta.id`` (our tasks) or ``project_id``; the annotator is the line's ``user`` or ``annotator``, else the file's name (Doccano
    exports one ``<user>.jsonl`` per annotator).
``prodigy/*.jsonl``
    Prodigy ``db-out`` exports: one object per line with ``answer`` (``accept``, ``reject`` or
    ``ignore``), ``meta.id``, and either ``accept`` (the options chosen, choice interface) or
    ``label`` (binary text classification); the annotator is ``_annotator_id`` (or
    ``_session_id``), else the file's name.

The dbt-duckdb plugin defines one table macro per tool on every connection
(``table_macro_sql``), which reads that tool's files with DuckDB's ``read_json_objects``, one row
per task or line with its file name (an empty relation when there are none); the staging models
unpack them. ``check_annotation_file`` is the preflight: a file that is not valid JSON, or not
the shape its folder promises, stops the build with its name, the place and the problem, before
anything is loaded. What a well-formed file says (a cancelled annotation, an unknown project, a
tag outside the taxonomy) is not an error: ``annotation_audit`` accounts for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeling.paths import sql_string

DEFAULT_DIR = "data/annotations"
PRODIGY_ANSWERS = ("accept", "reject", "ignore")
MAX_PROBLEMS = 5


@dataclass(frozen=True)
class Tool:
    """One labeling tool's export format."""

    name: str
    suffix: str
    json_format: str  # read_json_objects' format: array or newline_delimited
    described: str

    def files(self, folder: Path) -> list[Path]:
        """The tool's export files in the annotations folder, in name order."""
        sub = folder / self.name
        return sorted(p for p in sub.glob(f"*{self.suffix}") if p.is_file()) if sub.is_dir() else []


TOOLS = (
    Tool("label_studio", ".json", "array", "a Label Studio JSON export (an array of tasks)"),
    Tool("doccano", ".jsonl", "newline_delimited", "a Doccano JSONL export (one object per line)"),
    Tool("prodigy", ".jsonl", "newline_delimited", "a Prodigy JSONL export (one object per line)"),
)


def table_macro_sql(tool: Tool, folder: Path) -> str:
    """``create temp macro labeling_annotations_<tool>()``: the tool's files as rows of
    (``filename``, ``json``), or an empty relation of that shape when there are none."""
    files = tool.files(folder)
    if files:
        listed = "[" + ", ".join(sql_string(p) for p in files) + "]"
        body = (f"select filename, json from read_json_objects({listed}, format = '{tool.json_format}', "
                "filename = true)")
    else:
        body = "select cast(null as varchar) as filename, cast(null as json) as json where false"
    return f"create or replace temp macro labeling_annotations_{tool.name}() as table {body}"


def _problem(path: Path, where: str, text: str) -> str:
    return f"{path.name}{' ' + where if where else ''}: {text}"


def _is_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.strip() != "")


def _label_studio(path: Path) -> list[str]:
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return [_problem(path, "", f"is not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except json.JSONDecodeError as exc:
        return [_problem(path, f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}")]
    if not isinstance(tasks, list):
        return [_problem(path, "", f"expected a JSON array of tasks (Label Studio's JSON export), "
                                   f"found a JSON {type(tasks).__name__}")]
    problems = []
    for number, task in enumerate(tasks, 1):
        where = f"task {number}" + (f" (Label Studio id {task.get('id')})" if isinstance(task, dict) and "id" in task else "")
        if not isinstance(task, dict):
            problems.append(_problem(path, where, "is not a JSON object"))
            continue
        data = task.get("data")
        if not isinstance(data, dict) or not _is_id(data.get("id")):
            problems.append(_problem(path, where, "has no data.id (the project id): import the tasks "
                                                  "this project exports (exports/annotation/tasks.label_studio.json)"))
        annotations = task.get("annotations", [])
        if not isinstance(annotations, list):
            problems.append(_problem(path, where, "has annotations that are not a list"))
            continue
        for index, annotation in enumerate(annotations, 1):
            at = f"{where}, annotation {index}"
            if not isinstance(annotation, dict):
                problems.append(_problem(path, at, "is not a JSON object"))
            elif not isinstance(annotation.get("result", []), list):
                problems.append(_problem(path, at, "has a result that is not a list"))
            elif annotation.get("completed_by") is None:
                problems.append(_problem(path, at, "has no completed_by (who annotated it)"))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _json_lines(path: Path, check_line: Any) -> list[str]:
    problems = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        return [_problem(path, "", f"is not UTF-8 text ({exc.reason} at byte {exc.start})")]
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(_problem(path, f"line {number} column {exc.colno}", f"not valid JSON: {exc.msg}"))
        else:
            if not isinstance(record, dict):
                problems.append(_problem(path, f"line {number}", "is not a JSON object"))
            else:
                problem = check_line(record)
                if problem:
                    problems.append(_problem(path, f"line {number}", problem))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _project_id(record: dict[str, Any]) -> Any:
    meta = record.get("meta")
    return meta.get("id") if isinstance(meta, dict) and "id" in meta else record.get("project_id")


def _doccano_line(record: dict[str, Any]) -> str:
    if not _is_id(_project_id(record)):
        return "has no project id (meta.id, as in this project's doccano tasks, or project_id)"
    label = record.get("label", [])
    if isinstance(label, str):
        return ""
    if not isinstance(label, list) or not all(isinstance(item, str) for item in label):
        return ("has a label that is not a list of tag names (a text-classification export; "
                "span labels are not tags)")
    return ""


def _prodigy_line(record: dict[str, Any]) -> str:
    if record.get("answer") not in PRODIGY_ANSWERS:
        return f"has answer {record.get('answer')!r}; expected one of {', '.join(PRODIGY_ANSWERS)}"
    if not _is_id(_project_id(record)):
        return "has no project id (meta.id, as in this project's prodigy tasks)"
    accept = record.get("accept")
    if accept is not None and (not isinstance(accept, list) or not all(isinstance(a, (str, int)) for a in accept)):
        return "has an accept that is not a list of option ids"
    if accept is None and not isinstance(record.get("label"), str):
        return "has neither accept (choice interface) nor label (binary classification)"
    return ""


def check_annotation_file(tool: Tool, path: Path) -> list[str]:
    """Problems that make a file unreadable as its tool's export (at most ``MAX_PROBLEMS``)."""
    if tool.name == "label_studio":
        return _label_studio(path)
    return _json_lines(path, _doccano_line if tool.name == "doccano" else _prodigy_line)


def check_annotations(folder: Path, shown: str) -> list[str]:
    """Every problem of the annotations folder: malformed files, and export files dropped where
    no tool's folder would read them."""
    if not folder.exists():
        return []
    if not folder.is_dir():
        return [f"{shown} is a file; the annotations folder must be a folder "
                f"(with {', '.join(t.name + '/' for t in TOOLS)})"]
    problems = [
        f"{shown}/{stray.name}: an export file outside the tools' folders is not read; move it "
        f"into {shown}/label_studio/ (Label Studio .json), {shown}/doccano/ or {shown}/prodigy/ (.jsonl)"
        for stray in sorted(folder.iterdir()) if stray.is_file() and stray.suffix in (".json", ".jsonl")
    ]
    for tool in TOOLS:
        for path in tool.files(folder):
            problems += [f"{shown}/{tool.name}/{problem} (expected {tool.described})"
                         for problem in check_annotation_file(tool, path)]
    return problems
