"""The small-map matmul convolutions (a training fast path) compute what torch's convolutions compute."""

from __future__ import annotations

import copy

import pytest
import torch
from test_fast_paths import PLAIN, train
from test_training import make_pairs, read_log

from pix2pix_hub.models import PatchGANDiscriminator, Pix2PixGenerator
from pix2pix_hub.training.fast_paths import FastPaths, apply_to_model
from pix2pix_hub.training.matmul_convs import MatmulConv2d, MatmulConvTranspose2d, use_matmul_convs


@pytest.mark.parametrize("upsampling", ["transposed", "resize"])
def test_generator_outputs_and_gradients_match_torch_convolutions(upsampling):
    """A U-Net down to 1x1 (maps on both sides of the size limits), forward and backward, in fp32."""
    torch.manual_seed(0)
    reference = Pix2PixGenerator(ngf=8, num_downs=6, upsampling=upsampling, use_dropout=False)
    fast = copy.deepcopy(reference)
    swapped = use_matmul_convs(fast)
    assert swapped == sum(isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)) for m in fast.modules())
    assert any(isinstance(m, MatmulConv2d) for m in fast.modules())
    if upsampling == "transposed":
        assert any(isinstance(m, MatmulConvTranspose2d) for m in fast.modules())
    assert list(fast.state_dict()) == list(reference.state_dict())
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    expected, got = reference(x), fast(x)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    expected.square().mean().backward()
    got.square().mean().backward()
    for (name, p), q in zip(reference.named_parameters(), fast.parameters(), strict=True):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-3, atol=1e-6, msg=name)


def test_bf16_autocast_stays_within_bf16_rounding():
    torch.manual_seed(0)
    reference = Pix2PixGenerator(ngf=8, num_downs=6, use_dropout=False)
    fast = apply_to_model(copy.deepcopy(reference), FastPaths("bf16", False, False, matmul_convs=True))
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.autocast("cpu", dtype=torch.bfloat16):
        expected, got = reference(x).float(), fast(x).float()
    assert (got - expected).abs().mean() < 0.01 * expected.abs().mean()


def test_spectral_norm_and_grouped_layers_keep_torchs_convolution():
    discriminator = PatchGANDiscriminator(ndf=8, spectral_norm=True)
    assert use_matmul_convs(discriminator) == 0
    grouped = torch.nn.Sequential(torch.nn.Conv2d(4, 4, 3, groups=2), torch.nn.Conv2d(4, 4, 3, padding="same"))
    assert use_matmul_convs(grouped) == 0


def test_forced_matmul_convs_train_as_plain_fp32(tmp_path):
    """The training command with the path forced: said in the log, the same fp32 losses as torch's convolutions."""
    data = make_pairs(tmp_path / "pairs")
    matmul_dir, plain_dir = tmp_path / "matmul", tmp_path / "plain"
    proc = train(data, matmul_dir, *PLAIN, "--matmul_convs", "yes")
    assert "fast paths: mixed precision no (--mixed_precision), NCHW, small-map convolutions as matmuls" in proc.stderr
    train(data, plain_dir, *PLAIN)
    matmul, plain = read_log(matmul_dir), read_log(plain_dir)
    for step in (1, 8):
        for key in ("loss_d", "loss_g_gan", "loss_g_l1"):
            assert matmul[step][key] == pytest.approx(plain[step][key], rel=1e-3), (step, key)
