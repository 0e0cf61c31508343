"""Round trips with a Label Studio server: tasks out, annotations back in.

``push`` creates the labeling project (or reuses the one with the same title) with the labeling
configuration the build exported (``exports/annotation/label_config.xml``, generated from the
tag taxonomy) and imports the build's tasks (``exports/annotation/tasks.label_studio.json``,
with the classifier's and the weak label's predictions). Tasks already in the project (same
project id in ``data.id``) are not imported twice, and the configuration is updated when the
taxonomy changed.

``pull`` exports the project's tasks with their annotations as JSON, with each annotator's email
(the export API's ``annotations__completed_by: {only_id: false}``), into the annotations folder
(``data/annotations/label_studio/<project title>.json``, written atomically, replacing the
previous pull of the same project). The next ``dbt build`` reads it.

Authentication (``--token`` or ``LABEL_STUDIO_API_KEY``): a personal access token (a JWT
refresh token, Label Studio 1.23's default: it is exchanged at ``/api/token/refresh/`` for an
access token) or a legacy token (``Token`` auth, when the organization enables it). Only the
Python standard library is used, so it runs in the project's venv (why not ``label-studio-sdk``,
measured: docs/annotation_loop.md).

Examples::

    python scripts/label_studio.py push --url http://127.0.0.1:8080
    python scripts/label_studio.py pull --url http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TITLE = "Made With ML labeling"


class LabelStudioError(Exception):
    """A problem talking to Label Studio, with what to do about it."""


class Client:
    """A minimal Label Studio REST client (JSON in, JSON out)."""

    def __init__(self, url: str, token: str, timeout: float = 60) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        if token.count(".") == 2:  # a personal access token (JWT refresh token)
            access = self._request("POST", "/api/token/refresh/", {"refresh": token}, auth=None)
            self.auth = f"Bearer {access['access']}"
        else:
            self.auth = f"Token {token}"

    def _request(self, method: str, path: str, body: Any = None, auth: str | None = "", raw: bool = False) -> Any:
        headers = {"Content-Type": "application/json"}
        if auth is not None:
            headers["Authorization"] = auth or self.auth
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")[:500]
            raise LabelStudioError(f"{method} {path}: HTTP {exc.code}: {detail}") from None
        except urllib.error.URLError as exc:
            raise LabelStudioError(f"cannot reach Label Studio at {self.url} ({exc.reason}); is it "
                                   "running? (make labelstudio)") from None
        if raw:
            return payload
        return json.loads(payload) if payload else None

    def get(self, path: str) -> Any:
        return self._request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self._request("POST", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self._request("PATCH", path, body)

    def download(self, path: str) -> bytes:
        return self._request("GET", path, raw=True)


def find_project(client: Client, title: str) -> dict[str, Any] | None:
    """The project with this title, if any."""
    page = client.get("/api/projects/?page_size=1000")
    for project in page.get("results", page if isinstance(page, list) else []):
        if project.get("title") == title:
            return project
    return None


def existing_project_ids(client: Client, project_id: int) -> set[int]:
    """The ``data.id`` of every task already in the Label Studio project."""
    ids: set[int] = set()
    page = 1
    while True:
        batch = client.get(f"/api/tasks/?project={project_id}&page={page}&page_size=500&fields=all")
        tasks = batch.get("tasks", []) if isinstance(batch, dict) else batch
        ids |= {int(t["data"]["id"]) for t in tasks if "id" in t.get("data", {})}
        if not tasks or len(tasks) < 500:
            return ids
        page += 1


def push(client: Client, exports: Path, title: str) -> dict[str, Any]:
    """Create or update the project with the exported config and import the new tasks."""
    config_path = exports / "annotation" / "label_config.xml"
    tasks_path = exports / "annotation" / "tasks.label_studio.json"
    for path in (config_path, tasks_path):
        if not path.exists():
            raise LabelStudioError(f"{path} does not exist: run make build first (dbt build exports it)")
    label_config = config_path.read_text(encoding="utf-8")
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    project = find_project(client, title)
    if project is None:
        project = client.post("/api/projects/", {"title": title, "label_config": label_config,
                                                 "description": "Tasks exported by the mwml_labeling dbt project"})
    elif project.get("label_config", "").strip() != label_config.strip():
        project = client.patch(f"/api/projects/{project['id']}/", {"label_config": label_config})
    known = existing_project_ids(client, project["id"])
    new = [t for t in tasks if int(t["data"]["id"]) not in known]
    if new:
        client.post(f"/api/projects/{project['id']}/import", new)
    return {"project": project["id"], "title": title, "tasks_in_export": len(tasks), "imported": len(new),
            "already_there": len(tasks) - len(new)}


def pull(client: Client, annotations_dir: Path, title: str, project_id: int | None = None) -> Path:
    """Export the project's annotations (with annotator emails) into the annotations folder."""
    if project_id is None:
        project = find_project(client, title)
        if project is None:
            raise LabelStudioError(f"no Label Studio project titled {title!r}; push tasks first")
        project_id = project["id"]
    snapshot = client.post(f"/api/projects/{project_id}/exports/", {
        "title": f"mwml_labeling pull {time.strftime('%Y-%m-%dT%H:%M:%S')}",
        "serialization_options": {"annotations__completed_by": {"only_id": False}},
    })
    for _ in range(120):
        status = client.get(f"/api/projects/{project_id}/exports/{snapshot['id']}")
        if status.get("status") == "completed":
            break
        if status.get("status") == "failed":
            raise LabelStudioError(f"Label Studio could not export project {project_id}: {status}")
        time.sleep(0.5)
    else:
        raise LabelStudioError(f"the export of project {project_id} did not complete in 60 s")
    payload = client.download(f"/api/projects/{project_id}/exports/{snapshot['id']}/download?exportType=JSON")
    json.loads(payload)  # fail here, not in the build, if it is not JSON
    folder = annotations_dir / "label_studio"
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-") or f"project-{project_id}"
    target = folder / f"{name}.json"
    handle, tmp = tempfile.mkstemp(prefix=".pull-", suffix=".tmp", dir=folder)
    with os.fdopen(handle, "wb") as out:
        out.write(payload)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="label_studio.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("LABEL_STUDIO_URL", "http://127.0.0.1:8080"),
                        help="Label Studio's address (default: $LABEL_STUDIO_URL or %(default)s)")
    parser.add_argument("--token", default=os.environ.get("LABEL_STUDIO_API_KEY"),
                        help="personal access token or legacy token (default: $LABEL_STUDIO_API_KEY)")
    parser.add_argument("--title", default=DEFAULT_TITLE, help="the project's title (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    push_parser = commands.add_parser("push", help="create or update the project and import the exported tasks")
    push_parser.add_argument("--exports", type=Path, default=PROJECT_DIR / "exports",
                             help="the export folder of the build (default: %(default)s)")
    pull_parser = commands.add_parser("pull", help="export the annotations into the annotations folder")
    pull_parser.add_argument("--annotations", type=Path,
                             default=Path(os.environ.get("LABELING_ANNOTATIONS_DIR", PROJECT_DIR / "data" / "annotations")),
                             help="the annotations folder (default: $LABELING_ANNOTATIONS_DIR or data/annotations)")
    pull_parser.add_argument("--project", type=int, help="the project's id (default: found by --title)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give a token with --token or LABEL_STUDIO_API_KEY (Label Studio: Account & Settings > "
                     "Personal Access Token)")
    try:
        client = Client(args.url, args.token)
        if args.command == "push":
            print(json.dumps(push(client, args.exports, args.title)))
        else:
            print(f"label_studio: wrote {pull(client, args.annotations, args.title, args.project)}")
    except LabelStudioError as exc:
        print(f"label_studio: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
