"""The page's manifest: every fact the in-browser page needs, read from the registries, as one JSON document.

The page (`spaces/web/app.js`) hard-codes no task, palette, legend, input kind or repo id: it draws its task picker,
widgets, legends and pre- and post-processing from this manifest. Each Python preparation and keep-known step has
a named JavaScript twin (`JS_STEPS`); a kind whose step has none is refused here rather than served wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..drawing import HOLE_COLOUR
from ..errors import Pix2PixHubError
from ..input_kinds import INPUT_KINDS, InputKind, prepare_grayscale, prepare_label_map
from ..palettes import get_palette
from ..postprocess import HOLE_MARGIN, keep_luminance, keep_outside_hole
from ..quantization import FP32_FILE, INT8_FILE, ONNX_DIR
from ..tasks import TASKS, ZOO_DIR, Task

#: the web models of a model folder, by precision, in the order the page offers them (`pix2pix-hub export-web`)
WEB_MODEL_FILES = {"int8": f"{ONNX_DIR}/{INT8_FILE}", "fp32": f"{ONNX_DIR}/{FP32_FILE}"}
#: the page's JavaScript implementation of each Python preparation / keep-known step (spaces/web/app.js `STEPS`)
JS_STEPS = {
    prepare_label_map: "snap_to_palette",
    prepare_grayscale: "grayscale",
    keep_outside_hole: "keep_outside_hole",
    keep_luminance: "keep_luminance",
}
#: where the demo serves each task's web models, relative to the page (`web/server.py`)
LOCAL_MODELS = "models"
#: where models come from: served by `pix2pix-hub demo` next to the page, or the Hub when deployed statically
MODEL_SOURCES = ("local", "hub")
HUB_URL = "https://huggingface.co"
#: drawn examples per task (the page's "Examples" buttons)
NUM_EXAMPLES = 3


def js_step(kind: InputKind, step: str) -> str | None:
    """The name of the page's twin of `kind.<step>` ("prepare" or "keep_known"), None when the kind has none."""
    function = getattr(kind, step)
    if function is None:
        return None
    if function not in JS_STEPS:
        raise Pix2PixHubError(
            f"input kind {kind.name!r}: its {step} step {function.__name__!r} has no JavaScript twin in the web page; "
            "add one to spaces/web/app.js STEPS and to JS_STEPS in pix2pix_hub/web/manifest.py"
        )
    return JS_STEPS[function]


def web_tasks(zoo_dir: str | Path = ZOO_DIR) -> list[Task]:
    """The registry's tasks with a web model in `zoo_dir` (`<task>/onnx/model.onnx` or its int8 twin)."""
    zoo_dir = Path(zoo_dir)
    return [t for t in TASKS.values() if any((zoo_dir / t.name / f).is_file() for f in WEB_MODEL_FILES.values())]


def min_input_size(model_dir: Path) -> int:
    """Height and width multiple the model needs, from its config (what the pipeline pads to)."""
    from ..models import Pix2PixGenerator

    config = json.loads((model_dir / "config.json").read_text())
    return Pix2PixGenerator(**config).min_input_size


def model_urls(task: Task, zoo_dir: Path, source: str) -> dict[str, str]:
    """URL of each web model file of the task that exists in `zoo_dir`: relative to the page, or on the Hub."""
    if source not in MODEL_SOURCES:
        raise Pix2PixHubError(f"model source must be one of {MODEL_SOURCES}, got {source!r}")
    urls = {}
    for precision, name in WEB_MODEL_FILES.items():
        if (zoo_dir / task.name / name).is_file():
            base = f"{LOCAL_MODELS}/{task.name}" if source == "local" else f"{HUB_URL}/{task.hub_repo_id}/resolve/main"
            urls[precision] = f"{base}/{name}"
    return urls


def task_entry(task: Task, zoo_dir: Path, source: str) -> dict[str, Any]:
    kind = INPUT_KINDS[task.input_kind]
    palette = None
    if task.palette:
        p = get_palette(task.palette)
        palette = {
            "name": p.name,
            "classes": [{"name": n, "colour": list(c)} for n, c in zip(p.class_names, p.colors, strict=True)],
            "void_colours": [list(c) for c in p.void_colors],
        }
    return {
        "name": task.name,
        "description": task.description,
        "repo_id": task.hub_repo_id,
        "input_kind": kind.name,
        "widget": kind.widget,
        "hint": kind.hint,
        "palette": palette if kind.name == "label_map" else None,
        "prepare": js_step(kind, "prepare"),
        "keep_known": js_step(kind, "keep_known"),
        "shows_model_input": kind.shows_model_input,
        "min_input_size": min_input_size(zoo_dir / task.name),
        "models": model_urls(task, zoo_dir, source),
        "examples": [f"examples/{task.name}-{seed}.png" for seed in range(NUM_EXAMPLES)],
    }


def build_manifest(zoo_dir: str | Path = ZOO_DIR, source: str = "local") -> dict[str, Any]:
    """The manifest for the tasks with web models in `zoo_dir`, their models at `source` ("local" or "hub")."""
    from ..space.app import CANVAS, MASK_BRUSH  # the Space's canvas and mask brush, so both pages look alike

    zoo_dir = Path(zoo_dir)
    return {
        "canvas": list(CANVAS),
        "hole_colour": list(HOLE_COLOUR),
        "hole_margin": HOLE_MARGIN,
        "mask_brush": MASK_BRUSH,
        # served next to the Gradio app by `pix2pix-hub demo` (its page is one level up); a static Space has none
        "demo_url": "../" if source == "local" else None,
        "tasks": [task_entry(task, zoo_dir, source) for task in web_tasks(zoo_dir)],
    }


__all__ = ["JS_STEPS", "WEB_MODEL_FILES", "build_manifest", "js_step", "web_tasks"]
