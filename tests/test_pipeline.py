"""Pix2PixPipeline: any size, every input and output type, both test-time modes, batching, folders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import draw_pair
from PIL import Image

from pix2pix_hub import Pix2PixGenerator, Pix2PixHubError, Pix2PixPipeline
from pix2pix_hub.pipeline import pad_to_multiple


@pytest.fixture
def pipe() -> Pix2PixPipeline:
    torch.manual_seed(0)  # exact fp32 torch: the backends have their own tests (test_backends.py)
    return Pix2PixPipeline(Pix2PixGenerator(ngf=8, num_downs=6), precision="fp32", backend="torch")


def test_output_has_the_input_size_for_any_size(pipe):
    for size in [(64, 64), (100, 37), (300, 200), (5, 5)]:
        out = pipe(Image.new("RGB", size, (50, 100, 150))).image
        assert isinstance(out, Image.Image) and out.size == size and out.mode == "RGB"


def test_padding_reflects_and_is_cropped_back():
    x = torch.arange(2 * 3 * 5 * 7, dtype=torch.float32).reshape(2, 3, 5, 7)
    padded = pad_to_multiple(x, 4)
    assert padded.shape == (2, 3, 8, 8)
    assert torch.equal(padded[..., :5, :7], x)
    assert torch.equal(padded[..., 5, :7], x[..., 3, :])  # reflection about the last row
    assert pad_to_multiple(torch.zeros(1, 1, 2, 2), 8).shape == (1, 1, 8, 8)  # too small to reflect: replicate


def test_inputs_of_every_kind_give_the_same_result(pipe, tmp_path):
    img, _ = draw_pair(64)
    img.save(tmp_path / "in.png")
    reference = pipe(img, output_type="np").image
    assert reference.dtype == np.uint8 and reference.shape == (64, 64, 3)
    assert np.array_equal(pipe(tmp_path / "in.png", output_type="np").image, reference)
    assert np.array_equal(pipe(str(tmp_path / "in.png"), output_type="np").image, reference)
    assert np.array_equal(pipe(np.asarray(img), output_type="np").image, reference)
    tensor = pipe(img, output_type="pt").image
    assert tensor.shape == (3, 64, 64) and tensor.dtype == torch.float32


def test_list_in_list_out_and_batching_does_not_change_results(pipe):
    images = [draw_pair(64, seed=i)[0] for i in range(5)] + [Image.new("RGB", (32, 48), (9, 9, 9))]
    batched = pipe(images, output_type="np", batch_size=4).images
    single = [pipe(img, output_type="np", batch_size=1).image for img in images]
    assert len(batched) == 6
    for a, b in zip(batched, single, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1  # batched BLAS sums may round differently
    assert pipe([]).images == []


def test_deterministic_mode_is_repeatable(pipe):
    img = draw_pair(64, seed=2)[0]
    assert np.array_equal(pipe(img, output_type="np").image, pipe(img, output_type="np").image)


def test_paper_mode_is_seeded_and_keeps_running_statistics(pipe):
    img = draw_pair(64, seed=2)[0]
    before = {k: v.clone() for k, v in pipe.generator.state_dict().items()}
    a = pipe(img, mode="paper", seed=1, output_type="np").image
    b = pipe(img, mode="paper", seed=1, output_type="np").image
    c = pipe(img, mode="paper", seed=2, output_type="np").image
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)  # dropout is the noise
    assert not np.array_equal(a, pipe(img, output_type="np").image)  # batch statistics differ from running ones
    after = pipe.generator.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not pipe.generator.training


def test_paper_mode_leaves_the_global_rng_alone(pipe):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    pipe(draw_pair(64)[0], mode="paper", seed=5)
    assert torch.equal(torch.rand(3), expected)


def test_bad_arguments_and_inputs(pipe, tmp_path):
    with pytest.raises(Pix2PixHubError, match="mode must be one of"):
        pipe(draw_pair(64)[0], mode="random")
    with pytest.raises(Pix2PixHubError, match="output_type must be one of"):
        pipe(draw_pair(64)[0], output_type="jpeg")
    (tmp_path / "x.png").write_text("no")
    with pytest.raises(Pix2PixHubError, match="x.png: not an image"):
        pipe(tmp_path / "x.png")


def test_translate_folder_writes_pngs_and_skips_bad_files(pipe, tmp_path):
    (tmp_path / "in").mkdir()
    for i in range(3):
        draw_pair(64, seed=i)[0].save(tmp_path / "in" / f"{i}.jpg")
    (tmp_path / "in" / "broken.png").write_text("no")
    written = pipe.translate_folder([tmp_path / "in"], tmp_path / "out", progress=False)
    assert sorted(p.name for p in written) == ["0.png", "1.png", "2.png"]
    assert Image.open(written[0]).size == (64, 64)
    with pytest.raises(Pix2PixHubError, match="no such file or folder"):
        pipe.translate_folder([tmp_path / "nope"], tmp_path / "out")


def test_one_channel_generator_takes_grayscale(tmp_path):
    gen = Pix2PixGenerator(in_channels=1, out_channels=3, ngf=4, num_downs=5)
    gen.save_pretrained(tmp_path / "g")
    pipe = Pix2PixPipeline.from_pretrained(tmp_path / "g")
    out = pipe(Image.new("RGB", (40, 40), (200, 10, 10))).image
    assert out.mode == "RGB" and out.size == (40, 40)


def test_unknown_model_names_fail_fast_offline(monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(Pix2PixHubError, match="not in the local cache"):
        Pix2PixPipeline.from_pretrained("day2night")  # no bundled model, Hub not reachable
