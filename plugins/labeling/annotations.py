"""Annotation files coming back from labeling tools: the one parser that both checks and loads them.

The annotations folder (``LABELING_ANNOTATIONS_DIR``, default ``data/annotations``) has one
subfolder per tool:

``label_studio/*.json``
    Label Studio JSON exports: an array of tasks, each with ``data`` (our tasks carry the
    project id as ``data.id``) and ``annotations`` (``id``, ``completed_by``, ``result``,
    ``was_cancelled``, ``ground_truth``, ``lead_time``, ``updated_at``). ``completed_by`` is a
    user id or the user object (the export API with ``annotations__completed_by: {only_id:
    false}``, what ``scripts/label_studio.py pull`` asks for, gives the email). A result is a
    ``choices`` result (``value.choices``: the tags chosen) or a ``taxonomy`` result
    (``value.taxonomy``: paths in the taxonomy, the last element of each path being the tag).
``doccano/*.jsonl``
    Doccano text-classification exports: one object per line with ``text``, ``label`` (a list
    of tag names, or one name) and the project id as ``meta.id`` (our tasks) or
    ``project_id``; the annotator is the line's ``user`` or ``annotator``, else the file's name
    (Doccano exports one ``<user>.jsonl`` per annotator).
``prodigy/*.jsonl``
    Prodigy ``db-out`` exports: one object per line with ``answer`` (``accept``, ``reject`` or
    ``ignore``), ``meta.id``, and either ``accept`` (the options chosen, choice interface) or
    ``label`` (binary text classification); the annotator is ``_annotator_id`` (or
    ``_session_id``), else the file's name.

**One parser, one verdict.** ``read_folder`` parses every file once, with one strict JSON
reading, and returns both the problems (the up-front check: a file that is not its tool's
export stops the build, naming the file, the place and the problem) and the annotation records
the build loads (``RECORD_COLUMNS``, one per annotation). The records are written as canonical
JSON lines (``write_records``) that DuckDB and Spark read with a fixed schema, so the engines
never parse a tool's file themselves and what was checked is exactly what is loaded. What the
reading refuses, because parsers disagree on it or it cannot be one person's answer:

* a key twice in one object (``{"id": 121, "id": 123}``: which one counts depends on the parser);
* a lone UTF-16 surrogate (``"\\ud83d"``): not a character, refused by some readers;
* ``completed_by`` that names nobody (``{}``, ``null``): two people would merge into one;
* a result type other than ``choices`` and ``taxonomy`` (spans, ratings, text areas: not a tag);
* ``NaN``, ``Infinity`` and numbers beyond a float; a time outside 1970-9999 (UTC); a lead time
  that is not a number of seconds of at least 0;
* Label Studio annotators named only by a user number where the files cannot say who they are
  (``_identify_label_studio_users``): user 1 of one instance is not user 1 of another.

A UTF-8 byte order mark is accepted and skipped, as in the raw CSV files and the seeds. JSON
lines end at ``\\n`` only (a raw U+2028 inside a string is part of the line, as JSON allows).

**Every file is read or refused by name.** In the annotations folder only the tools' folders,
a README and hidden files (a name starting with ``.``, such as ``.gitkeep``) may stand; in a
tool's folder only that tool's export files (by suffix, any case). Anything else (a Label
Studio CSV export, a file without a suffix, a subfolder, a broken link, a ``.json`` in
``doccano/``) is refused with what to do instead. A folder named by ``LABELING_ANNOTATIONS_DIR``
must exist; the default folder may be absent (no annotations).

What a well-formed file says (a cancelled annotation, an unknown project, a tag outside the
taxonomy, an answer given twice) is not an error: ``annotation_audit`` accounts for it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labeling.paths import anchored, sql_string

DEFAULT_DIR = "data/annotations"
PRODIGY_ANSWERS = ("accept", "reject", "ignore")
#: Result types of a single-label classification config that name a tag.
LABEL_STUDIO_RESULT_TYPES = ("choices", "taxonomy")
MAX_PROBLEMS = 5
#: Files allowed at the top of the annotations folder besides the tools' folders.
README_NAMES = ("readme", "readme.md", "readme.txt")

#: The loaded records' columns and their SQL types: the ``annotations.records`` source on both
#: engines (DuckDB's ``read_json`` and Spark's JSON reader take this schema).
RECORD_COLUMNS = {
    "tool": "varchar",
    "source_file": "varchar",
    "record_number": "bigint",
    "annotation_number": "bigint",
    "source_annotation_id": "varchar",
    "raw_project_id": "varchar",
    "annotator": "varchar",
    "choices": "varchar[]",
    "was_cancelled": "boolean",
    "answer": "varchar",
    "binary_label": "varchar",
    "is_ground_truth": "boolean",
    "lead_time_seconds": "double",
    "annotated_at": "varchar",
}


@dataclass(frozen=True)
class Tool:
    """One labeling tool's export format."""

    name: str
    suffix: str
    described: str
    #: What to do with a file of another suffix in this tool's folder, by suffix.
    instead: tuple[tuple[str, str], ...] = ()


TOOLS = (
    Tool("label_studio", ".json", "a Label Studio JSON export (an array of tasks)", (
        (".csv", "a Label Studio CSV export is not read: export the project as JSON (scripts/label_studio.py "
                 "pull does) and put the .json here"),
        (".tsv", "a Label Studio TSV export is not read: export the project as JSON (scripts/label_studio.py "
                 "pull does) and put the .json here"),
        (".jsonl", "Label Studio's JSON export is one .json array of tasks; export as JSON (not JSON-MIN or "
                   "JSONL), or move a Doccano or Prodigy file to its own folder"),
    )),
    Tool("doccano", ".jsonl", "a Doccano JSONL export (one object per line)", (
        (".json", "Doccano's text-classification export read here is JSONL: export as JSONL and name it "
                  "<user>.jsonl, or move a Label Studio export to label_studio/"),
        (".csv", "a Doccano CSV export is not read: export as JSONL (<user>.jsonl)"),
    )),
    Tool("prodigy", ".jsonl", "a Prodigy JSONL export (one object per line)", (
        (".json", "prodigy db-out writes JSONL: save its output as <dataset>.jsonl, or move a Label Studio "
                  "export to label_studio/"),
    )),
)


@dataclass
class Reading:
    """What ``read_folder`` found: the files it read, the records they hold and the problems."""

    files: list[tuple[Tool, Path]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def named_files(self) -> dict[str, Path]:
        """The files read, by the name an export manifest gives them: ``annotations/<tool>/<file>``."""
        return {f"annotations/{tool.name}/{path.name}": path for tool, path in self.files}


class _Refused(ValueError):
    """One file's problem, with its place (``task 3``, ``line 2``...)."""

    def __init__(self, where: str, text: str) -> None:
        super().__init__(f"{where}: {text}" if where else text)


class _Object(dict):  # type: ignore[type-arg]
    """A JSON object that remembers the keys it was given twice."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        result.repeated = tuple(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
    return result


class _NonFinite(float):
    """A JSON number that is not a finite float (``NaN``, ``Infinity``, ``1e400``): kept while
    parsing, then refused with its place by ``_ambiguity``."""

    written: str = ""


def _non_finite(written: str) -> float:
    value = float(written)
    if value != value or value in (float("inf"), float("-inf")):
        marked = _NonFinite(value)
        marked.written = written
        return marked
    return value


def _loads(text: str) -> Any:
    """Strict JSON: ``NaN`` and ``Infinity`` (which Python's reader accepts) and numbers too
    large for a float come back marked (``_NonFinite``), for ``_ambiguity`` to refuse by place."""
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_non_finite,
                          parse_float=_non_finite)
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise
        # an integer of more digits than Python converts (4300): the message says which
        raise json.JSONDecodeError(f"a number too large to read ({exc})", text, 0) from None


def _ambiguity(value: Any, path: str = "") -> str:
    """Why ``value`` would not read the same in every JSON reader ('' when it would)."""
    if isinstance(value, _Object) and value.repeated:
        return (f"the key {value.repeated[0]!r} appears twice in {path or 'one object'}; JSON readers "
                "disagree on which one counts, so the file is refused: keep one")
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _ambiguity(key, f"{path}.{key}" if path else key) or \
                _ambiguity(item, f"{path}.{key}" if path else key)
            if problem:
                return problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problem = _ambiguity(item, f"{path}[{index}]")
            if problem:
                return problem
    elif isinstance(value, _NonFinite):
        return (f"{path or 'a number'} is {value.written}, which is not a finite number (JSON has no NaN "
                "or Infinity); re-export the file, or remove the value")
    elif isinstance(value, str) and any("\ud800" <= char <= "\udfff" for char in value):
        char = next(char for char in value if "\ud800" <= char <= "\udfff")
        return (f"{path or 'a string'} holds a lone UTF-16 surrogate (\\u{ord(char):04x}), which is not a "
                "character; re-export the file")
    return ""


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Refused("", f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _scalar_text(value: Any) -> str | None:
    """A JSON scalar as text, as SQL's JSON text extraction gives it (numbers as written)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_id(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.strip() != "")


def _flag(record: dict[str, Any], key: str) -> bool:
    value = record.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _Refused("", f"has {key} {value!r}; expected true or false")
    return value


def _seconds(value: Any, key: str) -> float | None:
    """A duration in seconds (Label Studio's ``lead_time``): a finite number of at least 0, or
    NULL when absent. Text holding a number is read as the number."""
    if value is None:
        return None
    try:
        seconds = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError, OverflowError):
        seconds = None
    if seconds is None or seconds != seconds or seconds in (float("inf"), float("-inf")) or seconds < 0:
        raise _Refused("", f"has {key} {value!r}; expected a duration in seconds, a finite number of at least 0")
    return seconds


#: Annotation times are read between these moments (UTC): a time outside is refused, never
#: clipped (it is a placeholder such as 0001-01-01, or milliseconds read as seconds).
EARLIEST = dt.datetime(1970, 1, 1)
LATEST = dt.datetime(9999, 12, 31, 23, 59, 59, 999999)
_TIME_RANGE = "1970-01-01 and 9999-12-31 UTC"


def _utc_text(moment: dt.datetime) -> str | None:
    """``moment`` as UTC text, or None when it lies outside ``EARLIEST``..``LATEST``."""
    try:
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    except OverflowError:
        return None
    if not EARLIEST <= moment <= LATEST:
        return None
    return moment.isoformat(sep=" ", timespec="microseconds")


def _iso_time(value: Any, key: str) -> str | None:
    """An ISO 8601 time (Label Studio's ``updated_at``) as UTC text, NULL when absent."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise _Refused("", f"has {key} {value!r}, which is not an ISO 8601 time") from None
    text = _utc_text(moment)
    if text is None:
        raise _Refused("", f"has {key} {value!r}, outside the times an annotation can have ({_TIME_RANGE})")
    return text


def _epoch_time(value: Any, key: str) -> str | None:
    """Seconds since 1970 (Prodigy's ``_timestamp``) as UTC text, NULL when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Refused("", f"has {key} {value!r}; expected seconds since 1970")
    try:
        text = _utc_text(EARLIEST + dt.timedelta(seconds=value))
    except (OverflowError, ValueError):  # beyond what a timedelta holds (about 2.7 million years)
        text = None
    if text is None:
        raise _Refused("", f"has {key} {value!r}, outside the times an annotation can have ({_TIME_RANGE}); "
                           "Prodigy writes seconds since 1970, not milliseconds")
    return text


def _record(tool: Tool, source_file: str, record_number: int, annotation_number: int, **values: Any) -> dict[str, Any]:
    record = {"tool": tool.name, "source_file": source_file, "record_number": record_number,
              "annotation_number": annotation_number}
    record.update(values)
    return {column: record.get(column) for column in RECORD_COLUMNS}


# -- Label Studio -------------------------------------------------------------------------------
def _label_studio_user(annotation: dict[str, Any]) -> tuple[str | None, str | None]:
    """Who made a Label Studio annotation: ``(email, user number)``, either may be None, not both.
    A user number names a person only within one instance (``_identify_label_studio_users``)."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        email, number = who.get("email"), who.get("id")
        email = email.strip() if isinstance(email, str) and email.strip() else None
        number = _scalar_text(number) if _is_id(number) else None
        if email is None and number is None:
            raise _Refused("", "has a completed_by without email or id: it names nobody, and annotations of "
                               "different people would merge")
        return email, number
    if _is_id(who):
        return None, _scalar_text(who)
    raise _Refused("", "has no completed_by (who annotated it)" if who is None else
                   f"has completed_by {who!r}, which names nobody (expected a user id or user object)")


def _label_studio_choices(result: Any) -> list[str]:
    if not isinstance(result, list):
        raise _Refused("", "has a result that is not a list")
    chosen: list[str] = []
    for number, item in enumerate(result, 1):
        if not isinstance(item, dict):
            raise _Refused(f"result {number}", "is not a JSON object")
        kind = item.get("type")
        value = item.get("value")
        if kind not in LABEL_STUDIO_RESULT_TYPES:
            raise _Refused(f"result {number}", f"has type {kind!r}; a single-label classification is read from "
                                               f"{' and '.join(LABEL_STUDIO_RESULT_TYPES)} results only "
                                               "(use this project's label_config.xml)")
        if not isinstance(value, dict):
            raise _Refused(f"result {number}", "has no value object")
        if kind == "choices":
            choices = value.get("choices", [])
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                raise _Refused(f"result {number}", "has value.choices that is not a list of tag names")
            chosen += choices
        else:
            paths = value.get("taxonomy", [])
            if not isinstance(paths, list) or not all(
                    isinstance(p, list) and p and all(isinstance(n, str) for n in p) for p in paths):
                raise _Refused(f"result {number}", "has value.taxonomy that is not a list of paths of tag names")
            chosen += [p[-1] for p in paths]
    return chosen


def _read_label_studio(tool: Tool, path: Path, source_file: str, reading: Reading) -> list[str]:
    try:
        tasks = _loads(_text(path))
    except json.JSONDecodeError as exc:
        return [f"line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}"]
    if not isinstance(tasks, list):
        return [f"expected a JSON array of tasks (Label Studio's JSON export), found a JSON "
                f"{'object' if isinstance(tasks, dict) else type(tasks).__name__}"]
    problems = []
    for number, task in enumerate(tasks, 1):
        where = f"task {number}" + (f" (Label Studio id {task.get('id')})" if isinstance(task, dict) and "id" in task else "")
        try:
            if not isinstance(task, dict):
                raise _Refused("", "is not a JSON object")
            ambiguity = _ambiguity(task)
            if ambiguity:
                raise _Refused("", ambiguity)
            data = task.get("data")
            if not isinstance(data, dict) or not _is_id(data.get("id")):
                raise _Refused("", "has no data.id (the project id): import the tasks this project exports "
                                   "(exports/annotation/tasks.label_studio.json)")
            annotations = task.get("annotations", [])
            if not isinstance(annotations, list):
                raise _Refused("", "has annotations that are not a list")
            for index, annotation in enumerate(annotations, 1):
                try:
                    if not isinstance(annotation, dict):
                        raise _Refused("", "is not a JSON object")
                    email, user = _label_studio_user(annotation)
                    reading.records.append(_record(
                        tool, source_file, number, index,
                        source_annotation_id=_scalar_text(annotation.get("id")),
                        raw_project_id=_scalar_text(data["id"]),
                        annotator=email or f"label_studio:user:{user}",
                        choices=_label_studio_choices(annotation.get("result", [])),
                        was_cancelled=_flag(annotation, "was_cancelled"),
                        is_ground_truth=_flag(annotation, "ground_truth"),
                        lead_time_seconds=_seconds(annotation.get("lead_time"), "lead_time"),
                        annotated_at=_iso_time(annotation.get("updated_at"), "updated_at"),
                    ) | {"_email": email, "_user": user, "_task": _scalar_text(task.get("id")),
                         "_created": _scalar_text(annotation.get("created_at"))})
                except _Refused as exc:
                    raise _Refused(f"annotation {index}", str(exc)) from None
        except _Refused as exc:
            problems.append(f"{where}, {exc}" if str(exc).startswith("annotation ") else f"{where}: {exc}")
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


# -- JSON lines (Doccano, Prodigy) ----------------------------------------------------------------
def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered non-blank lines; a line ends at ``\\n`` only (JSON strings may hold U+2028)."""
    for number, line in enumerate(_text(path).split("\n"), 1):
        line = line.removesuffix("\r")
        if line.strip():
            yield number, line


def _project_id(record: dict[str, Any]) -> Any:
    meta = record.get("meta")
    return meta.get("id") if isinstance(meta, dict) and "id" in meta else record.get("project_id")


def _file_annotator(tool: Tool, source_file: str) -> str:
    return f"{tool.name}:{Path(source_file).stem}"


def _doccano(tool: Tool, source_file: str, number: int, line: dict[str, Any]) -> dict[str, Any]:
    if not _is_id(_project_id(line)):
        raise _Refused("", "has no project id (meta.id, as in this project's doccano tasks, or project_id)")
    label = line.get("label", [])
    if isinstance(label, str):
        label = [label]
    if not isinstance(label, list) or not all(isinstance(item, str) for item in label):
        raise _Refused("", "has a label that is not a list of tag names (a text-classification export; "
                           "span labels are not tags)")
    annotator = _scalar_text(line.get("user")) or _scalar_text(line.get("annotator"))
    return _record(tool, source_file, number, 1, source_annotation_id=_scalar_text(line.get("id")),
                   raw_project_id=_scalar_text(_project_id(line)),
                   annotator=annotator or _file_annotator(tool, source_file), choices=label,
                   was_cancelled=False, is_ground_truth=False)


def _prodigy(tool: Tool, source_file: str, number: int, line: dict[str, Any]) -> dict[str, Any]:
    answer = line.get("answer")
    if answer not in PRODIGY_ANSWERS:
        raise _Refused("", f"has answer {answer!r}; expected one of {', '.join(PRODIGY_ANSWERS)}")
    meta = line.get("meta")
    if not (isinstance(meta, dict) and _is_id(meta.get("id"))):
        raise _Refused("", "has no project id (meta.id, as in this project's prodigy tasks)")
    accept = line.get("accept")
    binary_label = None  # the choice interface answers for every option at once
    if accept is not None:
        if not isinstance(accept, list) or not all(
                isinstance(a, (str, int)) and not isinstance(a, bool) for a in accept):
            raise _Refused("", "has an accept that is not a list of option ids")
        choices = [str(a) for a in accept]
    elif isinstance(line.get("label"), str):
        choices = [line["label"]] if answer == "accept" else []
        binary_label = line["label"]
    else:
        raise _Refused("", "has neither accept (choice interface) nor label (binary classification)")
    annotator = _scalar_text(line.get("_annotator_id")) or _scalar_text(line.get("_session_id"))
    return _record(tool, source_file, number, 1, source_annotation_id=_scalar_text(line.get("_task_hash")),
                   raw_project_id=_scalar_text(meta["id"]),
                   annotator=annotator or _file_annotator(tool, source_file), choices=choices,
                   was_cancelled=False, answer=answer, binary_label=binary_label, is_ground_truth=False,
                   annotated_at=_epoch_time(line.get("_timestamp"), "_timestamp"))


def _read_json_lines(tool: Tool, path: Path, source_file: str, reading: Reading) -> list[str]:
    unpack: Callable[[Tool, str, int, dict[str, Any]], dict[str, Any]] = _doccano if tool.name == "doccano" else _prodigy
    problems = []
    for number, line in _lines(path):
        try:
            try:
                record = _loads(line)
            except json.JSONDecodeError as exc:
                raise _Refused(f"column {exc.colno}", f"not valid JSON: {exc.msg}") from None
            if not isinstance(record, dict):
                raise _Refused("", "is not a JSON object")
            ambiguity = _ambiguity(record)
            if ambiguity:
                raise _Refused("", ambiguity)
            reading.records.append(unpack(tool, source_file, number, record))
        except _Refused as exc:
            problems.append(f"line {number}{' ' if str(exc).startswith('column ') else ': '}{exc}")
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


# -- the folder -----------------------------------------------------------------------------------
def _refusal(entry: Path, shown: str, tool: Tool | None) -> str:
    """Why ``entry`` (not an export file of its folder) is refused, and what to do instead."""
    name = f"{shown}/{tool.name + '/' if tool else ''}{entry.name}"
    if entry.is_symlink() and not entry.exists():
        return f"{name}: a symbolic link to {entry.readlink()}, which does not exist; fix or remove the link"
    if tool is None:
        if entry.is_dir():
            return (f"{name}/: not a tool's folder, so nothing in it is read; annotation exports go in "
                    f"{', '.join(shown + '/' + t.name + '/' for t in TOOLS)}")
        return (f"{name}: an export file outside the tools' folders is not read; move it into "
                f"{shown}/label_studio/ (Label Studio .json), {shown}/doccano/ or {shown}/prodigy/ (.jsonl)")
    if entry.is_dir():
        return (f"{name}/: a folder inside {tool.name}/ is not read; move its exports up into "
                f"{shown}/{tool.name}/")
    for suffix, instead in tool.instead:
        if entry.suffix.lower() == suffix:
            return f"{name}: {instead}"
    return (f"{name}: not read: {tool.name}/ holds {tool.described} files named *{tool.suffix}; rename it if "
            f"it is one, or move it out of the annotations folder")


def listed_files(folder: Path, shown: str) -> tuple[list[tuple[Tool, Path]], list[str]]:
    """Every export file of the folder, by tool and name, and the refusal of every other entry."""
    files: list[tuple[Tool, Path]] = []
    problems: list[str] = []
    tools = {tool.name: tool for tool in TOOLS}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        tool = tools.get(entry.name)
        if tool is None or not entry.is_dir():
            if entry.is_file() and entry.name.lower() in README_NAMES:
                continue
            problems.append(_refusal(entry, shown, None))
            continue
        for file in sorted(entry.iterdir()):
            if file.name.startswith("."):
                continue
            if file.is_file() and file.suffix.lower() == tool.suffix:
                files.append((tool, file))
            else:
                problems.append(_refusal(file, shown, tool))
    return files, problems


class _Files:
    """Union-find over Label Studio files: the files known to come from one instance."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, name: str) -> str:
        self.parent.setdefault(name, name)
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def _same_annotation(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two records with one annotation id are that annotation pulled twice: the same
    task, project and person, created at the same moment (or, without ``created_at``, updated at
    the same moment with the same answer). Anything else is another instance's annotation."""
    def person(r: dict[str, Any]) -> tuple[Any, Any]:  # what both records say of who made it
        return (r["_user"] if a["_user"] is not None and b["_user"] is not None else None,
                r["_email"] if a["_email"] is not None and b["_email"] is not None else None)

    same = (a["_task"], a["raw_project_id"], person(a)) == (b["_task"], b["raw_project_id"], person(b))
    if a["_created"] is not None and b["_created"] is not None:
        return same and a["_created"] == b["_created"]
    return same and (a["annotated_at"], a["choices"]) == (b["annotated_at"], b["choices"])


def _identify_label_studio_users(records: list[dict[str, Any]]) -> list[str]:
    """Make one person one annotator across Label Studio files, or say why the files cannot.

    A user number names a person only within its instance. Files are known to come from one
    instance when they hold the same annotation (``_same_annotation``); they are known to come
    from several when one annotation id is another annotation in each. Within the files of one
    instance, a number that comes with an email in any of them is that email, and so are its
    bare appearances. A number that no email names stays ``label_studio:user:<n>``, which is one
    person only if nothing else could be that person: when the files cannot be shown to come
    from one instance, they are refused, naming the files to re-export with emails. Returns the
    problems; sets each record's ``annotator``."""
    studio = [r for r in records if r["tool"] == "label_studio"]
    files = _Files()
    first_of: dict[str, dict[str, Any]] = {}
    several: tuple[dict[str, Any], dict[str, Any]] | None = None
    for record in studio:
        files.find(record["source_file"])
        if record["source_annotation_id"] is None:
            continue
        first = first_of.setdefault(record["source_annotation_id"], record)
        if first is record or first["source_file"] == record["source_file"]:
            continue
        if _same_annotation(first, record):
            files.join(first["source_file"], record["source_file"])
        elif several is None:
            several = (first, record)
    instances: dict[str, list[dict[str, Any]]] = {}
    for record in studio:
        instances.setdefault(files.find(record["source_file"]), []).append(record)

    problems: list[str] = []
    unnamed: dict[str, set[str]] = {}  # file -> the user numbers no email names
    for group in instances.values():
        email_of: dict[str, dict[str, Any]] = {}  # user number -> the first record naming its email
        number_of: dict[str, dict[str, Any]] = {}  # email -> the first record naming its number
        for record in group:
            number, email = record["_user"], record["_email"]
            if number is None or email is None:
                continue
            earlier = email_of.setdefault(number, record)
            earlier = earlier if earlier["_email"] != email else number_of.setdefault(email, record)
            if (earlier["_user"], earlier["_email"]) != (number, email) and len(problems) < MAX_PROBLEMS:
                problems.append(
                    f"label_studio/: one Label Studio instance (files "
                    f"{', '.join(sorted({r['source_file'] for r in group}))}) has user {earlier['_user']} "
                    f"{earlier['_email']} in {earlier['source_file']} task {earlier['record_number']} and user "
                    f"{number} {email} in {record['source_file']} task {record['record_number']}: a user number "
                    "and an email name one person in an instance; one of the exports is wrong, re-export it")
        email_only = sorted({r["_email"] for r in group if r["_user"] is None and r["_email"] not in number_of})
        for record in group:
            if record["_email"] is None:
                named = email_of.get(record["_user"])
                if named is not None:
                    record["annotator"] = named["_email"]
                else:
                    unnamed.setdefault(record["source_file"], set()).add(record["_user"])
        if email_only and any(f in unnamed for f in {r["source_file"] for r in group}) and len(problems) < MAX_PROBLEMS:
            problems.append(
                f"label_studio/: in one Label Studio instance, {', '.join(email_only)} come without a user number "
                "and other annotations name only a user number, so the files cannot say who is who: re-export "
                "them with the users' emails (scripts/label_studio.py pull does)")
    if unnamed and len(instances) > 1 and len(problems) < MAX_PROBLEMS:
        listed = "; ".join(f"{name} (user {', '.join(sorted(numbers, key=lambda n: (len(n), n)))})"
                           for name, numbers in sorted(unnamed.items()))
        if several is not None:
            a, b = several
            found = (f"they come from at least two Label Studio instances (annotation id {a['source_annotation_id']} "
                     f"is one annotation in {a['source_file']} task {a['record_number']} and another in "
                     f"{b['source_file']} task {b['record_number']})")
        else:
            found = (f"nothing in them shows that they come from one Label Studio instance ({len(instances)} groups "
                     "of files share no annotation)")
        problems.append(
            f"label_studio/: {len(files.parent)} files, and {found}; a user number names a person only within "
            f"its instance, so these annotators cannot be told apart: {listed}. Re-export these files with the "
            "users' emails (scripts/label_studio.py pull does), or keep one instance's files")
    return problems


def read_folder(folder: Path, shown: str, named: bool = False) -> Reading:
    """Parse every annotation file of ``folder`` (shown to people as ``shown``): the files, the
    records they hold and every problem. ``named``: the folder was named by the user
    (``LABELING_ANNOTATIONS_DIR``), so it must exist."""
    reading = Reading()
    if not folder.exists():
        if named or folder.is_symlink():
            reading.problems.append(
                f"{shown}: the annotations folder does not exist (LABELING_ANNOTATIONS_DIR names it); "
                f"create it, fix the name, or unset the variable to read {DEFAULT_DIR}")
        return reading
    if not folder.is_dir():
        reading.problems.append(f"{shown} is a file; the annotations folder must be a folder "
                                f"(with {', '.join(t.name + '/' for t in TOOLS)})")
        return reading
    reading.files, reading.problems = listed_files(folder, shown)
    for tool, path in reading.files:
        source_file = f"{tool.name}/{path.name}"
        read = _read_label_studio if tool.name == "label_studio" else _read_json_lines
        try:
            problems = read(tool, path, source_file, reading)
        except _Refused as exc:
            problems = [str(exc)]
        reading.problems += [f"{shown}/{source_file}{' ' if p.startswith(('line ', 'task ')) else ': '}{p} "
                             f"(expected {tool.described})" for p in problems]
    if not reading.problems:
        reading.problems = [f"{shown}/{p}" for p in _identify_label_studio_users(reading.records)]
    return reading


def configured_dir(root: Path | None = None) -> Path:
    """The annotations folder: ``LABELING_ANNOTATIONS_DIR``, default ``DEFAULT_DIR``, anchored on
    the project folder (or ``root``)."""
    return anchored(os.environ.get("LABELING_ANNOTATIONS_DIR") or DEFAULT_DIR, root)


def read_configured(folder: Path) -> Reading:
    """``read_folder`` of the annotations folder the environment names: ``folder`` is
    ``LABELING_ANNOTATIONS_DIR`` (which must then exist) or the default ``DEFAULT_DIR``, resolved
    by the caller; messages show it as the user wrote it."""
    named = os.environ.get("LABELING_ANNOTATIONS_DIR") or ""
    return read_folder(folder, named or DEFAULT_DIR, named=bool(named))


def record_line(record: dict[str, Any]) -> str:
    """One loaded record as a canonical JSON line (ASCII only, every column, nothing else)."""
    return json.dumps({column: record[column] for column in RECORD_COLUMNS}, ensure_ascii=True)


def write_records(reading: Reading, path: Path) -> Path:
    """Write the records of a reading that has no problems as JSON lines, for the engines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    records = [] if reading.problems else reading.records
    temporary.write_text("".join(record_line(r) + "\n" for r in records), encoding="ascii")
    temporary.replace(path)
    return path


def records_sql(path: Path | str) -> str:
    """DuckDB SQL reading the records file with its fixed schema (``RECORD_COLUMNS``)."""
    columns = ", ".join(f"{sql_string(name)}: {sql_string(kind)}" for name, kind in RECORD_COLUMNS.items())
    return (f"select * from read_json({sql_string(path)}, format = 'newline_delimited', "
            f"columns = {{{columns}}})")
