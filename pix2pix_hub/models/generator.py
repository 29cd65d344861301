"""The pix2pix generator: a U-Net (or, for the paper's ablation, an encoder-decoder without skips)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .hub_model import Pix2PixHubModel
from .layers import check_norm, default_conv_bias, init_weights, make_norm


class DownBlock(nn.Module):
    """Encoder step: [LeakyReLU(0.2)] -> 4x4 stride-2 conv -> [norm]; halves the spatial size."""

    def __init__(self, in_channels: int, out_channels: int, norm: str, bias: bool, activation: bool, normalize: bool):
        super().__init__()
        self.act = nn.LeakyReLU(0.2) if activation else nn.Identity()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=bias)
        self.norm = make_norm(norm, out_channels) if normalize else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(self.act(x)))


#: how the decoder doubles the resolution: the paper's transposed convolution, or nearest-neighbour resizing then a
#: 3x3 convolution, which cannot make checkerboard artefacts (Odena et al., "Deconvolution and Checkerboard
#: Artifacts", Distill 2016)
UPSAMPLING = ("transposed", "resize")


def make_upsampling(upsampling: str, in_channels: int, out_channels: int, bias: bool) -> nn.Module:
    """A layer that doubles height and width while mapping in_channels to out_channels."""
    if upsampling == "transposed":
        return nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=bias)
    if upsampling == "resize":
        return nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias)
        )
    raise ValueError(f"upsampling must be one of {', '.join(UPSAMPLING)}, got {upsampling!r}")


#: _RESIZE_TAPS[phase, r, k] is 1 where the 3x3 kernel's row k (offset k - 1) lands on low-resolution row offset
#: r - 1 after a nearest 2x resize, for output rows of even (phase 0) and odd (phase 1) index; columns alike
_RESIZE_TAPS = torch.tensor([[[1, 0, 0], [0, 1, 1], [0, 0, 0]], [[0, 0, 0], [1, 1, 0], [0, 0, 1]]])


def subpixel_from_resize(resize: nn.Sequential) -> nn.Sequential:
    """The sub-pixel convolution (a 3x3 convolution to 4x the channels, then a 2x pixel shuffle; Shi et al. 2016)
    that computes exactly what a nearest-resize + 3x3 convolution computes. Each of the four output phases then has
    its own kernel, which training can untie: a resize-convolution shares one kernel between them, so it cannot put
    different values on neighbouring pixels of a 2x2 block, and the last doubling loses pixel-level detail."""
    conv = resize[1]
    weight = conv.weight.detach()
    out_channels, in_channels = weight.shape[:2]
    taps = _RESIZE_TAPS.to(weight.device, weight.dtype)
    # phase kernel [o, a, b, i, r, c]: the sum of the taps that row phase a and column phase b put on offset (r, c)
    phases = torch.einsum("ary,bcx,oiyx->oabirc", taps, taps, weight)
    # skip_init: no random draw, so converting leaves the RNG (dropout, data order) where it was
    subpixel = nn.utils.skip_init(
        nn.Conv2d, in_channels, 4 * out_channels, 3, padding=1, bias=conv.bias is not None,
        device=weight.device, dtype=weight.dtype,
    )  # fmt: skip
    with torch.no_grad():
        subpixel.weight.copy_(phases.reshape(4 * out_channels, in_channels, 3, 3))  # channel c*4 + a*2 + b
        if conv.bias is not None:
            subpixel.bias.copy_(conv.bias.detach().repeat_interleave(4))
    return nn.Sequential(subpixel, nn.PixelShuffle(2))


class UpBlock(nn.Module):
    """Decoder step: ReLU -> 2x upsampling (`make_upsampling`) -> norm [-> dropout], or -> tanh for the last one."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: str,
        bias: bool,
        dropout: bool,
        last: bool,
        upsampling: str = "transposed",
    ):
        super().__init__()
        self.act = nn.ReLU()
        self.conv = make_upsampling(upsampling, in_channels, out_channels, bias)
        self.norm = nn.Identity() if last else make_norm(norm, out_channels)
        self.dropout = nn.Dropout(0.5) if dropout else nn.Identity()
        self.out = nn.Tanh() if last else nn.Identity()

    def forward(self, x: torch.Tensor, residual: torch.Tensor | None = None) -> torch.Tensor:
        """`residual` is added before the tanh of the last block (the generator's input skip)."""
        y = self.dropout(self.norm(self.conv(self.act(x))))
        return self.out(y if residual is None else y + residual)


class Pix2PixGenerator(Pix2PixHubModel):
    """U-Net generator of the paper (Isola et al. 2017, sec. 3.2.1 and appendix 6.1.1).

    `num_downs` 8 is the reference `unet_256` (1x1 bottleneck at 256x256), 7 is `unet_128`. Channels per level are
    ngf, 2ngf, 4ngf, then 8ngf; dropout(0.5) sits in the decoder's 8ngf levels below the bottleneck (three of them
    for unet_256), as in the reference. `skip_connections=False` gives the paper's encoder-decoder ablation;
    `upsampling="resize"` swaps the decoder's transposed convolutions for checkerboard-free resize-convolutions;
    `subpixel_levels` N turns the outermost N of those into sub-pixel convolutions (`subpixel_from_resize`), which
    start as the same resize-convolutions but can learn pixel-level detail; `input_skip` adds a 3x3 convolution of
    the input to the output layer (`use_input_skip`).
    The defaults are the paper's generator: 54,413,955 parameters for 3->3 channels.
    """

    role = "generator"

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        num_downs: int = 8,
        norm: str = "batch",
        use_dropout: bool = True,
        skip_connections: bool = True,
        conv_bias: bool | None = None,
        upsampling: str = "transposed",
        subpixel_levels: int = 0,
        input_skip: bool = False,
    ):
        super().__init__()
        check_norm(norm)
        if num_downs < 5:
            raise ValueError(f"num_downs must be at least 5 (the paper's U-Net has 8), got {num_downs}")
        if min(in_channels, out_channels, ngf) < 1:
            raise ValueError("in_channels, out_channels and ngf must be positive")
        self.num_downs = num_downs
        self.out_channels = out_channels
        self.skip_connections = skip_connections
        bias = default_conv_bias(norm) if conv_bias is None else conv_bias
        widths = [ngf * min(2**level, 8) for level in range(num_downs)]  # encoder output channels per level

        self.down_blocks = nn.ModuleList(
            DownBlock(
                in_channels if level == 0 else widths[level - 1],
                widths[level],
                norm,
                bias,
                activation=level > 0,
                normalize=0 < level < num_downs - 1,  # neither the first conv nor the bottleneck is normalised
            )
            for level in range(num_downs)
        )
        # Decoder, bottleneck first; up block for encoder level L outputs the width of level L-1.
        self.up_blocks = nn.ModuleList()
        for level in reversed(range(num_downs)):
            innermost = level == num_downs - 1
            in_ch = widths[level] * (1 if innermost or not skip_connections else 2)
            last = level == 0
            self.up_blocks.append(
                UpBlock(
                    in_ch,
                    out_channels if last else widths[level - 1],
                    norm,
                    bias=True if last else bias,
                    dropout=use_dropout and 4 <= level < num_downs - 1,
                    last=last,
                    upsampling=upsampling,
                )
            )
        init_weights(self)
        self.subpixel_levels = 0
        self.use_subpixel(subpixel_levels)
        self.input_skip: nn.Conv2d | None = None
        if input_skip:
            self.use_input_skip()

    def use_input_skip(self) -> None:
        """Add a 3x3 convolution of the input to the output layer before its tanh, zero at first so the outputs do
        not change (global residual learning, Kim et al. 2016, "VDSR"): detail the input already holds at full
        resolution (a grayscale photo's luminance, the photo around a hole, label edges) reaches the output without
        passing the encoder's first stride-2 convolution; recorded in the config."""
        if self.input_skip is None:
            weight = next(self.up_blocks[-1].parameters())
            self.input_skip = nn.utils.skip_init(  # no random draw: it starts at zero
                nn.Conv2d, self.in_channels, self.out_channels, 3, padding=1, device=weight.device, dtype=weight.dtype
            )
            nn.init.zeros_(self.input_skip.weight)
            nn.init.zeros_(self.input_skip.bias)
        if self._hub_mixin_config is not None:
            self._hub_mixin_config["input_skip"] = True

    def use_subpixel(self, levels: int) -> None:
        """Turn the outermost `levels` resize doublings (up to all of them) into sub-pixel convolutions with the
        same outputs, and record it in the config; for a fresh model or to continue a saved one with more freedom."""
        if not 0 <= levels <= self.num_downs:
            raise ValueError(f"subpixel_levels must be between 0 and num_downs ({self.num_downs}), got {levels}")
        for level in range(self.subpixel_levels, levels):
            block = self.up_blocks[self.num_downs - 1 - level]
            if not (isinstance(block.conv, nn.Sequential) and isinstance(block.conv[0], nn.Upsample)):
                raise ValueError("subpixel_levels needs upsampling='resize': it converts resize-convolutions")
            block.conv = subpixel_from_resize(block.conv)
        self.subpixel_levels = max(self.subpixel_levels, levels)
        if self._hub_mixin_config is not None:
            self._hub_mixin_config["subpixel_levels"] = self.subpixel_levels

    @property
    def in_channels(self) -> int:
        """Channels of the images the generator takes (3 for RGB, 1 for grayscale)."""
        return self.down_blocks[0].conv.in_channels

    @property
    def min_input_size(self) -> int:
        """Height and width must be multiples of this (2**num_downs), or the skips do not line up."""
        return 2**self.num_downs

    def card_facts(self) -> dict[str, Any]:
        return {**super().card_facts(), "min_input_size": self.min_input_size}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) in [-1, 1] -> (N, out_channels, H, W) in [-1, 1]; H, W multiples of min_input_size."""
        residual = self.input_skip(x) if self.input_skip is not None else None
        skips = []
        for block in self.down_blocks:
            x = block(x)
            skips.append(x)
        x = self.up_blocks[0](skips.pop())  # bottleneck: 1x1 for unet_256 at 256x256
        for block in self.up_blocks[1:-1]:
            skip = skips.pop()
            x = block(torch.cat([skip, x], dim=1) if self.skip_connections else x)
        return self.up_blocks[-1](torch.cat([skips.pop(), x], dim=1) if self.skip_connections else x, residual)
