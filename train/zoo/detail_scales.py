"""Where a generator's missing detail is: the detail ratio (gradient energy of the outputs over the targets') on a
task's held-out pairs at full resolution, after averaging both over 2x2 and 4x4 blocks, and in the 4-pixel border alone.

    python train/zoo/detail_scales.py colorization model_zoo/colorization runs/colorization

A ratio that recovers once halved is detail lost in the decoder's last doubling (docs/training.md, decoder options);
one low at every scale is texture the generator does not invent. A frame ratio far above the full image's is an
artefact along the border (the coloured streak along the top edge that facades models paint).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F

from pix2pix_hub.evaluation.metrics import gradient_energy
from pix2pix_hub.models import Pix2PixGenerator
from pix2pix_hub.tasks import get_task
from pix2pix_hub.zoo import EVAL_PAIRS, eval_batches

SCALES = (1, 2, 4)
#: width in pixels of the border frame scored on its own
FRAME = 4
#: what `detail_by_scale` returns a ratio for: each of SCALES, then the border frame
COLUMNS = (*SCALES, "frame")


def frame_energy(images: torch.Tensor) -> torch.Tensor:
    """Per-image gradient energy of the outer `FRAME` pixels: the top and bottom strips and the left and right ones."""
    strips = (images[..., :FRAME, :], images[..., -FRAME:, :], images[..., :, :FRAME], images[..., :, -FRAME:])
    return sum(gradient_energy(strip) for strip in strips)


def detail_by_scale(generator: Pix2PixGenerator, task_name: str, max_samples: int) -> dict[int | str, float]:
    """Detail ratio at each of `SCALES` and in the border frame ("frame") over the first `max_samples` held-out pairs
    of each of the task's datasets."""
    task = get_task(task_name)
    totals: dict[int | str, list[float]] = {column: [0.0, 0.0] for column in COLUMNS}
    generator = generator.float().eval()
    for dataset in task.datasets:
        for batch in eval_batches(task, dataset, max_samples):
            with torch.no_grad():
                output = (generator(batch["input"]).clamp(-1, 1) + 1) / 2
            target = (batch["target"] + 1) / 2
            for scale in SCALES:
                totals[scale][0] += gradient_energy(F.avg_pool2d(output, scale)).sum().item()
                totals[scale][1] += gradient_energy(F.avg_pool2d(target, scale)).sum().item()
            totals["frame"][0] += frame_energy(output).sum().item()
            totals["frame"][1] += frame_energy(target).sum().item()
    return {scale: output_total / target_total for scale, (output_total, target_total) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task")
    parser.add_argument("folders", nargs="+", type=Path, help="Generator folders (model_zoo/TASK, runs).")
    parser.add_argument("--max_samples", type=int, default=EVAL_PAIRS, help="Held-out pairs per dataset.")
    args = parser.parse_args()
    print("| model | " + " | ".join(f"detail at 1/{s}" if s > 1 else "detail" for s in SCALES) + " | frame |")
    print("|---|" + "---|" * len(COLUMNS))
    for folder in args.folders:
        ratios = detail_by_scale(Pix2PixGenerator.from_pretrained(folder), args.task, args.max_samples)
        print(f"| {folder} | " + " | ".join(f"{ratios[s]:.2f}" for s in COLUMNS) + " |", flush=True)


if __name__ == "__main__":
    main()
