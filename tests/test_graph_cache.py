"""The disk cache of converted graphs and auto's choices (pix2pix_hub.graph_cache): miss then hit, a second
process reusing both, stale and corrupt entries rebuilt with a notice, two processes writing at once, and a cache
that cannot be written."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO_ROOT
from test_backends import MIN_PSNR_DB, need, psnr, tiny_generator

from pix2pix_hub import Pix2PixPipeline, graph_cache
from pix2pix_hub.backends import candidates

CPU = torch.device("cpu")


def text_entry(calls: list[str]):
    """A build/load pair that writes and reads one text file, counting builds."""

    def build(folder: Path) -> None:
        calls.append("build")
        (folder / "graph.txt").write_text("graph")

    return build, lambda folder: (folder / "graph.txt").read_text()


def test_a_miss_builds_once_then_every_call_hits(graph_cache_dir):
    calls: list[str] = []
    build, load = text_entry(calls)
    assert graph_cache.cached_graph("k", "openvino", build, load) == ("graph", False)
    assert graph_cache.cached_graph("k", "openvino", build, load) == ("graph", True)
    assert calls == ["build"]
    entry = graph_cache_dir / "graphs" / "k"
    assert sorted(p.name for p in entry.iterdir()) == ["graph.txt", "meta.json"]
    assert [p.name for p in entry.parent.iterdir()] == ["k"]  # no temporary folder left behind


def test_a_stale_entry_is_rebuilt_with_a_notice(graph_cache_dir, caplog):
    calls: list[str] = []
    build, load = text_entry(calls)
    graph_cache.cached_graph("k", "openvino", build, load)
    meta = graph_cache_dir / "graphs" / "k" / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "torch": "1.0"}))
    with caplog.at_level(logging.WARNING, logger="pix2pix_hub.graph_cache"):
        assert graph_cache.cached_graph("k", "openvino", build, load) == ("graph", False)
    assert calls == ["build", "build"]
    assert "is stale (torch 1.0 -> " in caplog.text and len(caplog.records) == 1


def test_a_corrupt_entry_is_rebuilt_with_a_notice_never_a_crash(graph_cache_dir, caplog):
    need("openvino")
    generator = tiny_generator(11)
    pipe = Pix2PixPipeline(generator, device="cpu", precision="fp32", backend="openvino")
    image = torch.rand(3, 64, 64) * 2 - 1
    expected = pipe(image, output_type="pt").image
    (entry,) = (graph_cache_dir / "graphs").iterdir()
    (entry / "model.xml").write_text("<net")  # a half-written or damaged file
    again = Pix2PixPipeline(tiny_generator(11), device="cpu", precision="fp32", backend="openvino")
    with caplog.at_level(logging.WARNING, logger="pix2pix_hub.graph_cache"):
        got = again(image, output_type="pt").image
    assert "cannot be read" in caplog.text and "rebuilding it" in caplog.text
    assert psnr(got[None], expected[None]) >= MIN_PSNR_DB
    assert (entry / "model.xml").read_text().startswith("<?xml")


def test_a_corrupt_or_stale_choice_is_measured_again(graph_cache_dir, caplog):
    graph_cache.write_choice("c", "openvino", {"torch fp32": 3.0, "openvino fp32": 2.0}, 1)
    assert graph_cache.read_choice("c") == {
        "backend": "openvino",
        "timings": {"torch fp32": 3.0, "openvino fp32": 2.0},
        "batch_size": 1,
    }
    path = graph_cache_dir / "choices" / "c.json"
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "facts": {**record["facts"], "cpu": "another CPU"}}))
    with caplog.at_level(logging.WARNING, logger="pix2pix_hub.graph_cache"):
        assert graph_cache.read_choice("c") is None
        path.write_text('{"backend": ')
        assert graph_cache.read_choice("c") is None
    assert "is stale (cpu another CPU -> " in caplog.text and "cannot be read" in caplog.text


def test_an_unwritable_cache_still_converts(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv(graph_cache.CACHE_ENV, str(blocker / "cache"))  # a folder can never be made under a file
    calls: list[str] = []
    with caplog.at_level(logging.WARNING, logger="pix2pix_hub.graph_cache"):
        assert graph_cache.cached_graph("k", "openvino", *text_entry(calls)) == ("graph", False)
        graph_cache.write_choice("c", "torch", {}, 1)
    assert calls == ["build"] and "not writable" in caplog.text


def test_the_cache_lives_under_hf_home_unless_overridden(monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.delenv(graph_cache.CACHE_ENV)
    assert graph_cache.cache_dir() == Path(constants.HF_HOME) / "pix2pix_hub"
    monkeypatch.setenv(graph_cache.CACHE_ENV, str(tmp_path))
    assert graph_cache.cache_dir() == tmp_path


def test_the_weights_hash_follows_the_weights_and_nothing_else():
    assert graph_cache.weights_hash(tiny_generator(1)) == graph_cache.weights_hash(tiny_generator(1))
    assert graph_cache.weights_hash(tiny_generator(1)) != graph_cache.weights_hash(tiny_generator(2))


CONVERT_IN_A_FRESH_PROCESS = """
import json, logging, sys
import torch
sys.path.insert(0, "tests")
from test_backends import tiny_generator
from pix2pix_hub import Pix2PixPipeline
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
pipe = Pix2PixPipeline(tiny_generator(12), device="cpu", precision="fp32")
pipe.choose_backend(torch.zeros(3, 64, 64))
out = pipe(torch.linspace(-1, 1, 3 * 64 * 64).reshape(3, 64, 64), output_type="pt").image
# the graph itself, whichever backend auto chose (a tiny model often runs fastest on torch, which needs none)
Pix2PixPipeline(tiny_generator(12), device="cpu", precision="fp32", backend="openvino")(torch.zeros(3, 64, 64))
print(json.dumps({"backend": pipe.backend_used, "sum": float(out.double().sum())}))
"""


@pytest.mark.slow
def test_two_processes_at_once_then_a_third_reuses_graph_and_choice(graph_cache_dir):
    need("openvino")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    def start() -> subprocess.Popen:
        command = [sys.executable, "-c", CONVERT_IN_A_FRESH_PROCESS]
        return subprocess.Popen(
            command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def finish(proc: subprocess.Popen) -> tuple[dict, str]:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        return json.loads(out.strip().splitlines()[-1]), err

    first, second = start(), start()
    results = [finish(first), finish(second)]
    graphs = sorted(p.name for p in (graph_cache_dir / "graphs").iterdir())
    assert all(not name.startswith(".") for name in graphs)  # no half-written entry left
    assert len(graphs) == len(candidates(CPU)) - 1  # one graph per graph runtime, written once
    assert len(list((graph_cache_dir / "choices").iterdir())) == 1
    third, log = finish(start())
    assert "graph cache: reusing" in log and "(stored choice)" in log
    assert third["backend"] in {result["backend"] for result, _ in results}
    assert third["sum"] == pytest.approx(results[0][0]["sum"], rel=1e-3)
