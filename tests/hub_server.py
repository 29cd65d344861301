"""A small Hub-API-compatible HTTP server for tests (a fixture of this project, not a product).

The real Hub cannot be reached from CI, so tests point `HF_ENDPOINT` at this server on 127.0.0.1 and exercise the
real `huggingface_hub` client over HTTP: `create_repo`, `upload_folder`/`create_commit` (every file is uploaded
"regular", base64 in the commit, so no LFS or Xet storage is needed), `model_info`/`repo_info`, and
`hf_hub_download` (HEAD + GET on `/resolve/`). Repos live in memory; each commit is a full snapshot.
Run it alone with `python tests/hub_server.py PORT` to try the CLI against it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}


class HubState:
    """repo key (type, id) -> list of commits; a commit is (sha, {path: bytes})."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], list[tuple[str, dict[str, bytes]]]] = {}
        #: collection slug -> the collection as the Hub API returns it
        self.collections: dict[str, dict] = {}
        self.lock = threading.Lock()

    def create_collection(self, payload: dict) -> tuple[int, dict]:
        """(status, collection): 409 with the existing one when the namespace has a collection of that title."""
        with self.lock:
            for collection in self.collections.values():
                if collection["owner"]["name"] == payload["namespace"] and collection["title"] == payload["title"]:
                    return 409, collection
            slug = f"{payload['namespace']}/{payload['title'].lower().replace(' ', '-')}-{len(self.collections):024x}"
            self.collections[slug] = {
                "slug": slug,
                "title": payload["title"],
                "description": payload.get("description"),
                "owner": {"name": payload["namespace"]},
                "items": [],
                "lastUpdated": "2026-01-01T00:00:00.000Z",
                "position": 0,
                "private": payload.get("private", False),
                "theme": "default",
                "upvotes": 0,
            }
            return 200, self.collections[slug]

    def add_collection_item(self, slug: str, payload: dict) -> tuple[int, dict | None]:
        """(status, collection): 404 for an unknown collection, 409 when the item is in it already."""
        with self.lock:
            collection = self.collections.get(slug)
            if collection is None:
                return 404, None
            item = payload["item"]
            if any(i["id"] == item["id"] and i["type"] == item["type"] for i in collection["items"]):
                return 409, collection
            position = len(collection["items"])
            note = {"text": payload["note"]} if payload.get("note") else None
            collection["items"].append({"_id": f"{position:024x}", **item, "position": position, "note": note})
            return 200, collection

    def create(self, repo_type: str, repo_id: str) -> bool:
        with self.lock:
            if (repo_type, repo_id) in self.repos:
                return False
            sha = hashlib.sha1(f"init {repo_type} {repo_id}".encode()).hexdigest()
            self.repos[(repo_type, repo_id)] = [(sha, {".gitattributes": b""})]
            return True

    def snapshot(self, repo_type: str, repo_id: str, revision: str | None) -> tuple[str, dict[str, bytes]] | None:
        commits = self.repos.get((repo_type, repo_id))
        if not commits:
            return None
        if revision in (None, "main"):
            return commits[-1]
        return next((c for c in commits if c[0].startswith(revision)), None)

    def commit(self, repo_type: str, repo_id: str, lines: list[dict]) -> str:
        with self.lock:
            _, files = self.repos[(repo_type, repo_id)][-1]
            files = dict(files)
            for line in lines:
                value = line.get("value", {})
                if line["key"] == "file":
                    files[value["path"]] = base64.b64decode(value["content"])
                elif line["key"] == "deletedFile":
                    files.pop(value["path"], None)
                elif line["key"] == "deletedFolder":
                    files = {p: b for p, b in files.items() if not p.startswith(value["path"].rstrip("/") + "/")}
                elif line["key"] != "header":
                    raise ValueError(f"unsupported commit operation {line['key']}")
            digest = hashlib.sha1(
                json.dumps(sorted((p, hashlib.sha1(b).hexdigest()) for p, b in files.items())).encode()
            )
            sha = hashlib.sha1((self.repos[(repo_type, repo_id)][-1][0] + digest.hexdigest()).encode()).hexdigest()
            self.repos[(repo_type, repo_id)].append((sha, files))
            return sha


def _make_handler(state: HubState, base_url: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet test output
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict | None = None, content_type="application/json"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, payload, headers: dict | None = None) -> None:
            self._send(status, json.dumps(payload).encode(), headers)

        def _error(self, status: int, code: str, message: str) -> None:
            self._json(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _repo_info(self, repo_type: str, repo_id: str, revision: str | None) -> None:
            snap = state.snapshot(repo_type, repo_id, revision)
            if snap is None:
                return self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
            sha, files = snap
            self._json(
                200,
                {
                    "id": repo_id,
                    "modelId": repo_id,
                    "sha": sha,
                    "private": False,
                    "siblings": [{"rfilename": p, "size": len(b)} for p, b in sorted(files.items())],
                    "tags": [],
                },
            )

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            path = urlparse(self.path).path
            if path == "/api/validate-yaml":  # model-card metadata check before upload
                self._body()
                return self._json(200, {"errors": [], "warnings": []})
            if path == "/api/repos/create":
                payload = json.loads(self._body() or b"{}")
                repo_type = payload.get("type") or "model"
                repo_id = (
                    f"{payload['organization']}/{payload['name']}" if payload.get("organization") else payload["name"]
                )
                created = state.create(repo_type, repo_id)
                prefix = "" if repo_type == "model" else f"{repo_type}s/"
                status = 200 if created else 409
                return self._json(status, {"url": f"{base_url}/{prefix}{repo_id}", "name": repo_id})
            if path == "/api/collections":
                return self._json(*state.create_collection(json.loads(self._body())))
            match = re.fullmatch(r"/api/collections/(.+)/items", path)
            if match:
                status, collection = state.add_collection_item(unquote(match[1]), json.loads(self._body()))
                if collection is None:
                    return self._error(404, "NotFound", f"no collection {match[1]}")
                return self._json(status, collection)
            match = re.fullmatch(r"/api/(models|datasets|spaces)/(.+)/(preupload|commit)/([^/]+)", path)
            if not match:
                return self._error(404, "EntryNotFound", f"no route POST {path}")
            repo_type, repo_id, action = _TYPES[match[1]], unquote(match[2]), match[3]
            if state.snapshot(repo_type, repo_id, None) is None:
                return self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
            body = self._body()
            if action == "preupload":
                files = json.loads(body)["files"]
                return self._json(
                    200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]}
                )
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            sha = state.commit(repo_type, repo_id, lines)
            prefix = "" if repo_type == "model" else f"{repo_type}s/"
            self._json(200, {"commitUrl": f"{base_url}/{prefix}{repo_id}/commit/{sha}", "commitOid": sha})

        def do_HEAD(self) -> None:  # noqa: N802
            self.do_GET()

        def do_GET(self) -> None:  # noqa: N802
            path = urlparse(self.path).path
            if path.startswith("/api/collections/"):
                collection = state.collections.get(unquote(path.removeprefix("/api/collections/")))
                if collection is None:
                    return self._error(404, "NotFound", f"no route GET {path}")
                return self._json(200, collection)
            match = re.fullmatch(r"/api/(models|datasets|spaces)/(.+?)(?:/revision/([^/]+))?", path)
            if match:
                return self._repo_info(_TYPES[match[1]], unquote(match[2]), match[3] and unquote(match[3]))
            match = re.fullmatch(r"/(?:(datasets|spaces)/)?(.+)/resolve/([^/]+)/(.+)", path)
            if not match:
                return self._error(404, "EntryNotFound", f"no route GET {path}")
            repo_type = _TYPES[match[1]] if match[1] else "model"
            repo_id, revision, filename = unquote(match[2]), unquote(match[3]), unquote(match[4])
            snap = state.snapshot(repo_type, repo_id, revision)
            if snap is None:
                return self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
            sha, files = snap
            if filename not in files:
                return self._error(404, "EntryNotFound", f"{filename} does not exist at {revision}")
            data = files[filename]
            etag = '"' + hashlib.sha256(data).hexdigest() + '"'
            self._send(200, data, {"X-Repo-Commit": sha, "ETag": etag}, content_type="application/octet-stream")

    return Handler


class LocalHubServer:
    """Start with `with LocalHubServer() as hub:`; `hub.endpoint` is the `HF_ENDPOINT` to use."""

    def __init__(self, port: int = 0) -> None:
        self.state = HubState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), None)  # type: ignore[arg-type]
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.httpd.RequestHandlerClass = _make_handler(self.state, self.endpoint)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LocalHubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    with LocalHubServer(int(sys.argv[1]) if len(sys.argv) > 1 else 0) as hub:
        print(f"HF_ENDPOINT={hub.endpoint}", flush=True)
        threading.Event().wait()
