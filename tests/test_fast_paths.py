"""Training fast paths (pix2pix_hub.training.fast_paths): what 'auto' picks, that bf16 + channels_last trains to the
fp32 losses within bf16's precision, resumes exactly and saves standard files; the decoded-pair cache."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from test_training import make_pairs, read_log, run_env, run_training, train_command

from pix2pix_hub.data import PairedTransform, load_paired_dataset
from pix2pix_hub.hardware import bf16_is_fast, cpu_features
from pix2pix_hub.models import Pix2PixGenerator
from pix2pix_hub.training.allocator import keep_freed_memory
from pix2pix_hub.training.data import TrainingPairs
from pix2pix_hub.training.fast_paths import FastPaths, apply_to_model, resolve_fast_paths

FAST = ["--mixed_precision", "bf16", "--channels_last", "yes", "--max_train_steps", "8", "--validation_split", "none"]
PLAIN = ["--mixed_precision", "no", "--channels_last", "no", "--max_train_steps", "8", "--validation_split", "none"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_pairs(tmp_path_factory.mktemp("data") / "pairs")


def train(data, output_dir, *extra: str) -> subprocess.CompletedProcess:
    proc = run_training(data, output_dir, *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def choices(paths: FastPaths) -> tuple:
    return paths.mixed_precision, paths.channels_last, paths.compile


def test_auto_without_measurement_picks_bf16_only_where_native_and_channels_last_with_it_on_amx(monkeypatch):
    """The rule (no probe: a short run, a GPU, several processes); tests/test_path_probe.py covers measured choices."""
    monkeypatch.delenv("ACCELERATE_MIXED_PRECISION", raising=False)
    cpu = torch.device("cpu")
    auto = resolve_fast_paths(device=cpu)
    native = bf16_is_fast(cpu)
    assert choices(auto) == ("bf16" if native else "no", native and cpu_features().amx, False)
    assert auto.why == f"auto: {'native bf16' if native else 'bf16 is not native'} on this cpu"
    assert choices(resolve_fast_paths("no", device=cpu)) == ("no", False, False)
    assert choices(resolve_fast_paths("bf16", "no", "yes", device=cpu)) == ("bf16", False, True)
    assert choices(resolve_fast_paths("bf16", "yes", "auto", device=cpu)) == ("bf16", True, False)
    # set by the person (no `accelerate launch` above this process): their choice wins over auto
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "fp16")
    chosen = resolve_fast_paths(device=cpu)
    assert choices(chosen) == ("fp16", False, False) and chosen.why == "auto: from ACCELERATE_MIXED_PRECISION"


@pytest.mark.slow
@pytest.mark.parametrize("launch_options", [[], ["--mixed_precision", "no"]], ids=["default", "chosen"])
def test_accelerate_launch_takes_auto_unless_a_precision_was_chosen(data, tmp_path, launch_options):
    """The README's command: `accelerate launch` sets ACCELERATE_MIXED_PRECISION=no by default, which is no choice;
    `--mixed_precision` on its command line is one."""
    accelerate = str(Path(sys.executable).with_name("accelerate"))
    command = [accelerate, "launch", "--num_processes", "1", *launch_options]
    command += train_command(data, tmp_path / "run", "--max_train_steps", "1")[1:]
    # an HF_HOME without an accelerate config (a fresh machine), whatever this machine's user configured
    env = run_env({"HF_HOME": str(tmp_path / "hf_home")})
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    if launch_options:
        expected = "fast paths: mixed precision no (auto: from accelerate launch --mixed_precision)"
    elif bf16_is_fast("cpu"):  # one step: too short to measure, so the rule
        layout = "channels_last" if cpu_features().amx else "NCHW"
        expected = f"fast paths: mixed precision bf16 (auto: native bf16 on this cpu), {layout}"
    else:
        expected = "fast paths: mixed precision no (auto: bf16 is not native on this cpu), NCHW"
    assert expected in proc.stderr


def test_training_keeps_freed_memory_where_the_c_library_is_glibc():
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is glibc


def test_channels_last_model_saves_standard_contiguous_weights(tmp_path):
    model = apply_to_model(Pix2PixGenerator(ngf=8, num_downs=5), FastPaths("bf16", True, False))
    assert model.down_blocks[1].conv.weight.is_contiguous(memory_format=torch.channels_last)
    model.save_pretrained(tmp_path)  # safetensors refuses non-contiguous tensors
    saved = load_file(tmp_path / "model.safetensors")
    assert all(t.is_contiguous() for t in saved.values())
    torch.testing.assert_close(saved["down_blocks.1.conv.weight"], model.down_blocks[1].conv.weight.detach())


def test_fast_paths_match_fp32_losses_and_resume_exactly(data, tmp_path):
    fast_dir, plain_dir = tmp_path / "fast", tmp_path / "plain"
    proc = train(data, fast_dir, *FAST)
    assert "fast paths: mixed precision bf16 (--mixed_precision), channels_last" in proc.stderr
    train(data, plain_dir, *PLAIN)
    fast, plain = read_log(fast_dir), read_log(plain_dir)
    # the same weights, data and dropout: the first step differs only by bf16 rounding
    for key in ("loss_d", "loss_g_gan", "loss_g_l1"):
        assert fast[1][key] == pytest.approx(plain[1][key], rel=0.03), key
    assert fast[1]["loss_g_l1"] != plain[1]["loss_g_l1"]  # bf16 did run

    # resume from step 4 of the fast run: the same steps 5..8 as the uninterrupted run
    resumed_dir = tmp_path / "resumed"
    shutil.copytree(fast_dir / "checkpoints" / "checkpoint-4", resumed_dir / "checkpoints" / "checkpoint-4")
    shutil.copytree(fast_dir / "logs", resumed_dir / "logs")
    train(data, resumed_dir, *FAST, "--resume_from_checkpoint", "latest")
    resumed = read_log(resumed_dir)
    assert sorted(resumed) == list(range(1, 9))
    for step in range(5, 9):
        for key in ("loss_d", "loss_g_gan", "loss_g_l1", "lr"):
            assert resumed[step][key] == pytest.approx(fast[step][key], rel=1e-5, abs=1e-6), (step, key)
    torch.testing.assert_close(
        load_file(resumed_dir / "model.safetensors"), load_file(fast_dir / "model.safetensors"), rtol=0, atol=0
    )


def test_decoded_pair_cache_gives_the_same_jittered_tensors(side_by_side_dir):
    pairs = load_paired_dataset(side_by_side_dir, "train", skip_bad=True)
    plain = TrainingPairs(pairs, PairedTransform(72, 64), seed=3)
    cached = TrainingPairs(pairs, PairedTransform(72, 64), seed=3, cache_decoded=True)
    for epoch in (0, 1):  # epoch 0 fills the cache, epoch 1 reads it
        plain.set_epoch(epoch)
        cached.set_epoch(epoch)
        for index in range(len(plain)):
            expected, got = plain[index], cached[index]
            assert torch.equal(expected["input"], got["input"]) and torch.equal(expected["target"], got["target"])
    assert len(cached._decoded) == len(plain)
