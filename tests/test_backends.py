"""Inference backends: each gives fp32 torch's output (PSNR >= 40 dB) at any batch and size, auto measures once
and says what it took, converted graphs follow weight changes, paper mode stays on torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import draw_pair

from pix2pix_hub import Pix2PixGenerator, Pix2PixHubError, Pix2PixPipeline
from pix2pix_hub import backends as backends_module
from pix2pix_hub.backends import (
    AUTO_MIN_IMAGES,
    BACKENDS,
    BF16_BACKENDS,
    backend_installed,
    candidates,
    check_backend,
    make_runner,
    resolve_runner,
)
from pix2pix_hub.evaluation.metrics import image_metrics

#: the tolerance every backend is held to against fp32 torch (issue 13)
MIN_PSNR_DB = 40.0
CPU = torch.device("cpu")
SHAPES = [(1, 3, 32, 32), (3, 3, 64, 96), (2, 3, 160, 32)]  # dynamic batch, height and width
#: the backends held to 40 dB; int8 has its own check (tests/test_quantization.py)
FLOAT_BACKENDS = [name for name in BACKENDS if name != "int8"]


def tiny_generator(seed: int = 0) -> Pix2PixGenerator:
    """A small U-Net with batch-norm statistics that are not the initial ones, in eval mode."""
    torch.manual_seed(seed)
    generator = Pix2PixGenerator(ngf=8, num_downs=5).train()
    with torch.no_grad():
        for _ in range(3):
            generator(torch.rand(4, 3, 64, 64) * 2 - 1)
    return generator.eval()


def psnr(output: torch.Tensor, target: torch.Tensor) -> float:
    return float(image_metrics((output + 1) / 2, (target + 1) / 2)["psnr"].min())


def need(name: str) -> None:
    if not backend_installed(name):
        pytest.skip(f"{name} is not installed ({backends_module.BACKEND_INSTALL[name]})")


@pytest.fixture(scope="module")
def generator() -> Pix2PixGenerator:
    return tiny_generator()


@pytest.mark.parametrize(
    ("name", "bf16"), [(name, False) for name in FLOAT_BACKENDS] + [(name, True) for name in BF16_BACKENDS]
)
def test_every_backend_matches_fp32_torch_at_any_shape(generator, name, bf16):
    need(name)
    runner = make_runner(name, generator, CPU, bf16)
    assert runner.label == f"{name} {'bf16' if bf16 else 'fp32'}"
    for shape in SHAPES:
        x = torch.rand(shape) * 2 - 1
        with torch.no_grad():
            expected = generator(x)
        got = runner(x)
        assert got.shape == expected.shape and got.dtype == torch.float32
        assert psnr(got, expected) >= MIN_PSNR_DB, (runner.label, shape)


def test_auto_takes_the_fastest_candidate_once_and_says_which(monkeypatch):
    generator = tiny_generator(1)
    built = []
    real_make_runner = backends_module.make_runner
    monkeypatch.setattr(
        backends_module, "make_runner", lambda name, *a, **k: built.append(name) or real_make_runner(name, *a, **k)
    )
    pipe = Pix2PixPipeline(generator, device="cpu", precision="fp32")
    assert pipe.backend == "auto" and pipe.backend_used is None
    img = draw_pair(64)[0]
    first = pipe(img, output_type="pt").image  # one image, no stored choice: torch, no conversion to pay for
    assert pipe.backend_used == "torch fp32" and built == []
    pipe.choose_backend(img)  # what the Space does in the background, and a large job does by itself
    out = pipe(img, output_type="pt").image
    assert psnr(out[None], first[None]) >= MIN_PSNR_DB
    names = candidates(CPU)
    assert pipe.backend_used.split()[0] in names
    assert pipe.backend_choice.timings.keys() == {f"{name} fp32" for name in names}
    assert pipe.backend_choice.batch_size == 1
    assert pipe.backend_choice.describe().startswith(pipe.backend_used)
    again = Pix2PixPipeline(generator, device="cpu", precision="fp32")  # a second pipeline, same model
    assert torch.equal(again(img, output_type="pt").image, out)
    assert again.backend_used == pipe.backend_used
    assert built == [name for name in names if name != "torch"]  # converted and measured once
    pipe([img, draw_pair(64, seed=1)[0]])  # a batch runs on the same choice: outputs do not depend on batching
    assert pipe.backend_choice.timings == again.backend_choice.timings and pipe.backend_choice.batch_size == 1
    assert built == [name for name in names if name != "torch"]
    with torch.no_grad():
        expected = generator(pipe.preprocess(img)[None])[0]
    assert psnr(out[None], expected[None]) >= MIN_PSNR_DB


def test_auto_converts_for_a_job_large_enough_to_pay_for_it():
    pipe = Pix2PixPipeline(tiny_generator(9), device="cpu", precision="fp32", batch_size=4)
    images = [draw_pair(64, seed=i)[0] for i in range(AUTO_MIN_IMAGES)]
    pipe(images[:1])
    assert pipe.backend_choice.timings == {}  # too small a job: torch without measuring
    pipe(images)
    names = candidates(CPU)
    assert pipe.backend_choice.timings.keys() == {f"{name} fp32" for name in names}
    assert pipe.backend_choice.batch_size == 4


def test_converted_graphs_follow_weight_changes_but_not_paper_mode():
    need("openvino")  # the cache is the same for every graph runtime; OpenVINO converts fastest
    generator = tiny_generator(2)
    pipe = Pix2PixPipeline(generator, device="cpu", precision="fp32", backend="openvino")
    img = draw_pair(64, seed=3)[0]
    before = pipe(img, output_type="pt").image
    runner = pipe.backend_choice.runner
    pipe(img, mode="paper", seed=0)  # writes the batch-norm statistics back in place: same values
    assert torch.equal(pipe(img, output_type="pt").image, before) and pipe.backend_choice.runner is runner
    generator.load_state_dict(tiny_generator(4).state_dict())
    after = pipe(img, output_type="pt").image
    with torch.no_grad():
        expected = generator(pipe.preprocess(img)[None])[0]
    assert psnr(after[None], expected[None]) >= MIN_PSNR_DB  # the new weights, not the converted old ones
    assert not torch.equal(after, before)


def test_paper_mode_runs_on_torch_whatever_the_backend(generator):
    need("openvino")
    img = draw_pair(64, seed=5)[0]
    on_openvino = Pix2PixPipeline(generator, device="cpu", precision="fp32", backend="openvino")
    on_torch = Pix2PixPipeline(generator, device="cpu", precision="fp32", backend="torch")
    assert np.array_equal(
        on_openvino(img, mode="paper", seed=1, output_type="np").image,
        on_torch(img, mode="paper", seed=1, output_type="np").image,
    )


def test_torch_alone_is_chosen_off_the_cpu_and_without_a_graph_runtime(generator, monkeypatch):
    assert candidates(torch.device("cuda")) == ["torch"]
    monkeypatch.setattr(backends_module, "backend_installed", lambda name: name == "torch")
    assert candidates(CPU) == ["torch"]
    choice = resolve_runner(tiny_generator(6), CPU, "auto", False, torch.zeros(1, 3, 32, 32))
    assert choice.runner.label == "torch fp32" and choice.timings == {}


def test_bad_backends_fail_with_the_fix(monkeypatch):
    with pytest.raises(Pix2PixHubError, match="backend must be one of auto, torch, openvino, onnxruntime"):
        Pix2PixPipeline(tiny_generator(), device="cpu", backend="tensorrt")
    with pytest.raises(Pix2PixHubError, match="runs on the CPU only"):
        check_backend("openvino", torch.device("cuda"))
    monkeypatch.setattr(backends_module, "backend_installed", lambda name: name == "torch")
    with pytest.raises(Pix2PixHubError, match="pip install openvino"):
        check_backend("openvino", CPU)
    with pytest.raises(Pix2PixHubError, match=r"pip install 'pix2pix_hub\[onnx\]'"):
        check_backend("onnxruntime", CPU)


def test_torch_bf16_falls_back_to_fp32_only_where_amx_gets_it_wrong(generator, monkeypatch):
    monkeypatch.setattr(backends_module, "cpu_features", lambda: type("F", (), {"amx": True})())
    side = generator.min_input_size
    assert backends_module.amx_bf16_is_wrong(generator, torch.zeros(1, 3, 5 * side, side))
    assert not backends_module.amx_bf16_is_wrong(generator, torch.zeros(1, 3, side, side))
    assert not backends_module.amx_bf16_is_wrong(generator, torch.zeros(1, 3, side, 5 * side))
    monkeypatch.setattr(backends_module, "cpu_features", lambda: type("F", (), {"amx": False})())
    assert not backends_module.amx_bf16_is_wrong(generator, torch.zeros(1, 3, 5 * side, side))


def test_translate_command_takes_a_backend_and_prints_the_one_it_ran(tmp_path, capsys):
    from pix2pix_hub.cli import main

    tiny_generator(7).save_pretrained(tmp_path / "model")
    draw_pair(64)[0].save(tmp_path / "in.png")
    args = ["translate", str(tmp_path / "model"), str(tmp_path / "in.png"), "-o", str(tmp_path / "out")]
    assert main([*args, "--backend", "torch"]) == 0
    assert "backend: torch" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([*args, "--backend", "tensorrt"])
