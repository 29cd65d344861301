"""Which speed-ups a training run uses on the machine at hand: each flag is 'auto' (measured to pay here) or forced.

Measured with benchmarks/train_step.py (docs/training.md has the figures per CPU kind): bf16 autocast pays on GPUs and
on CPUs with native bf16 (AVX512-BF16, AMX) and is emulated, many times slower, elsewhere; channels_last pays together
with bf16 (oneDNN's bf16 kernels are NHWC) but slows the fp32 step on AVX2; torch.compile did not pay on any CPU we
measured, so it is off unless asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn

from ..hardware import bf16_is_fast

AUTO_CHOICES = ("auto", "yes", "no")
MIXED_PRECISION_CHOICES = ("auto", "no", "fp16", "bf16")


def default_device() -> torch.device:
    """The device Accelerate picks for a single process: CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class FastPaths:
    """The resolved choices of one run (what the log and the benchmark report)."""

    mixed_precision: str | None  # None: left to `accelerate launch`'s own setting
    channels_last: bool
    compile: bool

    def describe(self) -> str:
        parts = [f"mixed precision {self.mixed_precision or 'from accelerate config'}"]
        parts.append("channels_last" if self.channels_last else "NCHW")
        if self.compile:
            parts.append("torch.compile")
        return ", ".join(parts)


def resolve_fast_paths(
    mixed_precision: str = "auto",
    channels_last: str = "auto",
    compile: bool = False,
    device: torch.device | None = None,
) -> FastPaths:
    """Turn the flags into choices: 'auto' mixed precision is bf16 where native, else fp32 (an `accelerate launch
    --mixed_precision` setting wins over 'auto'); 'auto' channels_last follows bf16."""
    device = device or default_device()
    if mixed_precision == "auto":
        if os.environ.get("ACCELERATE_MIXED_PRECISION"):
            resolved: str | None = None
        else:
            resolved = "bf16" if bf16_is_fast(device) else "no"
    else:
        resolved = mixed_precision
    effective = resolved or os.environ.get("ACCELERATE_MIXED_PRECISION")
    last = effective == "bf16" if channels_last == "auto" else channels_last == "yes"
    return FastPaths(mixed_precision=resolved, channels_last=last, compile=compile)


def memory_format(paths: FastPaths) -> torch.memory_format:
    return torch.channels_last if paths.channels_last else torch.contiguous_format


def _contiguous_state_dict(module: nn.Module, state_dict: dict, prefix: str, local_metadata: dict) -> None:
    """safetensors stores only contiguous tensors: hand out channels_last weights in the standard layout."""
    for key, value in state_dict.items():
        if isinstance(value, torch.Tensor) and not value.is_contiguous():
            state_dict[key] = value.contiguous()


def apply_to_model(model: nn.Module, paths: FastPaths) -> nn.Module:
    """Lay the weights out for the chosen kernels; the state dict (and so every saved file) keeps the standard
    layout, so checkpoints and model folders are the same whichever path trained them."""
    if paths.channels_last:
        model.to(memory_format=torch.channels_last)
        model.register_state_dict_post_hook(_contiguous_state_dict)
    return model


def apply_to_batch(batch: torch.Tensor, paths: FastPaths) -> torch.Tensor:
    return batch.contiguous(memory_format=memory_format(paths))
