"""The annotation loop against a real Label Studio server (1.23.2, in .venv-labelstudio).

The test starts Label Studio on 127.0.0.1 with a temporary data folder (SQLite), exports tasks
from a build, creates the labeling project with the generated config and imports the tasks with
their predictions (``scripts/label_studio.py push``, authenticated with a personal access
token), posts annotations as three users through the REST API (some agreeing, some not, one
cancelled, one marked ground truth), exports the project as JSON (``scripts/label_studio.py
pull``) into the annotations folder, builds, and checks agreement, decisions, labeled_projects,
the provenance, the manifest and the snapshot.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from conftest import PIPELINE_ONLY, REPO, Project, run_script

LABEL_STUDIO = REPO / ".venv-labelstudio" / "bin" / "label-studio"
ADMIN = ("admin@example.com", "a" * 40)
ANNOTATORS = {"alice@example.com": "1" * 40, "bob@example.com": "2" * 40, "carol@example.com": "3" * 40}
TASK_IDS = [6, 9, 12, 15, 141]
# What each annotator answers (None: cancels the task); alice's answer on 141 is ground truth.
ANSWERS = {
    "alice@example.com": {6: "mlops", 9: "computer-vision", 12: "mlops", 15: None, 141: "time-series"},
    "bob@example.com": {6: "mlops", 9: "mlops", 12: "graph-learning", 141: "time-series"},
    "carol@example.com": {6: "computer-vision", 9: "computer-vision", 15: "reinforcement-learning",
                          141: "time-series"},
}


def call(url: str, method: str, path: str, token: str, body: object = None, scheme: str = "Token") -> object:
    request = urllib.request.Request(
        url + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"{scheme} {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        data = response.read()
    return json.loads(data) if data else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Label Studio server on 127.0.0.1 with an admin and three annotators (legacy tokens
    enabled for the test organization, for the annotators' API calls)."""
    if not LABEL_STUDIO.exists():
        if os.environ.get("CI"):
            pytest.fail("Label Studio is needed in CI (make test-deps installs it)")
        pytest.skip("Label Studio not installed (make labelstudio-setup)")
    data = tmp_path_factory.mktemp("label-studio")
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data), "HOME": str(data),
           "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true"}
    port = free_port()
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [str(LABEL_STUDIO), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data), "--username", ADMIN[0], "--password", "Admin-pass-123",
         "--user-token", ADMIN[1], "--enable-legacy-api-token"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # the first start migrates a SQLite database
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, (data / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "Label Studio did not start in 10 minutes"
            time.sleep(2)
        for email, token in ANNOTATORS.items():
            subprocess.run([str(LABEL_STUDIO), "init", "--data-dir", str(data), "--username", email,
                            "--password", "Annotator-pass-123", "--user-token", token],
                           env=env, check=True, capture_output=True, timeout=300)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_round_trip_with_label_studio(label_studio: str, project: Project) -> None:
    url = label_studio
    ids = ", ".join(map(str, TASK_IDS))
    project.build("--vars", f"{{annotation_task_source: ids, annotation_task_ids: [{ids}]}}")

    # Tasks out: the admin's personal access token (Label Studio 1.23's default auth).
    personal = call(url, "POST", "/api/token/", ADMIN[1])["token"]
    pushed = run_script("label_studio.py", "--url", url, "--token", personal, "push",
                        "--exports", str(project.exports), cwd=project.root)
    assert pushed.returncode == 0, pushed.stderr
    summary = json.loads(pushed.stdout)
    assert summary["imported"] == len(TASK_IDS)
    again = run_script("label_studio.py", "--url", url, "--token", personal, "push",
                       "--exports", str(project.exports), cwd=project.root)
    assert json.loads(again.stdout)["imported"] == 0  # nothing imported twice
    project_id = summary["project"]
    created = call(url, "GET", f"/api/projects/{project_id}/", ADMIN[1])
    assert created["label_config"].count("<Choice ") == 6
    tasks = call(url, "GET", f"/api/tasks/?project={project_id}&page_size=100&fields=all", ADMIN[1])["tasks"]
    task_of = {t["data"]["id"]: t["id"] for t in tasks}
    assert sorted(task_of) == sorted(TASK_IDS)
    assert all(t["total_predictions"] >= 1 for t in tasks)  # the classifier's suggestion came along

    # Annotations in Label Studio, each user with their own token.
    for email, answers in ANSWERS.items():
        for pid, tag in answers.items():
            body = ({"result": [], "was_cancelled": True} if tag is None else
                    {"result": [{"from_name": "tag", "to_name": "text", "type": "choices",
                                 "value": {"choices": [tag]}}],
                     "lead_time": 4.5, "ground_truth": email == "alice@example.com" and pid == 141})
            call(url, "POST", f"/api/tasks/{task_of[pid]}/annotations/", ANNOTATORS[email], body)

    # Annotations back: the export, with the annotators' emails, into the annotations folder.
    pulled = run_script("label_studio.py", "--url", url, "--token", personal, "pull",
                        "--annotations", str(project.root / "data" / "annotations"), cwd=project.root)
    assert pulled.returncode == 0, pulled.stderr
    export = project.root / "data" / "annotations" / "label_studio" / "Made-With-ML-labeling.json"
    assert export.exists()
    project.build(*PIPELINE_ONLY)

    audit = project.query("select annotator, project_id, outcome, reason from annotation_audit order by all")
    assert ("alice@example.com", 15, "left_out", "cancelled") in audit
    assert sum(1 for *_, outcome, _ in audit if outcome == "loaded") == 12
    votes = dict(project.query("select id, consensus_status from annotation_votes"))
    assert votes == {6: "consensus", 9: "consensus", 12: "tie", 15: "too_few_annotators", 141: "consensus"}
    labels = dict(project.query("select id, tag from labeled_projects where id in (6, 9, 12, 15, 141)"))
    assert labels == {6: "mlops", 9: "computer-vision", 12: "mlops", 15: "reinforcement-learning",
                      141: "time-series"}
    provenance = dict(project.query("select id, label_source from label_provenance where id in (6, 12, 141)"))
    assert provenance == {6: "annotation_consensus", 12: "tags_csv", 141: "annotation_consensus"}
    assert dict(project.query("select id, reason from adjudication_queue")) == {12: "tie", 15: "too_few_annotators"}

    # Agreement, against sklearn on what was posted.
    answered = {e: {p: t for p, t in a.items() if t} for e, a in ANSWERS.items()}
    pairs = {(a, b): k for a, b, k in project.query(
        "select annotator_a, annotator_b, cohens_kappa from annotator_pair_agreement")}
    for (a, b), kappa in pairs.items():
        shared = sorted(set(answered[a]) & set(answered[b]))
        expected = cohen_kappa_score([answered[a][p] for p in shared], [answered[b][p] for p in shared])
        assert kappa == pytest.approx(expected, abs=1e-9), (a, b)
    gold = dict(project.query("select annotator, agreement_with_gold from annotator_agreement"))
    assert gold["bob@example.com"] == 1.0 and gold["carol@example.com"] == 1.0
    assert gold["alice@example.com"] is None  # her own gold answer is not a test of her

    manifest = json.loads((project.exports / "manifest.json").read_text())
    assert manifest["label_sources"]["annotation_consensus"] == 3
    assert "annotations/label_studio/Made-With-ML-labeling.json" in manifest["inputs"]
    assert project.query("select tag, label_source from snapshots.label_history where id = 141") == [
        ("time-series", "annotation_consensus")]
    shutil.rmtree(project.root / "data" / "annotations" / "label_studio")
