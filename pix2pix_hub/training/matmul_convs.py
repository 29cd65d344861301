"""Convolutions of small feature maps as one matmul each: a training fast path for CPUs.

At batch 1 the U-Net's deepest layers (512-1024 channels on 1x1 to 16x16 maps) hold most of the weights and little
of the work. There oneDNN's convolutions are bound by weight traffic and re-lay the weights out on every call, while a
matmul over the unfolded input (im2col; col2im via `fold` for a transposed convolution) reads the weights in place.
Measured on a 2-vCPU Zen 4 (forward and backward, 2 threads, bf16 autocast): transposed 1024->512 convolutions on
1x1 to 8x8 maps 1.75-2.4x faster, 512->512 convolutions on 2x2 to 16x16 maps 1.4-2.6x; on larger maps oneDNN wins,
so those layers keep it. torch has no such dispatch of its own; whether the whole step gains on a given CPU and
configuration is measured by `path_probe` before a run uses it. Swapping a layer's class keeps its parameters, their
names and the state dict, so checkpoints and saved models are the same whichever path trained them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

#: largest input map (height x width) run as a matmul: 16x16 for convolutions, 8x8 for transposed ones
CONV_MAX_PIXELS = 16 * 16
TRANSPOSED_MAX_PIXELS = 8 * 8


def _output_size(size: int, kernel: int, stride: int, padding: int, dilation: int, transposed: bool) -> int:
    if transposed:
        return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _sizes(layer: nn.Conv2d | nn.ConvTranspose2d, x: torch.Tensor, transposed: bool) -> tuple[int, int]:
    return tuple(
        _output_size(
            x.shape[-2 + i], layer.kernel_size[i], layer.stride[i], layer.padding[i], layer.dilation[i], transposed
        )
        for i in range(2)
    )


class MatmulConv2d(nn.Conv2d):
    """nn.Conv2d that runs as unfold + matmul on maps of at most `CONV_MAX_PIXELS` pixels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] * x.shape[-1] > CONV_MAX_PIXELS:
            return super().forward(x)
        cols = F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)  # (N, Cin*kh*kw, L)
        out = self.weight.flatten(1) @ cols  # (N, Cout, L)
        if self.bias is not None:
            out = out + self.bias[:, None]
        return out.view(x.shape[0], self.out_channels, *_sizes(self, x, transposed=False))


class MatmulConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d that runs as matmul + fold (col2im) on maps of at most `TRANSPOSED_MAX_PIXELS` pixels."""

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        if output_size is not None or x.shape[-2] * x.shape[-1] > TRANSPOSED_MAX_PIXELS:
            return super().forward(x, output_size)
        cols = x.flatten(2).transpose(1, 2) @ self.weight.flatten(1)  # (N, L, Cout*kh*kw)
        out = F.fold(
            cols.transpose(1, 2),
            _sizes(self, x, transposed=True),
            self.kernel_size,
            self.dilation,
            self.padding,
            self.stride,
        )
        return out if self.bias is None else out + self.bias[:, None, None]


def _eligible(layer: nn.Module) -> bool:
    """Plain 2-D convolutions this formulation covers: one group, zero padding given as numbers, no output
    padding, no parametrization (spectral norm wraps the class itself)."""
    return (
        layer.groups == 1
        and layer.padding_mode == "zeros"
        and not isinstance(layer.padding, str)
        and not any(layer.output_padding)
        and not parametrize.is_parametrized(layer)
    )


SWAPS = {nn.Conv2d: MatmulConv2d, nn.ConvTranspose2d: MatmulConvTranspose2d}


def use_matmul_convs(model: nn.Module) -> int:
    """Make `model`'s eligible convolutions run small maps as matmuls, in place; the number of layers swapped."""
    swapped = 0
    for layer in model.modules():
        swap = SWAPS.get(type(layer))
        if swap is not None and _eligible(layer):
            layer.__class__ = swap
            swapped += 1
    return swapped


__all__ = ["CONV_MAX_PIXELS", "TRANSPOSED_MAX_PIXELS", "MatmulConv2d", "MatmulConvTranspose2d", "use_matmul_convs"]
