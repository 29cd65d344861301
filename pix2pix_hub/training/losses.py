"""The pix2pix objective (eq. 4 of the paper): a conditional GAN loss plus lambda * L1, and its ablations."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

#: the paper's ablations (table 1): L1 only, unconditional GAN, conditional GAN, and each plus L1
OBJECTIVES = ("l1", "gan", "cgan", "l1+gan", "l1+cgan")
#: vanilla = the paper's cross-entropy GAN (BCE with logits); lsgan = least squares, as the reference offers
GAN_MODES = ("vanilla", "lsgan")
#: ITU-R BT.601 luma weights of R, G and B, as PIL's convert("L") makes the colorization task's grayscale inputs
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class Objective:
    """Which terms the generator minimises, parsed from one of `OBJECTIVES`."""

    name: str = "l1+cgan"
    lambda_l1: float = 100.0
    gan_mode: str = "vanilla"
    l1_scale: int = 1
    l1_chroma_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.name not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.name!r}")
        if self.gan_mode not in GAN_MODES:
            raise ValueError(f"gan_mode must be one of {GAN_MODES}, got {self.gan_mode!r}")
        if self.l1_scale < 1:
            raise ValueError(f"l1_scale must be 1 (per pixel) or more (block size), got {self.l1_scale}")
        if not 0.0 <= self.l1_chroma_weight <= 1.0:
            raise ValueError(f"l1_chroma_weight must be within 0-1, got {self.l1_chroma_weight}")

    @property
    def uses_gan(self) -> bool:
        return self.name != "l1"

    @property
    def uses_l1(self) -> bool:
        return self.name.startswith("l1")

    @property
    def conditional(self) -> bool:
        """A conditional D sees (input, output) pairs; an unconditional one sees the output alone."""
        return self.name.endswith("cgan")


def adversarial_loss(logits: torch.Tensor, real: bool, gan_mode: str = "vanilla") -> torch.Tensor:
    """Mean loss of patch logits against an all-real or all-fake label."""
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    if gan_mode == "lsgan":
        return F.mse_loss(logits, target)
    return F.binary_cross_entropy_with_logits(logits, target)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, gan_mode: str = "vanilla") -> torch.Tensor:
    """D's loss on a real and a fake pair, halved so D learns slower than G (paper, sec. 3.3)."""
    return 0.5 * (adversarial_loss(real_logits, True, gan_mode) + adversarial_loss(fake_logits, False, gan_mode))


def desaturate(images: torch.Tensor, keep: float) -> torch.Tensor:
    """(N, 3, H, W) RGB images with `keep` of their colour: each pixel moved toward its luma (1 keeps them as
    they are, 0 leaves gray); linear, so it commutes with block means and with the [-1, 1] scaling."""
    luma = (images * images.new_tensor(LUMA_WEIGHTS).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    return luma + keep * (images - luma)


def l1_loss(fake: torch.Tensor, target: torch.Tensor, scale: int = 1, chroma_weight: float = 1.0) -> torch.Tensor:
    """Mean absolute error between output and target; L1 rather than L2 gives less blur (paper, sec. 3.1).

    With `scale` > 1 both are first averaged over scale x scale blocks: L1 then pays layout and colour only, and
    texture finer than a block, which L1 can only blur (its best guess for unpredictable texture is the mean), is
    left to the adversarial term. With `chroma_weight` < 1 (RGB only) both are first desaturated to that share of
    their colour: L1's best guess for a colour the input leaves open (a bag's leather, a grayscale photo's car) is
    the median, a grayish one, so a lighter colour term leaves the choice to D while luminance is paid in full."""
    if chroma_weight < 1.0 and fake.shape[1] == 3:
        fake, target = desaturate(fake, chroma_weight), desaturate(target, chroma_weight)
    if scale > 1:
        fake, target = F.avg_pool2d(fake, scale, ceil_mode=True), F.avg_pool2d(target, scale, ceil_mode=True)
    return F.l1_loss(fake, target)
