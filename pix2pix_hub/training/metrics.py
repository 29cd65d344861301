"""Validation metrics of a generator on held-out pairs, as `pix2pix-hub evaluate` defines them
(`pix2pix_hub.evaluation.metrics.ImageScores`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from ..evaluation.metrics import ImageScores


@torch.no_grad()
def score_generator(
    generator: nn.Module,
    batches: Iterable[dict[str, torch.Tensor]],
    device: torch.device | str = "cpu",
    postprocess: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> ImageScores:
    """`ImageScores` of `generator`'s outputs (deterministic eval mode: dropout off, running batch-norm statistics)
    over batches `{"input", "target"}` in [-1, 1], scored on the CPU; the generator's mode is restored after.
    `postprocess(inputs, outputs)` changes the outputs before scoring (e.g. as the Space serves them)."""
    was_training = generator.training
    generator.eval()
    scores = ImageScores()
    try:
        for batch in batches:
            fake = generator(batch["input"].to(device)).float().clamp(-1, 1).cpu()
            if postprocess is not None:
                fake = postprocess(batch["input"].float().cpu(), fake)
            scores.update((fake + 1) / 2, (batch["target"].float().cpu() + 1) / 2)
    finally:
        generator.train(was_training)
    return scores


def evaluate_generator(
    generator: nn.Module, batches: Iterable[dict[str, torch.Tensor]], device: torch.device | str = "cpu"
) -> dict[str, float]:
    """The image metrics of `score_generator` as numbers (L1, PSNR, SSIM, detail and colour ratios, num_images)."""
    return score_generator(generator, batches, device).compute()
