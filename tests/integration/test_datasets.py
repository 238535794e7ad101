"""Dataset folders over HTTP: folders, multipart uploads and ZIP archives land in datasets_dir and nowhere else."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from simpletuner.libs.testing.stack import Account, RunningStack, create_account

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"pixels" * 20


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


@pytest.fixture(scope="module")
def researcher(stack: RunningStack, admin: Account) -> Account:
    return create_account(stack, admin, "rita", ["researcher"])


def test_a_researcher_builds_a_dataset_that_browse_then_shows(stack: RunningStack, researcher: Account) -> None:
    datasets = stack.workspace / "datasets"
    with stack.http(headers=researcher.headers) as http:
        created = http.post("/api/datasets/folders", data={"parent_path": "", "folder_name": "cats"})
        assert created.status_code == 200, created.text
        assert created.json() == {"success": True, "path": "cats", "name": "cats", "error": None}
        assert http.post("/api/datasets/folders", data={"parent_path": "", "folder_name": "cats"}).status_code == 409
        nested = http.post("/api/datasets/folders", json={"parent_path": "cats", "folder_name": "zipped"})
        assert nested.status_code == 200 and nested.json()["path"] == "cats/zipped"

        files = [
            ("files", ("a.png", PNG, "image/png")),
            ("files[]", ("b.jpg", JPEG, "image/jpeg")),
            ("files", ("a.txt", b"a cat on a mat", "text/plain")),
            ("files", ("setup.exe", b"MZ\x90\x00", "application/octet-stream")),
        ]
        uploaded = http.post("/api/datasets/upload", data={"target_path": "cats"}, files=files)
        assert uploaded.status_code == 200, uploaded.text
        body = uploaded.json()
        assert (body["success"], body["files_uploaded"], body["files_skipped"]) == (True, 3, 1)
        assert body["target_path"] == "cats" and body["errors"][0].startswith("setup.exe: not a dataset file type")

        archive = zip_of({"set/c.png": PNG, "set/c.txt": b"another cat", "set/notes.md": b"skip me"})
        extracted = http.post(
            "/api/datasets/upload/zip",
            data={"target_path": "cats/zipped"},
            files={"file": ("set.zip", archive, "application/zip")},
        )
        assert extracted.status_code == 200, extracted.text
        assert (extracted.json()["files_uploaded"], extracted.json()["files_skipped"]) == (2, 1)

        top = http.get("/api/datasets/browse").json()
        inside = http.get("/api/datasets/browse", params={"path": "cats"}).json()
        zipped = http.get("/api/datasets/browse", params={"path": "cats/zipped/set"}).json()
    assert top["path"] == "" and top["parent"] is None and top["root"] == str(datasets.resolve())
    cats = next(e for e in top["entries"] if e["name"] == "cats")
    assert (cats["is_dir"], cats["image_count"], cats["caption_count"]) == (True, 2, 1)
    assert [e["name"] for e in inside["entries"]] == ["zipped", "a.png", "a.txt", "b.jpg"]
    assert inside["parent"] == "" and inside["entries"][1] == {
        "name": "a.png",
        "path": "cats/a.png",
        "is_dir": False,
        "size": len(PNG),
        "image_count": 0,
        "caption_count": 0,
    }
    assert [e["name"] for e in zipped["entries"]] == ["c.png", "c.txt"]
    assert (datasets / "cats" / "a.png").read_bytes() == PNG and not (datasets / "cats" / "setup.exe").exists()
    assert list((datasets / ".uploads").iterdir()) == []


def test_paths_that_leave_datasets_dir_answer_400_and_write_nothing(stack: RunningStack, researcher: Account) -> None:
    datasets = stack.workspace / "datasets"
    before = files_under(datasets)
    png = [("files", ("a.png", PNG, "image/png"))]
    with stack.http(headers=researcher.headers) as http:
        replies = [
            http.post("/api/datasets/folders", data={"parent_path": "..", "folder_name": "escaped"}),
            http.post("/api/datasets/folders", data={"parent_path": "", "folder_name": "../escaped"}),
            http.post("/api/datasets/upload", data={"target_path": "../escaped"}, files=png),
            http.post("/api/datasets/upload", data={"target_path": "/tmp"}, files=png),
            http.post("/api/datasets/upload", data={"target_path": "ok"}, files=[("files", ("../evil.png", PNG))]),
            http.post(
                "/api/datasets/upload/zip",
                data={"target_path": "ok"},
                files={"file": ("evil.zip", zip_of({"fine.png": PNG, "../../evil.png": PNG}))},
            ),
            http.get("/api/datasets/browse", params={"path": "../.."}),
        ]
        missing = http.get("/api/datasets/browse", params={"path": "no-such-folder"})
    assert [reply.status_code for reply in replies] == [400] * len(replies), [r.text for r in replies]
    assert all(reply.json()["reason"] == "ERROR_REASON_INVALID_ARGUMENT" for reply in replies)
    assert "'..'" in replies[0].json()["detail"]
    assert missing.status_code == 404
    assert files_under(datasets) == before
    assert not (stack.workspace / "escaped").exists() and not (stack.workspace / "evil.png").exists()


def test_a_viewer_may_browse_but_not_create_or_upload(stack: RunningStack, admin: Account) -> None:
    viewer = create_account(stack, admin, "vera", ["viewer"])
    with stack.http(headers=viewer.headers if viewer.api_key else {}) as http:
        if not viewer.api_key:  # viewers may not hold API keys: they use their session
            http.post("/api/auth/login", json={"username": viewer.username, "password": viewer.password})
            http.headers["Sec-Fetch-Site"] = "same-origin"
        browse = http.get("/api/datasets/browse")
        refused = [
            http.post("/api/datasets/folders", data={"parent_path": "", "folder_name": "viewer-was-here"}),
            http.post("/api/datasets/upload", data={"target_path": ""}, files=[("files", ("v.png", PNG))]),
            http.post("/api/datasets/upload/zip", data={"target_path": ""}, files={"file": ("v.zip", zip_of({}))}),
        ]
    assert browse.status_code == 200
    assert [reply.status_code for reply in refused] == [403, 403, 403]
    assert "datasets.upload" in refused[0].json()["detail"]
    assert not (stack.workspace / "datasets" / "viewer-was-here").exists()


def test_anonymous_callers_are_asked_to_sign_in(stack: RunningStack) -> None:
    with stack.http() as http:
        replies = [
            http.get("/api/datasets/browse"),
            http.post("/api/datasets/folders", data={"parent_path": "", "folder_name": "anon"}),
            http.post("/api/datasets/upload", data={"target_path": ""}, files=[("files", ("a.png", PNG))]),
            http.post("/api/datasets/upload/zip", data={"target_path": ""}, files={"file": ("a.zip", zip_of({}))}),
        ]
    assert [reply.status_code for reply in replies] == [401] * 4


def test_folders_and_uploads_are_audited(stack: RunningStack, admin: Account, researcher: Account) -> None:
    with stack.http(headers=researcher.headers) as http:
        http.post("/api/datasets/folders", data={"folder_name": "audited"}).raise_for_status()
        files = [("files", ("a.png", PNG))]
        http.post("/api/datasets/upload", data={"target_path": "audited"}, files=files).raise_for_status()

    def events() -> list[dict[str, Any]]:
        with stack.http(headers=admin.headers) as http:
            reply = http.get("/api/audit", params={"event_type": "dataset."})
        return [e for e in reply.json()["events"] if e["target_id"] == "audited"]

    deadline = time.monotonic() + 10
    while {e["event_type"] for e in events()} != {"dataset.folder_created", "dataset.uploaded"}:
        assert time.monotonic() < deadline, events()
        time.sleep(0.2)
    uploaded = next(e for e in events() if e["event_type"] == "dataset.uploaded")
    assert uploaded["actor_id"] == researcher.user_id and uploaded["target_type"] == "dataset"
    assert uploaded["details"]["files_uploaded"] == 1 and uploaded["details"]["target"] == "audited"


def test_files_larger_than_one_streamed_chunk_arrive_whole(stack: RunningStack, researcher: Account) -> None:
    big = bytes(range(256)) * (5 * 1024 * 1024 // 256 // 2)  # 2.5 MiB: three chunks on the way to the config service
    archive = zip_of({"big.png": big})
    with stack.http(headers=researcher.headers) as http:
        plain = http.post("/api/datasets/upload", data={"target_path": "big"}, files=[("files", ("big.png", big))])
        zipped = http.post(
            "/api/datasets/upload/zip", data={"target_path": "big/zip"}, files={"file": ("b.zip", archive)}
        )
    assert plain.json()["files_uploaded"] == 1 and zipped.json()["files_uploaded"] == 1, (plain.text, zipped.text)
    datasets = stack.workspace / "datasets"
    assert (datasets / "big" / "big.png").read_bytes() == big == (datasets / "big" / "zip" / "big.png").read_bytes()
