"""Differentiable augmentation of the pairs D sees (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient
GAN Training"), with ADA's adaptive probability (Karras et al. 2020): remedies for a D that memorises a small set.

Real and generated pairs go through the same random family of transforms before D, in D's step and in G's, so D
cannot tell them apart by the augmentation and G is never pushed to produce it. Translation and cutout move or
blank the condition and the image together, so D still sees matching pairs; the colour transforms change the image
only (a label map or an edge map whose colours shift would stop being the same condition).

The three transforms are DiffAugment's own (brightness, saturation, contrast; a shift of up to 1/8 of the side;
a cutout of half the side), written here in 60 lines instead of taken from kornia: kornia.augmentation would apply
its colour jitter to all six channels of the pair or need per-half parameter plumbing, and would add a dependency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

#: the transforms `--diffaugment` takes, comma-separated, in the order they are applied
POLICIES = ("color", "translation", "cutout")


def parse_policy(text: str) -> tuple[str, ...]:
    """'color,translation,cutout' -> a tuple of known names; an unknown name is a ValueError naming the choices."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise ValueError(f"unknown augmentation {unknown}; choose among {', '.join(POLICIES)} (comma-separated)")
    return names


def _applied(batch: int, probability: float, like: torch.Tensor) -> torch.Tensor:
    """A (N, 1, 1, 1) mask of the samples a transform applies to, each with `probability`."""
    return (torch.rand(batch, 1, 1, 1, device=like.device) < probability).to(like.dtype)


def _color(images: list[torch.Tensor], probability: float) -> list[torch.Tensor]:
    """Brightness, saturation and contrast, with the same random factors for each of `images`."""
    first = images[0]
    n = first.shape[0]
    factors = torch.rand(3, n, 1, 1, 1, device=first.device, dtype=first.dtype)
    keep = _applied(n, probability, first)
    outputs = []
    for image in images:
        out = image + (factors[0] - 0.5)
        mean = out.mean(dim=1, keepdim=True)
        out = (out - mean) * (factors[1] * 2) + mean
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        out = (out - mean) * (factors[2] + 0.5) + mean
        outputs.append(keep * out + (1 - keep) * image)
    return outputs


def _translation(pair: torch.Tensor, probability: float, ratio: float = 0.125) -> torch.Tensor:
    n, _, h, w = pair.shape
    dy, dx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    padded = F.pad(pair, (dx, dx, dy, dy))
    keep = (torch.rand(n) < probability).tolist()
    shifts_y = torch.randint(-dy, dy + 1, (n,)).tolist()
    shifts_x = torch.randint(-dx, dx + 1, (n,)).tolist()
    rows = [
        padded[i : i + 1, :, dy + sy : dy + sy + h, dx + sx : dx + sx + w] if keep[i] else pair[i : i + 1]
        for i, (sy, sx) in enumerate(zip(shifts_y, shifts_x, strict=True))
    ]
    return torch.cat(rows)


def _cutout(pair: torch.Tensor, probability: float, ratio: float = 0.5) -> torch.Tensor:
    n, _, h, w = pair.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h - ch + 1, (n, 1, 1), device=pair.device)
    left = torch.randint(0, w - cw + 1, (n, 1, 1), device=pair.device)
    ys = torch.arange(h, device=pair.device).view(1, h, 1)
    xs = torch.arange(w, device=pair.device).view(1, 1, w)
    hole = ((ys >= top) & (ys < top + ch) & (xs >= left) & (xs < left + cw)).unsqueeze(1).to(pair.dtype)
    return pair * (1 - hole * _applied(n, probability, pair))


def diff_augment(
    condition: torch.Tensor, *images: torch.Tensor, policy: tuple[str, ...], probability: float = 1.0
) -> tuple[torch.Tensor, ...]:
    """(condition, *images) after `policy`'s transforms, each applied to a sample with `probability`; every image
    gets the same draw (feature matching compares a real and a fake pair seen the same way). Differentiable in the
    images; random draws come from torch's global RNG (seeded by train.py)."""
    if not policy or probability <= 0:
        return (condition, *images)
    images_list = list(images)
    if "color" in policy:
        images_list = _color(images_list, probability)
    sizes = [condition.shape[1]] + [image.shape[1] for image in images_list]
    pair = torch.cat([condition, *images_list], dim=1)
    if "translation" in policy:
        pair = _translation(pair, probability)
    if "cutout" in policy:
        pair = _cutout(pair, probability)
    return tuple(pair.split(sizes, dim=1))


@dataclass
class AdaptiveProbability:
    """ADA's controller: raise the augmentation probability while D is too sure of the real pairs (the share of
    real patches it scores on the real side, r_t, above `target`), lower it otherwise. `images_to_full` is how many
    images it takes to move p from 0 to 1; checkpointed with the run so a resume continues the same p."""

    target: float = 0.6
    interval: int = 4
    images_to_full: int = 10_000
    probability: float = 0.0
    _signs: list[float] = field(default_factory=list)

    def observe(self, real_logits: torch.Tensor, threshold: float, batch_size: int) -> None:
        """Record one D step's real logits (`threshold`: the midpoint of D's real and fake targets); every
        `interval` steps, move p by the sign of r_t - target."""
        self._signs.append(torch.sign(real_logits.detach().float() - threshold).mean().item())
        if len(self._signs) >= self.interval:
            overfit = sum(self._signs) / len(self._signs)
            step = batch_size * self.interval / self.images_to_full
            self.probability = min(1.0, max(0.0, self.probability + (step if overfit > self.target else -step)))
            self._signs.clear()

    def state_dict(self) -> dict:
        return {"probability": self.probability, "signs": list(self._signs)}

    def load_state_dict(self, state: dict) -> None:
        self.probability = float(state["probability"])
        self._signs = list(state["signs"])
