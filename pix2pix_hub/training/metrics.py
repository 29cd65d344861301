"""Validation metrics of a generator on held-out pairs: L1, PSNR and SSIM (torchmetrics), and how much detail and
colour its outputs hold next to the targets."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure

from ..evaluation.metrics import colourfulness, gradient_energy

METRIC_DESCRIPTIONS = {
    "l1": "mean absolute error on [-1, 1] images (the training L1 term; lower is better)",
    "psnr": "peak signal-to-noise ratio in dB on [0, 1] images, averaged per image (higher is better)",
    "ssim": "structural similarity on [0, 1] images (higher is better, 1 = identical)",
    "detail_ratio": "gradient energy of the outputs over the targets' (1 = as much fine detail; below: blur)",
    "colour_ratio": "colourfulness of the outputs over the targets' (1 = as colourful; below: washed out)",
}


@torch.no_grad()
def evaluate_generator(
    generator: nn.Module, batches: Iterable[dict[str, torch.Tensor]], device: torch.device | str = "cpu"
) -> dict[str, float]:
    """Mean L1, PSNR and SSIM of `generator` (deterministic eval mode: dropout off, running batch-norm statistics)
    over batches `{"input", "target"}` in [-1, 1]; the generator's train/eval mode is restored afterwards."""
    was_training = generator.training
    generator.eval()
    # one process validates; syncing with the others (torchmetrics' default under DDP) would wait for them forever
    psnr = PeakSignalNoiseRatio(data_range=1.0, dim=(1, 2, 3), sync_on_compute=False).to(device)
    ssim = StructuralSimilarityIndexMeasure(data_range=1.0, sync_on_compute=False).to(device)
    l1_sum, count = 0.0, 0
    # output and target totals of the detail and colour measures; their ratios are taken over the whole split
    sums = {"detail": [0.0, 0.0], "colour": [0.0, 0.0]}
    try:
        for batch in batches:
            inp, target = batch["input"].to(device), batch["target"].to(device)
            fake = generator(inp).float().clamp(-1, 1)
            l1_sum += (fake - target).abs().mean(dim=(1, 2, 3)).sum().item()
            count += len(inp)
            fake01, target01 = (fake + 1) / 2, (target + 1) / 2
            psnr.update(fake01, target01)
            ssim.update(fake01, target01)
            for key, measure in (("detail", gradient_energy), ("colour", colourfulness)):
                if key == "colour" and fake.shape[1] != 3:
                    continue
                sums[key][0] += measure(fake01).sum().item()
                sums[key][1] += measure(target01).sum().item()
    finally:
        generator.train(was_training)
    if count == 0:
        raise ValueError("no validation batches")
    result = {"l1": l1_sum / count, "psnr": psnr.compute().item(), "ssim": ssim.compute().item()}
    for key, (output_total, target_total) in sums.items():
        if target_total > 0:
            result[f"{key}_ratio"] = output_total / target_total
    return {**result, "num_images": count}
