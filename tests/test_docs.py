"""The README's and docs' Python snippets run as written, in a scratch folder holding the files they name
(`labels.png`, `a.png`, `b.jpg`, `../shared/datasets/facades`), offline but for the local Hub server.

A snippet that cannot run here is marked in the Markdown with `<!-- no-test: reason -->` on the line before it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, draw_pair
from PIL import Image

from pix2pix_hub.input_kinds import draw_input

DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
SNIPPET = re.compile(r"(?:<!-- no-test: (?P<reason>[^>]*?) -->\n)?^```python\n(?P<code>.*?)^```", re.S | re.M)


def snippets() -> list:
    params = []
    for path in DOCUMENTS:
        text = path.read_text()
        for match in SNIPPET.finditer(text):
            line = text.count("\n", 0, match.start("code"))
            marks = pytest.mark.skip(reason=match["reason"]) if match["reason"] else ()
            params.append(pytest.param(match["code"], id=f"{path.name}:{line}", marks=marks))
    return params


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A working folder with the files the snippets name, and a small facades-like A|B folder beside it."""
    work = tmp_path / "work"
    work.mkdir()
    labels = draw_input("facades-labels2photo", 256, 0).convert("RGB")
    labels.save(work / "labels.png")
    labels.save(work / "a.png")
    draw_pair(256, seed=1)[0].save(work / "b.jpg")
    facades = tmp_path / "shared" / "datasets" / "facades" / "train"
    facades.mkdir(parents=True)
    for i in range(2):
        a, b = draw_pair(256, seed=i)
        pair = Image.new("RGB", (512, 256))
        pair.paste(a, (0, 0))
        pair.paste(b, (256, 0))
        pair.save(facades / f"{i + 1}.jpg")
    return work


def test_the_documents_have_snippets():
    assert len(snippets()) >= 5


@pytest.mark.parametrize("code", snippets())
def test_snippet_runs_as_written(code: str, scratch: Path, hub_env: dict[str, str]):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **hub_env}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=scratch, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{code}\n---\n{proc.stderr[-3000:]}"


def test_evaluation_doc_names_every_bundled_segmenter():
    text = (REPO_ROOT / "docs" / "evaluation.md").read_text()
    segmenters = sorted(p.name for p in (REPO_ROOT / "model_zoo").glob("segmenter-*") if (p / "config.json").is_file())
    assert segmenters and all(f"model_zoo/{name}/" in text for name in segmenters), segmenters
    assert "no facades segmenter" not in text
