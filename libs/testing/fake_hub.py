"""A small fake Hugging Face Hub for tests: the routes huggingface_hub's whoami, create_repo, repo_info and
upload_folder call, answering with the Hub's JSON shapes, served by uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simpletuner.libs.net import free_port

log = logging.getLogger(__name__)
START_TIMEOUT_S = 10.0
BAD_TOKEN = "Invalid credentials in Authorization header"  # the Hub's message; huggingface_hub keys on it
EMPTY_SHA = "0" * 40  # a new repository has no commit yet


@dataclass
class HubRepo:
    """One model repository: its visibility, the latest content of each path, and its commit messages."""

    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[str] = field(default_factory=list)  # messages, oldest first
    sha: str = EMPTY_SHA  # the head commit's oid


@dataclass
class FakeHub:
    """A running fake Hub. `tokens` maps an access token to its user; `orgs` a user to their organisations."""

    url: str
    root: Path  # each repository's files are also written under root/<owner>/<name>/
    tokens: dict[str, str]
    orgs: dict[str, list[str]]
    repos: dict[str, HubRepo] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request served

    def user(self, request: Request) -> str | None:
        """The user the request's bearer token belongs to; None without a known token."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return self.tokens.get(token) if scheme.lower() == "bearer" else None

    def may_write(self, user: str | None, namespace: str) -> bool:
        return user is not None and (namespace == user or namespace in self.orgs.get(user, []))

    def visible(self, repo_id: str, user: str | None) -> HubRepo | None:
        """The repository, unless it is missing or private to someone else (the Hub answers 404 for both)."""
        repo = self.repos.get(repo_id)
        if repo is None or (repo.private and not self.may_write(user, repo_id.split("/")[0])):
            return None
        return repo

    def store(self, repo_id: str, path: str, content: bytes | None) -> None:
        """Keep the latest content of a path (None deletes it), in memory and on disk."""
        repo = self.repos[repo_id]
        on_disk = self.root / repo_id / path
        if content is None:
            repo.files.pop(path, None)
            on_disk.unlink(missing_ok=True)
            return
        repo.files[path] = content
        on_disk.parent.mkdir(parents=True, exist_ok=True)
        on_disk.write_bytes(content)


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    # huggingface_hub reads the X-Error-* headers to pick its exception class, then shows the JSON error
    headers = {"X-Error-Message": message} | ({"X-Error-Code": code} if code else {})
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _unauthorized() -> JSONResponse:
    return _error(401, BAD_TOKEN)


def _repo_not_found() -> JSONResponse:
    return _error(404, "Repository not found", "RepoNotFound")


def _git_hash(content: bytes) -> str:
    """A regular file's oid as git (and huggingface_hub's unchanged-file check) computes it."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _repo_id(request: Request) -> str:
    return f"{request.path_params['namespace']}/{request.path_params['name']}"


def _writable(hub: FakeHub, request: Request) -> tuple[str, HubRepo] | JSONResponse:
    """The repository a write names, or the Hub's answer: 401 without a token, 404 when it cannot be seen,
    403 when it can be read but not written, 404 RevisionNotFound for a branch other than main."""
    user = hub.user(request)
    if user is None:
        return _unauthorized()
    repo_id = _repo_id(request)
    repo = hub.visible(repo_id, user)
    if repo is None:
        return _repo_not_found()
    if not hub.may_write(user, repo_id.split("/")[0]):
        return _error(403, f"You don't have the rights to write to {repo_id}")
    if request.path_params["revision"] != "main":
        return _error(404, "Invalid rev id: only main exists on the fake hub", "RevisionNotFound")
    return repo_id, repo


def _safe_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts


def build_app(hub: FakeHub) -> Starlette:
    """The fake Hub's routes over `hub`'s state (handlers run on one event loop, so state needs no lock)."""

    async def whoami(request: Request) -> Response:
        user = hub.user(request)
        if user is None:
            return _unauthorized()
        return JSONResponse(
            {
                "type": "user",
                "name": user,
                "orgs": [{"name": org} for org in hub.orgs.get(user, [])],
                "auth": {"type": "access_token", "accessToken": {"displayName": "test", "role": "write"}},
            }
        )

    async def create_repo(request: Request) -> Response:
        user = hub.user(request)
        if user is None:
            return _unauthorized()
        body = await request.json()
        if body.get("type") not in (None, "model"):
            return _error(400, f"the fake hub hosts model repositories only, not {body.get('type')}")
        namespace = body.get("organization") or user
        repo_id = f"{namespace}/{body.get('name')}"
        if not hub.may_write(user, namespace):
            return _error(403, f"You don't have the rights to create a model under the namespace {namespace}")
        if repo_id in hub.repos:
            # huggingface_hub's exist_ok reads the url from this answer
            return JSONResponse(
                {"error": "You already created this model repo", "url": f"{hub.url}/{repo_id}"}, status_code=409
            )
        private = body.get("visibility") == "private" or bool(body.get("private"))  # 2.x sends visibility
        hub.repos[repo_id] = HubRepo(private=private)
        return JSONResponse({"url": f"{hub.url}/{repo_id}", "name": repo_id, "id": uuid.uuid4().hex[:24]})

    async def model_info(request: Request) -> Response:
        repo_id = _repo_id(request)
        repo = hub.visible(repo_id, hub.user(request))
        if repo is None:
            return _repo_not_found()
        revision = request.path_params.get("revision", "main")
        if revision not in ("main", repo.sha):
            return _error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return JSONResponse(
            {
                "_id": repo_id,
                "id": repo_id,
                "modelId": repo_id,
                "author": repo_id.split("/")[0],
                "private": repo.private,
                "sha": repo.sha,
                "siblings": [{"rfilename": path} for path in sorted(repo.files)],
                "tags": [],
            }
        )

    async def no_owner(request: Request) -> Response:
        return _repo_not_found()  # every repository here has an owner (create_repo looks one up like this)

    async def validate_yaml(request: Request) -> Response:
        content = str((await request.json()).get("content", ""))
        if content.startswith("---"):
            try:
                yaml.safe_load(content.split("---", 2)[1])
            except (yaml.YAMLError, IndexError) as exc:
                return JSONResponse({"errors": [{"message": str(exc)}], "warnings": []}, status_code=400)
        return JSONResponse({"errors": [], "warnings": []})

    async def preupload(request: Request) -> Response:
        found = _writable(hub, request)
        if isinstance(found, Response):
            return found
        _, repo = found
        files = (await request.json()).get("files", [])
        # "regular": contents come inline in the commit, so the fake needs neither LFS nor Xet storage
        answers = [
            {
                "path": f["path"],
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": _git_hash(repo.files[f["path"]]) if f["path"] in repo.files else None,
            }
            for f in files
        ]
        return JSONResponse({"files": answers, "commitOid": repo.sha})

    async def commit(request: Request) -> Response:
        found = _writable(hub, request)
        if isinstance(found, Response):
            return found
        repo_id, repo = found
        lines = [json.loads(line) for line in (await request.body()).splitlines() if line.strip()]
        header = next((line["value"] for line in lines if line.get("key") == "header"), None)
        if header is None or not header.get("summary"):
            return _error(400, "the commit has no header line with a summary")
        changes: list[tuple[str, bytes | None]] = []
        for line in lines:
            key, value = line.get("key"), line.get("value", {})
            if key == "header":
                continue
            path = str(value.get("path", ""))
            if not _safe_path(path):
                return _error(400, f"invalid path in the commit: {path!r}")
            if key == "file" and value.get("encoding") == "base64":
                changes.append((path, base64.b64decode(value["content"])))
            elif key == "deletedFile":
                changes.append((path, None))
            else:  # lfsFile needs storage this fake does not have: the preupload answer never asks for it
                return _error(400, f"the fake hub cannot commit a {key!r} entry ({path})")
        for path, content in changes:
            hub.store(repo_id, path, content)
        repo.sha = hashlib.sha1(f"{repo_id}:{len(repo.commits)}:{uuid.uuid4()}".encode()).hexdigest()
        repo.commits.append(str(header["summary"]))
        return JSONResponse(
            {"commitUrl": f"{hub.url}/{repo_id}/commit/{repo.sha}", "commitOid": repo.sha, "success": True}
        )

    async def unknown(request: Request) -> Response:
        # loud: a route huggingface_hub now calls that the fake lacks should fail a test, not pass quietly
        log.error("fake hub: no route for %s %s", request.method, request.url.path)
        return _error(404, f"the fake hub has no route for {request.method} {request.url.path}")

    async def record(request: Request, call_next: RequestResponseEndpoint) -> Response:
        hub.requests.append((request.method, request.url.path))
        return await call_next(request)

    models = "/api/models/{namespace}/{name}"
    return Starlette(
        routes=[
            Route("/api/whoami-v2", whoami, methods=["GET"]),
            Route("/api/repos/create", create_repo, methods=["POST"]),
            Route("/api/validate-yaml", validate_yaml, methods=["POST"]),
            Route("/api/models/{name}", no_owner, methods=["GET"]),
            Route(models, model_info, methods=["GET"]),
            Route(models + "/revision/{revision}", model_info, methods=["GET"]),
            Route(models + "/preupload/{revision}", preupload, methods=["POST"]),
            Route(models + "/commit/{revision}", commit, methods=["POST"]),
            Route("/{path:path}", unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        ],
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=record)],
    )


@contextlib.contextmanager
def running_fake_hub(root: Path, tokens: dict[str, str], orgs: dict[str, list[str]] | None = None) -> Iterator[FakeHub]:
    """Serve a fake Hub on a free local port until the block ends."""
    port = free_port()
    hub = FakeHub(url=f"http://127.0.0.1:{port}", root=root, tokens=dict(tokens), orgs=dict(orgs or {}))
    config = uvicorn.Config(build_app(hub), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), name="fake-hub", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the fake hub did not start on port {port}")
        time.sleep(0.01)
    try:
        yield hub
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
