"""The page served by `pix2pix-hub demo` at /web/: the page, its manifest, onnxruntime-web and the zoo's ONNX
files, all from this machine (no CDN), under cross-origin isolation headers so the page may run WASM threads.

Mounted on the Gradio app's own server through `launch(app_kwargs=web_app_kwargs(...))`: Gradio passes them to
the FastAPI app it creates, whose first routes these then are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from ..errors import Pix2PixHubError
from ..tasks import TASKS, ZOO_DIR
from .files import PAGE_DIR, PAGE_FILES, example_png, ort_file
from .manifest import LOCAL_MODELS, WEB_MODEL_FILES, build_manifest

#: where the page is mounted on the demo's server
WEB_PATH = "/web"
#: cross-origin isolation (SharedArrayBuffer, so onnxruntime-web may use WASM threads) on every response
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_EXAMPLE = re.compile(r"(?P<task>[a-z0-9-]+)-(?P<seed>\d+)\.png")


def web_app(zoo_dir: str | Path = ZOO_DIR) -> Starlette:
    """The page's ASGI app: `/` the page, `/manifest.json`, `/ort/<file>`, `/models/<task>/<web model file>`,
    `/examples/<task>-<seed>.png`."""
    zoo_dir = Path(zoo_dir)

    def isolated(response: Response) -> Response:
        response.headers.update(ISOLATION_HEADERS)
        return response

    def missing(message: str) -> Response:
        return isolated(PlainTextResponse(message, status_code=404))

    async def page(request: Request) -> Response:
        name = request.path_params.get("name") or "index.html"
        if name not in PAGE_FILES:
            return missing(f"no page file {name!r}")
        if not (PAGE_DIR / name).is_file():  # an installed package without the checkout's spaces/web/
            return missing(f"{PAGE_DIR / name}: the page ships in the source checkout (spaces/web/); run it from there")
        return isolated(FileResponse(PAGE_DIR / name))

    async def manifest(request: Request) -> Response:
        return isolated(JSONResponse(build_manifest(zoo_dir, source="local")))

    async def ort(request: Request) -> Response:
        try:
            path = ort_file(request.path_params["name"])
        except Pix2PixHubError as exc:
            return missing(str(exc))
        media = "application/wasm" if path.suffix == ".wasm" else "text/javascript"
        return isolated(FileResponse(path, media_type=media))

    async def model(request: Request) -> Response:
        task, file = request.path_params["task"], request.path_params["file"]
        path = zoo_dir / task / file
        if task not in TASKS or file not in WEB_MODEL_FILES.values() or not path.is_file():
            return missing(f"no web model {task}/{file}; write it with `pix2pix-hub export-web`")
        return isolated(FileResponse(path, media_type="application/octet-stream"))

    async def example(request: Request) -> Response:
        match = _EXAMPLE.fullmatch(request.path_params["name"])
        if match is None or match["task"] not in TASKS:
            return missing("no such example")
        from ..space.app import CANVAS

        png = example_png(match["task"], int(match["seed"]), CANVAS[0])
        return isolated(Response(png, media_type="image/png"))

    return Starlette(
        routes=[
            Route("/", page),
            Route("/manifest.json", manifest),
            Route("/ort/{name}", ort),
            Route(f"/{LOCAL_MODELS}/{{task}}/{{file:path}}", model),
            Route("/examples/{name}", example),
            Route("/{name}", page),
        ]
    )


def web_app_kwargs(zoo_dir: str | Path = ZOO_DIR) -> dict[str, Any]:
    """`launch(app_kwargs=...)` that mounts the page at `WEB_PATH` on the Gradio app's server (and sends
    `WEB_PATH` without its slash to the page, so its relative URLs resolve)."""

    async def to_page(request: Request) -> Response:
        return RedirectResponse(f"{WEB_PATH}/")

    return {"routes": [Route(WEB_PATH, to_page), Mount(WEB_PATH, app=web_app(zoo_dir))]}


__all__ = ["ISOLATION_HEADERS", "WEB_PATH", "web_app", "web_app_kwargs"]
