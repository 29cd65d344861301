"""Show models of one task side by side on held-out pairs, to judge them by eye before shipping one.

    python train/zoo/compare_models.py maps-aerial2map model_zoo/maps-aerial2map runs/v2/maps-aerial2map -o cmp.png

Each row is one val pair (facades: test) as the zoo evaluates it (`pix2pix_hub.zoo.eval_batches`, 256x256):
input | each model's output, in the order given | target. Pairs are spread over every dataset of the task.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from pix2pix_hub.images import image_grid, tensor_to_pil
from pix2pix_hub.models import Pix2PixGenerator
from pix2pix_hub.tasks import get_task
from pix2pix_hub.zoo import eval_batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task")
    parser.add_argument("models", nargs="+", type=Path, help="Model folders (zoo folders or train.py outputs).")
    parser.add_argument("-o", "--output", type=Path, required=True, help="PNG to write.")
    parser.add_argument("--rows", type=int, default=8, help="Pairs to show, spread over the task's datasets.")
    parser.add_argument("--offset", type=int, default=0, help="Skip this many pairs of each dataset first.")
    args = parser.parse_args()
    task = get_task(args.task)
    per_dataset = -(-args.rows // len(task.datasets))
    pairs = []
    for name in task.datasets:
        batch = eval_batches(task, name, args.offset + per_dataset)
        inputs, targets = torch.cat([b["input"] for b in batch]), torch.cat([b["target"] for b in batch])
        pairs += list(zip(inputs[args.offset :], targets[args.offset :], strict=True))
    pairs = pairs[: args.rows]
    inputs = torch.stack([inp for inp, _ in pairs])
    columns = []
    for folder in args.models:
        generator = Pix2PixGenerator.from_pretrained(folder).float().eval()
        with torch.no_grad():
            columns.append(generator(inputs).clamp(-1, 1))
    rows = [
        [tensor_to_pil(inp), *(tensor_to_pil(column[i]) for column in columns), tensor_to_pil(target)]
        for i, (inp, target) in enumerate(pairs)
    ]
    image_grid(rows).save(args.output)
    print(f"wrote {args.output}: input | {' | '.join(str(m) for m in args.models)} | target")


if __name__ == "__main__":
    main()
