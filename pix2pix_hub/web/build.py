"""The page as a standalone static folder, deployable as a static Hugging Face Space: the page, onnxruntime-web's
files, the drawn examples, a manifest whose models are the Hub repos' `onnx/` files, and the Space's README."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from huggingface_hub import SpaceCardData

from ..errors import Pix2PixHubError
from ..metadata import PAPER_URL, REPO_URL
from ..tasks import ZOO_DIR
from .files import ORT_FILES, PAGE_DIR, PAGE_FILES, example_png, ort_file
from .manifest import build_manifest
from .server import ISOLATION_HEADERS

README_BODY = """
# pix2pix hub in your browser

Image-to-image translation with conditional adversarial networks ([Isola et al., CVPR 2017]({paper})), computed in
your browser with onnxruntime-web (WebGPU where the browser has it, else WASM with threads): pick a task, draw, and
the output follows, with no server doing the work. The models are the ONNX files of the zoo's Hub repos
({models}). Built by `pix2pix-hub build-web` from [pix2pix_hub]({code}); see its docs/web.md.
"""


def space_readme(manifest: dict) -> str:
    """The static Space's README: front matter (`sdk: static`, the models, cross-origin isolation headers for WASM
    threads) and a short description."""
    repos = [task["repo_id"] for task in manifest["tasks"]]
    card = SpaceCardData(
        title="pix2pix hub in your browser",
        sdk="static",
        app_file="index.html",
        license="mit",
        models=repos,
        tags=["pix2pix", "image-to-image", "onnx", "onnxruntime-web"],
        emoji="🎨",
        colorFrom="indigo",
        colorTo="yellow",
        pinned=False,
        short_description="pix2pix in the browser: draw, and the output follows",
        custom_headers={name.lower(): value for name, value in ISOLATION_HEADERS.items()}
        | {"cross-origin-resource-policy": "cross-origin"},
    )
    body = README_BODY.format(paper=PAPER_URL, code=REPO_URL, models=", ".join(f"`{r}`" for r in repos))
    return f"---\n{card.to_yaml()}\n---\n{body}"


def build_static(out_dir: str | Path, zoo_dir: str | Path = ZOO_DIR) -> Path:
    """Write the static Space into `out_dir` (which must be empty or absent) for the tasks with web models in
    `zoo_dir`; their `onnx/` folders must be on the Hub repos (docs/web.md says how)."""
    from ..space.app import CANVAS

    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise Pix2PixHubError(f"{out_dir}: not empty; give a new folder for the static Space")
    manifest = build_manifest(zoo_dir, source="hub")
    if not manifest["tasks"]:
        raise Pix2PixHubError(
            f"{zoo_dir}: no web models (<task>/onnx/*.onnx); write them with `pix2pix-hub export-web`"
        )
    ort_paths = [ort_file(name) for name in ORT_FILES]  # fail before writing anything when npm ci has not run
    (out_dir / "ort").mkdir(parents=True)
    (out_dir / "examples").mkdir()
    for name in PAGE_FILES:
        shutil.copy2(PAGE_DIR / name, out_dir / name)
    for path in ort_paths:
        shutil.copy2(path, out_dir / "ort" / path.name)
    for task in manifest["tasks"]:
        for seed, url in enumerate(task["examples"]):
            (out_dir / url).write_bytes(example_png(task["name"], seed, CANVAS[0]))
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (out_dir / "README.md").write_text(space_readme(manifest), encoding="utf-8")
    return out_dir


__all__ = ["build_static", "space_readme"]
