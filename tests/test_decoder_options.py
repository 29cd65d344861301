"""The decoder's detail options: sub-pixel levels (`subpixel_levels`, `--subpixel_levels`) and the input skip
(`input_skip`, `--input_skip`). Both start with the outputs of the generator they change, exactly, so a shipped model
continues from its own outputs, and both can then learn pixel-level detail it could not."""

from __future__ import annotations

import json
import sys

import pytest
import torch
import torch.nn.functional as F
from conftest import REPO_ROOT, SHARED_DATA
from test_training import make_pairs, read_log, run_training

from pix2pix_hub.models import Pix2PixGenerator

# fp32 eager: the two runs then differ only by summation order
SHORT = ["--max_train_steps", "2", "--validation_split", "none", "--no_dropout", "--mixed_precision", "no"]
SHORT += ["--channels_last", "no", "--compile", "no", "--matmul_convs", "no"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_pairs(tmp_path_factory.mktemp("data") / "pairs")


def generator(**kwargs) -> Pix2PixGenerator:
    torch.manual_seed(0)
    return Pix2PixGenerator(ngf=4, num_downs=6, upsampling="resize", **kwargs).eval()


def test_subpixel_levels_start_equal_to_resize_convolutions_and_round_trip(tmp_path):
    resize, subpixel = generator(), generator(subpixel_levels=6)
    assert sum(isinstance(m, torch.nn.PixelShuffle) for m in subpixel.modules()) == 6
    x = torch.rand(2, 3, 64, 128) * 2 - 1
    with torch.no_grad():
        expected = resize(x)
        torch.testing.assert_close(subpixel(x), expected, atol=1e-6, rtol=0)
        resize.use_subpixel(2)  # converting a built model: the same outputs
        torch.testing.assert_close(resize(x), expected, atol=1e-6, rtol=0)
    resize.save_pretrained(tmp_path / "g")
    assert json.loads((tmp_path / "g" / "config.json").read_text())["subpixel_levels"] == 2
    with torch.no_grad():
        assert torch.equal(Pix2PixGenerator.from_pretrained(tmp_path / "g")(x), resize(x))
    with pytest.raises(ValueError, match="needs upsampling='resize'"):
        Pix2PixGenerator(ngf=4, num_downs=6, subpixel_levels=1)
    with pytest.raises(ValueError, match="between 0 and num_downs"):
        generator(subpixel_levels=7)


def test_input_skip_starts_at_zero_and_round_trips(tmp_path):
    plain, skipped = generator(subpixel_levels=2), generator(subpixel_levels=2, input_skip=True)
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(skipped(x), plain(x), atol=0, rtol=0)
        plain.use_input_skip()
        torch.testing.assert_close(plain(x), skipped(x), atol=0, rtol=0)
    plain.input_skip.weight.data.normal_()  # a trained skip changes the outputs and is saved with them
    plain.save_pretrained(tmp_path / "g")
    assert json.loads((tmp_path / "g" / "config.json").read_text())["input_skip"] is True
    with torch.no_grad():
        assert not torch.equal(plain(x), skipped(x))
        assert torch.equal(Pix2PixGenerator.from_pretrained(tmp_path / "g")(x), plain(x))


def copy_error(**kwargs) -> float:
    """L1 of a small generator fitted for 150 steps to copy its input (a task whose detail the input holds)."""
    torch.manual_seed(1)
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    torch.manual_seed(0)
    model = Pix2PixGenerator(ngf=8, num_downs=5, upsampling="resize", use_dropout=False, **kwargs)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(150):
        optimizer.zero_grad()
        loss = (model(x) - x).abs().mean()
        loss.backward()
        optimizer.step()
    return loss.item()


def test_subpixel_levels_and_input_skip_learn_pixel_detail_that_resize_convolutions_cannot():
    """From the same start, sub-pixel levels copy the input closer than resize-convolutions (which share one kernel
    between a 2x2 block's pixels), and the input skip closer still (the input itself reaches the output)."""
    errors = {name: copy_error(**kwargs) for name, kwargs in (
        ("resize", {}), ("subpixel", {"subpixel_levels": 2}), ("input_skip", {"subpixel_levels": 2, "input_skip": True})
    )}  # fmt: skip
    assert errors["subpixel"] < 0.8 * errors["resize"] and errors["input_skip"] < 0.8 * errors["subpixel"], errors


def test_init_from_with_decoder_options_continues_from_the_same_outputs(data, tmp_path):
    first = run_training(data, tmp_path / "first", *SHORT, "--upsampling", "resize")
    assert first.returncode == 0, first.stderr[-3000:]
    losses = {}
    variants = (("plain", []), ("subpixel", ["--subpixel_levels", "2", "--input_skip"]), ("l1", ["--objective", "l1"]))
    for name, extra in variants:
        proc = run_training(data, tmp_path / name, *SHORT, "--init_from", str(tmp_path / "first"), *extra)
        assert proc.returncode == 0, proc.stderr[-3000:]
        losses[name] = read_log(tmp_path / name)[1]
    for key in ("loss_g_l1", "loss_g_gan", "loss_d"):
        assert losses["subpixel"][key] == pytest.approx(losses["plain"][key], rel=1e-4), key
    assert losses["l1"]["loss_g_l1"] == pytest.approx(losses["plain"]["loss_g_l1"], rel=1e-4)  # G loaded without D
    config = json.loads((tmp_path / "subpixel" / "config.json").read_text())
    assert config["subpixel_levels"] == 2 and config["input_skip"] is True and config["ngf"] == 8
    assert "decoder (outermost 2 sub-pixel) with an input skip" in (tmp_path / "subpixel" / "README.md").read_text()
    refused = run_training(data, tmp_path / "refused", *SHORT, "--subpixel_levels", "2")  # transposed decoder
    assert refused.returncode == 2 and "add --upsampling resize" in refused.stderr


class BlockBlur(torch.nn.Module):
    """A stand-in generator that copies its input with each 2x2 block averaged: detail lost at full resolution only."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")


class TopStreak(BlockBlur):
    """BlockBlur with a magenta and green streak along the top two rows, as facades models paint."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x).clone()
        out[:, :, :2, ::2] = torch.tensor([1.0, -1.0, 1.0]).view(1, 3, 1, 1)
        out[:, :, :2, 1::2] = torch.tensor([-1.0, 1.0, -1.0]).view(1, 3, 1, 1)
        return out


def test_detail_scales_tells_pixel_level_loss_from_missing_texture():
    if not (SHARED_DATA / "facades").is_dir():
        pytest.skip("../shared/datasets/facades is not here")
    sys.path.insert(0, str(REPO_ROOT / "train" / "zoo"))
    try:
        from detail_scales import detail_by_scale
    finally:
        sys.path.remove(str(REPO_ROOT / "train" / "zoo"))
    ratios = detail_by_scale(BlockBlur(), "inpainting", max_samples=8)  # its input is the target with a hole
    assert ratios[1] < 0.85 * ratios[2] and ratios[2] > 0.8, ratios  # measured 0.72, 0.89, 0.92
    streaked = detail_by_scale(TopStreak(), "inpainting", max_samples=8)
    assert ratios["frame"] < 1.2 < 3 * ratios[1] < streaked["frame"], (ratios, streaked)  # measured 0.58; 19


def test_input_skip_lr_scale_speeds_up_the_skip_alone(data, tmp_path):
    skips = {}
    for scale in ("1", "30"):
        args = ["--upsampling", "resize", "--input_skip", "--input_skip_lr_scale", scale]
        proc = run_training(data, tmp_path / scale, *SHORT, *args)
        assert proc.returncode == 0, proc.stderr[-3000:]
        skips[scale] = Pix2PixGenerator.from_pretrained(tmp_path / scale).input_skip.weight.abs().mean().item()
    assert skips["30"] > 10 * skips["1"] > 0, skips  # Adam's first steps move each weight by about the rate
    refused = run_training(data, tmp_path / "refused", *SHORT, "--input_skip_lr_scale", "30")
    assert refused.returncode != 0 and "add --input_skip" in refused.stderr
