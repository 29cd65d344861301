"""The conditional PatchGAN discriminator: classifies each NxN patch of an (input, output) pair as real or fake."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .hub_model import Pix2PixHubModel
from .layers import check_norm, default_conv_bias, init_weights, make_norm

#: n_layers -> receptive field; documentation only, the property below computes it and a test measures it.
RECEPTIVE_FIELDS = {0: 1, 1: 16, 2: 34, 3: 70, 4: 142, 5: 286}


class PatchGANDiscriminator(Pix2PixHubModel):
    """PatchGAN of the paper (sec. 3.2.2, appendix 6.1.2); `n_layers` 3 is the 70x70 default.

    `in_channels` is input + output channels, because D is conditional: it sees the pair concatenated.
    `n_layers` 0 is the 1x1 PixelGAN, 5 the 286x286 ImageGAN. Default: 2,768,705 parameters, 30x30 map for 256x256.
    `spectral_norm` constrains every convolution's Lipschitz constant (Miyato et al. 2018), a remedy for a D that
    overfits a small training set.
    """

    role = "discriminator"

    def __init__(
        self,
        in_channels: int = 6,
        ndf: int = 64,
        n_layers: int = 3,
        norm: str = "batch",
        conv_bias: bool | None = None,
        spectral_norm: bool = False,
    ):
        super().__init__()
        check_norm(norm)
        if n_layers not in RECEPTIVE_FIELDS:
            raise ValueError(f"n_layers must be 0..5 (receptive fields {RECEPTIVE_FIELDS}), got {n_layers}")
        self.n_layers = n_layers
        bias = default_conv_bias(norm) if conv_bias is None else conv_bias
        layers: list[nn.Module]
        if n_layers == 0:  # PixelGAN: 1x1 convolutions only
            layers = [
                nn.Conv2d(in_channels, ndf, 1),
                nn.LeakyReLU(0.2),
                nn.Conv2d(ndf, ndf * 2, 1, bias=bias),
                make_norm(norm, ndf * 2),
                nn.LeakyReLU(0.2),
                nn.Conv2d(ndf * 2, 1, 1, bias=bias),
            ]
        else:
            widths = [ndf * min(2**i, 8) for i in range(n_layers + 1)]
            layers = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            for i in range(1, n_layers + 1):
                stride = 2 if i < n_layers else 1
                layers += [
                    nn.Conv2d(widths[i - 1], widths[i], 4, stride=stride, padding=1, bias=bias),
                    make_norm(norm, widths[i]),
                    nn.LeakyReLU(0.2),
                ]
            layers.append(nn.Conv2d(widths[-1], 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)
        init_weights(self)
        if spectral_norm:
            for index, layer in enumerate(self.model):
                if isinstance(layer, nn.Conv2d):
                    self.model[index] = nn.utils.parametrizations.spectral_norm(layer)

    @property
    def receptive_field(self) -> int:
        """Side of the input patch that one output logit sees, computed from the conv stack."""
        size = 1
        for layer in reversed(self.model):
            if isinstance(layer, nn.Conv2d):
                size = (size - 1) * layer.stride[0] + layer.kernel_size[0]
        return size

    def card_facts(self) -> dict[str, Any]:
        return {**super().card_facts(), "receptive_field": self.receptive_field}

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """Logits (N, 1, h, w), one per patch, for the pair (condition = G's input, image = real or generated)."""
        return self.model(torch.cat([condition, image], dim=1))

    def features(self, condition: torch.Tensor, image: torch.Tensor) -> list[torch.Tensor]:
        """The activations after each LeakyReLU, then the logits: what feature matching compares (pix2pixHD)."""
        outputs = []
        x = torch.cat([condition, image], dim=1)
        for layer in self.model:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                outputs.append(x)
        return outputs + [x]
