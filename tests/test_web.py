"""The in-browser page's Python side: its manifest agrees with the registries, the demo serves it with cross-origin
isolation and nothing outside its folders, and `build-web` writes a static Space whose README the Hub accepts."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from huggingface_hub import RepoCard
from PIL import Image

from pix2pix_hub import TASKS, get_task
from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.input_kinds import INPUT_KINDS, draw_input, get_input_kind
from pix2pix_hub.palettes import get_palette
from pix2pix_hub.web.files import ORT_DIST, ORT_FILES, PAGE_DIR
from pix2pix_hub.web.manifest import JS_STEPS, WEB_MODEL_FILES, build_manifest, js_step

WEB_TASKS = ("facades-labels2photo", "cityscapes-labels2photo", "colorization", "inpainting")
APP_JS = (PAGE_DIR / "app.js").read_text()


@pytest.fixture
def web_zoo(tmp_path: Path) -> Path:
    """A zoo whose tasks have config files and (stand-in) web model files; no task else."""
    for name in WEB_TASKS:
        (tmp_path / name / "onnx").mkdir(parents=True)
        shutil.copy(get_task(name).zoo_dir / "config.json", tmp_path / name)
        (tmp_path / name / WEB_MODEL_FILES["fp32"]).write_bytes(b"onnx")
    (tmp_path / "inpainting" / WEB_MODEL_FILES["int8"]).write_bytes(b"int8")
    return tmp_path


def test_manifest_follows_the_registries(web_zoo):
    manifest = build_manifest(web_zoo, source="local")
    assert [t["name"] for t in manifest["tasks"]] == [n for n in TASKS if n in WEB_TASKS]  # the registry's order
    for entry in manifest["tasks"]:
        task = get_task(entry["name"])
        kind = get_input_kind(task.input_kind)
        assert (entry["widget"], entry["hint"], entry["repo_id"]) == (kind.widget, kind.hint, task.hub_repo_id)
        assert entry["prepare"] == JS_STEPS.get(kind.prepare) and entry["keep_known"] == JS_STEPS.get(kind.keep_known)
        assert entry["min_input_size"] == 256  # the zoo's 8-level U-Nets
        if kind.name == "label_map":
            palette = get_palette(task.palette)
            assert [c["name"] for c in entry["palette"]["classes"]] == list(palette.class_names)
            assert [tuple(c["colour"]) for c in entry["palette"]["classes"]] == list(palette.colors)
            assert [tuple(c) for c in entry["palette"]["void_colours"]] == list(palette.void_colors)
        else:
            assert entry["palette"] is None
    inpainting = next(t for t in manifest["tasks"] if t["name"] == "inpainting")
    assert list(inpainting["models"]) == ["int8", "fp32"]  # the page offers int8 first
    assert inpainting["models"]["fp32"] == "models/inpainting/onnx/model.onnx"
    hub = build_manifest(web_zoo, source="hub")
    hub_inpainting = next(t for t in hub["tasks"] if t["name"] == "inpainting")
    assert hub_inpainting["models"]["int8"] == (
        "https://huggingface.co/pix2pix-hub/inpainting/resolve/main/onnx/model_quantized.onnx"
    )
    assert manifest["demo_url"] and hub["demo_url"] is None


def test_every_input_kind_runs_in_the_page():
    """Each kind's Python steps have a JavaScript twin in app.js, and app.js knows each kind's widget."""
    for kind in INPUT_KINDS.values():
        for step in ("prepare", "keep_known"):
            name = js_step(kind, step)
            assert name is None or re.search(rf"^\s+{name}\(", APP_JS, re.MULTILINE), f"app.js has no step {name}"
        assert f'"{kind.widget}"' in APP_JS or f"{kind.widget}:" in APP_JS, f"app.js has no widget {kind.widget}"
    untranslatable = replace(INPUT_KINDS["photo"], prepare=lambda task, image: image)
    with pytest.raises(Pix2PixHubError, match="no JavaScript twin"):
        js_step(untranslatable, "prepare")


def test_page_hard_codes_no_registry_fact():
    page = APP_JS + (PAGE_DIR / "index.html").read_text()
    for task in TASKS.values():
        assert task.name not in page and task.hub_repo_id not in page
    assert "facade" not in page.lower() and "#0000de" not in page.lower()


def test_demo_serves_the_page_isolated(web_zoo):
    from pix2pix_hub.web.server import ISOLATION_HEADERS, web_app_kwargs

    client = TestClient(FastAPI(**web_app_kwargs(web_zoo)))
    assert client.get("/web", follow_redirects=False).headers["location"] == "/web/"
    page = client.get("/web/")
    assert page.status_code == 200 and "app.js" in page.text
    for name, value in ISOLATION_HEADERS.items():
        assert page.headers[name] == value
    manifest = client.get("/web/manifest.json").json()
    assert {t["name"] for t in manifest["tasks"]} == set(WEB_TASKS)
    model = client.get("/web/models/inpainting/onnx/model_quantized.onnx")
    assert model.content == b"int8" and model.headers["cross-origin-embedder-policy"] == "require-corp"
    example = client.get("/web/examples/inpainting-1.png")
    assert example.headers["content-type"] == "image/png"
    assert Image.open(BytesIO(example.content)).tobytes() == draw_input("inpainting", 256, 1).tobytes()
    for path in (
        "/web/models/inpainting/config.json",
        "/web/models/inpainting/onnx/other.onnx",
        "/web/models/..%2F..%2Fpyproject.toml/onnx/model.onnx",
        "/web/ort/package.json",
        "/web/package.json",
        "/web/examples/nonsense-0.png",
    ):
        assert client.get(path).status_code == 404, path
    missing = client.get("/web/models/edges2shoes/onnx/model.onnx")
    assert missing.status_code == 404 and "export-web" in missing.text


@pytest.mark.skipif(
    not all((ORT_DIST / name).is_file() for name in ORT_FILES),
    reason=f"onnxruntime-web is not installed in {PAGE_DIR} (scripts/setup.sh runs npm ci there)",
)
def test_build_web_writes_a_static_space(web_zoo, tmp_path):
    from pix2pix_hub.cli import main

    out = tmp_path / "space"
    assert main(["build-web", str(out), "--zoo-dir", str(web_zoo)]) == 0
    for name in ["index.html", "app.js", "style.css", "manifest.json", "README.md", "examples/colorization-2.png"]:
        assert (out / name).is_file(), name
    assert sorted(p.name for p in (out / "ort").iterdir()) == sorted(ORT_FILES)
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(url.startswith("https://huggingface.co/") for t in manifest["tasks"] for url in t["models"].values())
    card = RepoCard.load(out / "README.md")
    assert card.data.sdk == "static" and card.data.app_file == "index.html"
    assert card.data.models == [t["repo_id"] for t in manifest["tasks"]]
    assert card.data.custom_headers["cross-origin-embedder-policy"] == "require-corp"
    assert main(["build-web", str(out), "--zoo-dir", str(web_zoo)]) == 2  # refuses a folder that is not empty
