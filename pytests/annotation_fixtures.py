"""Annotation files in each tool's documented export format, written from plain ratings.

``ratings`` maps an annotator to ``{project id: tag}``; the writers turn them into what the tool
exports, so that tests state what annotators said and check what the project makes of it:

* Label Studio: the JSON export (an array of tasks, ``data.id`` the project id, ``annotations``
  with ``completed_by`` as the user object of the export API's ``only_id: false`` option);
* Doccano: one JSONL file per annotator (``<user>.jsonl``, as Doccano exports them), with
  ``text``, ``label`` and ``meta.id``;
* Prodigy: ``db-out`` JSONL with the choice interface (``options``, ``accept``, ``answer``,
  ``meta.id``, ``_annotator_id``, ``_timestamp``).
"""

from __future__ import annotations

import json
from pathlib import Path

Ratings = dict[str, dict[int, str]]


def choices_result(tag: str) -> list[dict]:
    """A Label Studio result choosing ``tag`` in the project's config (Choices ``tag``)."""
    return [{"from_name": "tag", "to_name": "text", "type": "choices", "value": {"choices": [tag]}}]


def label_studio_tasks(ratings: Ratings, extra: dict[int, list[dict]] | None = None) -> list[dict]:
    """Label Studio's JSON export of ``ratings`` (plus raw ``extra`` annotations per project)."""
    annotators = sorted(ratings)
    projects = sorted({pid for given in ratings.values() for pid in given} | set(extra or {}))
    tasks, annotation_id = [], 0
    for task_id, pid in enumerate(projects, 1):
        annotations = []
        for user_id, annotator in enumerate(annotators, 1):
            if pid in ratings[annotator]:
                annotation_id += 1
                annotations.append({
                    "id": annotation_id,
                    "completed_by": {"id": user_id, "email": annotator, "first_name": "", "last_name": ""},
                    "result": choices_result(ratings[annotator][pid]),
                    "was_cancelled": False, "ground_truth": False,
                    "created_at": f"2026-11-01T10:{task_id:02d}:{user_id:02d}.000000Z",
                    "updated_at": f"2026-11-01T10:{task_id:02d}:{user_id:02d}.000000Z",
                    "lead_time": 10.0 + user_id,
                })
        annotations += (extra or {}).get(pid, [])
        tasks.append({"id": task_id, "annotations": annotations, "predictions": [],
                      "data": {"id": pid, "title": f"Project {pid}", "description": "", "text": f"Project {pid}"}})
    return tasks


def write_label_studio(folder: Path, ratings: Ratings, name: str = "export.json",
                       extra: dict[int, list[dict]] | None = None) -> Path:
    path = folder / "label_studio" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(label_studio_tasks(ratings, extra), indent=1), encoding="utf-8")
    return path


def write_doccano(folder: Path, ratings: Ratings) -> list[Path]:
    paths = []
    for annotator, given in sorted(ratings.items()):
        path = folder / "doccano" / f"{annotator}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(
            json.dumps({"id": n, "text": f"Project {pid}", "label": [tag], "meta": {"id": pid}}) + "\n"
            for n, (pid, tag) in enumerate(sorted(given.items()), 1)), encoding="utf-8")
        paths.append(path)
    return paths


def write_prodigy(folder: Path, lines: list[dict], name: str = "db-out.jsonl") -> Path:
    path = folder / "prodigy" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def prodigy_choice(annotator: str, pid: int, accept: list[str], answer: str = "accept",
                   timestamp: int = 1_790_000_000) -> dict:
    """One Prodigy choice-interface answer."""
    return {"text": f"Project {pid}", "options": [{"id": t, "text": t} for t in sorted(set(accept) | {"mlops"})],
            "accept": accept, "answer": answer, "meta": {"id": pid}, "_annotator_id": annotator,
            "_session_id": annotator, "_timestamp": timestamp, "_view_id": "choice"}
