"""Normalisation and initialisation shared by the generator and the discriminator."""

from __future__ import annotations

from torch import nn

NORMS = ("batch", "instance", "none")


def check_norm(norm: str) -> None:
    """Reject a norm name the networks do not know, listing the ones they do."""
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")


def make_norm(norm: str, channels: int) -> nn.Module:
    """The paper's choices: batch norm with running stats; instance norm without affine or stats (as the reference)."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


def default_conv_bias(norm: str) -> bool:
    """Convolutions followed by batch norm need no bias (its shift does the job); all others keep one."""
    return norm != "batch"


def init_weights(module: nn.Module, std: float = 0.02) -> None:
    """The paper's init: conv weights N(0, 0.02), batch-norm scale N(1, 0.02), every bias 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
