"""Where the page's files live: the page itself (`spaces/web/`), onnxruntime-web (installed there by `npm ci` from
the pinned package-lock.json) and the drawn examples; the server and the static build both read them here."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from ..errors import Pix2PixHubError
from ..input_kinds import draw_input

#: the page's source folder in this checkout (HTML, script, style, package.json pinning onnxruntime-web)
PAGE_DIR = Path(__file__).resolve().parent.parent.parent / "spaces" / "web"
#: the page's own files, served and deployed as they are
PAGE_FILES = ("index.html", "app.js", "style.css")
#: onnxruntime-web's build, as `npm ci` installs it
ORT_DIST = PAGE_DIR / "node_modules" / "onnxruntime-web" / "dist"
#: the onnxruntime-web files the page loads: the WebGPU build (WebGPU and WASM in one binary), and the plain WASM
#: build (half the download) for browsers without WebGPU
ORT_FILES = (
    "ort.webgpu.min.mjs",
    "ort-wasm-simd-threaded.asyncify.mjs",
    "ort-wasm-simd-threaded.asyncify.wasm",
    "ort.wasm.min.mjs",
    "ort-wasm-simd-threaded.mjs",
    "ort-wasm-simd-threaded.wasm",
)


def ort_file(name: str) -> Path:
    """One of `ORT_FILES` from node_modules; missing ones say how to install them."""
    path = ORT_DIST / name
    if name not in ORT_FILES or not path.is_file():
        raise Pix2PixHubError(
            f"{path}: onnxruntime-web is not installed; run scripts/setup.sh (or `npm ci` in {PAGE_DIR}) first"
        )
    return path


@functools.lru_cache(maxsize=64)
def example_png(task: str, seed: int, size: int) -> bytes:
    """The task's drawn example `seed` as PNG bytes (the Space's examples, drawn by the input kind)."""
    buffer = io.BytesIO()
    draw_input(task, size, seed).save(buffer, format="PNG")
    return buffer.getvalue()
