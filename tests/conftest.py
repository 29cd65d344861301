"""Shared fixtures: tiny drawn images, tiny models, and the local Hub-compatible server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hub_server import LocalHubServer
from PIL import Image, ImageDraw

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "datasets"
#: Debian's Chromium, which the browser tests drive through Playwright (never `playwright install`)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for a browser test module (the modules skip where Chromium or Playwright is missing)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def draw_pair(size: int = 64, seed: int = 0) -> tuple[Image.Image, Image.Image]:
    """A drawn (labels, photo)-like pair: flat coloured rectangles, and the same scene with texture."""
    rng = np.random.default_rng(seed)
    a = Image.new("RGB", (size, size), (0, 0, 170))
    draw = ImageDraw.Draw(a)
    for _ in range(4):
        x0, y0 = (int(v) for v in rng.integers(0, size - 8, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.rectangle(
            [x0, y0, x0 + int(rng.integers(4, size // 2)), y0 + int(rng.integers(4, size // 2))], fill=colour
        )
    noise = rng.normal(0, 12, (size, size, 3))
    b = Image.fromarray(np.clip(np.asarray(a, dtype=np.float64) * 0.8 + 30 + noise, 0, 255).astype(np.uint8))
    return a, b


@pytest.fixture
def side_by_side_dir(tmp_path: Path) -> Path:
    """A pix2pix layout folder with train (6 pairs) and val (2 pairs) splits of drawn 64x64 halves."""
    for split, count in (("train", 6), ("val", 2)):
        (tmp_path / "pairs" / split).mkdir(parents=True)
        for i in range(count):
            a, b = draw_pair(64, seed=i + (100 if split == "val" else 0))
            pair = Image.new("RGB", (128, 64))
            pair.paste(a, (0, 0))
            pair.paste(b, (64, 0))
            pair.save(tmp_path / "pairs" / split / f"{i + 1}.png")
    return tmp_path / "pairs"


@pytest.fixture(autouse=True)
def graph_cache_dir(tmp_path_factory, monkeypatch) -> Path:
    """Each test gets an empty disk cache of converted graphs and auto's choices (pix2pix_hub.graph_cache), so no
    test reads what another stored, and none writes to the user's cache."""
    folder = tmp_path_factory.mktemp("graph_cache")
    monkeypatch.setenv("PIX2PIX_HUB_CACHE", str(folder))
    return folder


@pytest.fixture(scope="session")
def hub_server():
    """The local Hub-compatible server (tests/hub_server.py), one per test session."""
    with LocalHubServer() as hub:
        yield hub


def run_python(code: str, env: dict[str, str], timeout: int = 300) -> dict:
    """Run `code` in a fresh interpreter with `env` added; it prints one JSON line, returned parsed."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **env}
    proc = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def local_hub_env(hub_server: LocalHubServer, hf_home: Path) -> dict[str, str]:
    """Environment for a fresh process that talks to the local server with `hf_home` as its cache."""
    return {
        "HF_ENDPOINT": hub_server.endpoint,
        "HF_HOME": str(hf_home),
        "HF_TOKEN": "hf_local_test_token",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
    }


@pytest.fixture
def hub_env(hub_server, tmp_path: Path) -> dict[str, str]:
    """`local_hub_env` with an empty cache of the test's own."""
    return local_hub_env(hub_server, tmp_path / "hf_home")
