"""Train the FCN-score segmentation network on real photos and their decoded label maps (cross-entropy).

    nice python train/train_segmenter.py --task cityscapes-labels2photo --output_dir runs/segmenter-cityscapes

The last `--holdout` pairs of the train split (natural file order) are never trained on: the network's scores on
those real photos are its "ground truth" row, the analogue of the paper's FCN-8s on real Cityscapes photos.
OUTPUT_DIR becomes a Hub folder (config.json, fp16 model.safetensors, README.md, scores.json) with resumable
checkpoints in OUTPUT_DIR/checkpoints/.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shlex
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from tqdm.auto import tqdm

from pix2pix_hub.data import load_paired_dataset
from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.evaluation.metrics import LabelScores
from pix2pix_hub.evaluation.segmenter import LabelSegmenter, segmenter_card_kwargs
from pix2pix_hub.measures import MEASURES
from pix2pix_hub.paired_datasets import NON_COMMERCIAL_LICENSE, is_non_commercial
from pix2pix_hub.palettes import IGNORE_INDEX, decode_labels
from pix2pix_hub.tasks import TASKS, find_dataset_dir, get_task
from pix2pix_hub.training.checkpoints import (
    latest_checkpoint,
    read_checkpoint_state,
    remove_temporary_checkpoints,
    save_checkpoint,
)

logger = logging.getLogger(__name__)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    fcn_tasks = sorted(name for name, task in TASKS.items() if MEASURES[task.evaluation].needs_segmenter)
    parser.add_argument(
        "--task", choices=fcn_tasks, default="cityscapes-labels2photo", help="Task whose photos are segmented."
    )
    parser.add_argument("--dataset", help="Dataset folder; default: the task's dataset under the data roots.")
    parser.add_argument("--holdout", type=int, default=100, help="Last N train pairs kept out as the test set.")
    parser.add_argument("--image_size", type=int, default=256, help="Training and inference resolution.")
    parser.add_argument("--base_channels", type=int, default=16, help="Channels of the first U-Net level.")
    parser.add_argument("--num_levels", type=int, default=3, help="U-Net levels below the stem.")
    parser.add_argument("--stem_downs", type=int, default=2, help="Stride-2 stem convolutions (2: works at 1/4).")
    parser.add_argument("--epochs", type=int, default=6, help="Passes over the training pairs.")
    parser.add_argument("--batch_size", type=int, default=8, help="Photos per step.")
    parser.add_argument("--learning_rate", type=float, default=2e-3, help="Adam learning rate (cosine decay).")
    parser.add_argument("--max_scale", type=float, default=1.25, help="Random zoom in [1, max_scale] before cropping.")
    parser.add_argument("--seed", type=int, default=0, help="Random seed.")
    parser.add_argument("--num_threads", type=int, default=2, help="CPU threads for torch.")
    parser.add_argument("--output_dir", type=Path, required=True, help="Hub folder to write; checkpoints inside.")
    parser.add_argument(
        "--resume_from_checkpoint", default="latest", help="'latest', a checkpoint folder, or 'none' to start over."
    )
    parser.add_argument("--checkpoints_total_limit", type=int, default=2, help="Checkpoints kept.")
    return parser.parse_args(argv)


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run: the script with every argument that differs from its default."""
    defaults = vars(parse_args(["--output_dir", "."]))
    flags = [f"--{k}={v}" for k, v in vars(args).items() if k == "output_dir" or v != defaults[k]]
    return shlex.join(["python", "train/train_segmenter.py", *flags])


def load_split(
    folder: Path, split: str, task_name: str, start: int = 0, stop: int | None = None, cache_dir: Path | None = None
):
    """Photos (N, 3, S, S) and decoded label ids (N, S, S) of a split's pairs [start:stop], both uint8 (compact).

    With `cache_dir`, the decoded tensors are kept there so that a resumed run skips decoding.
    """
    cache = cache_dir / f"decoded-{split}-{start}-{stop}.pt" if cache_dir is not None else None
    if cache is not None and cache.is_file():
        return torch.load(cache)
    task = get_task(task_name)
    rows = load_paired_dataset(folder, split, direction=task.direction)
    rows = rows.select(range(start, len(rows) if stop is None else stop))
    photos, labels = [], []
    for row in tqdm(rows, desc=f"decoding {split}[{start}:{stop}]", leave=False, mininterval=30):
        # labels -> photo task: the input is the label map, the target the photo
        photos.append(torch.from_numpy(np.array(row["target"].convert("RGB"))).permute(2, 0, 1))
        labels.append(torch.from_numpy(decode_labels(row["input"], task.palette, name=row["name"]).astype(np.uint8)))
    if not photos:
        raise Pix2PixHubError(f"{folder}/{split}[{start}:{stop}]: no pairs")
    result = torch.stack(photos), torch.stack(labels)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save(result, cache)
    return result


def to_unit_range(photos: torch.Tensor) -> torch.Tensor:
    """uint8 photos -> float in [-1, 1], the generator's output range the segmenter sees at evaluation."""
    return photos.float() / 127.5 - 1


def augment(photos: torch.Tensor, labels: torch.Tensor, max_scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Random zoom, crop back to size and horizontal flip, the same for photo and labels (nearest for labels)."""
    size = photos.shape[-1]
    scaled = int(round(size * float(torch.empty(1).uniform_(1.0, max_scale))))
    if scaled > size:
        photos = F.interpolate(photos, size=(scaled, scaled), mode="bilinear", align_corners=False)
        labels = F.interpolate(labels[:, None].float(), size=(scaled, scaled), mode="nearest")[:, 0]
        top, left = (int(v) for v in torch.randint(0, scaled - size + 1, (2,)))
        photos = photos[..., top : top + size, left : left + size]
        labels = labels[..., top : top + size, left : left + size]
    if torch.rand(1) < 0.5:
        photos, labels = photos.flip(-1), labels.flip(-1)
    return photos, labels.long()


@torch.no_grad()
def score(model: LabelSegmenter, photos: torch.Tensor, labels: torch.Tensor, batch_size: int = 16) -> dict:
    """The segmenter's label scores on real photos: its 'ground truth' FCN-score row."""
    model.eval()
    scores = LabelScores(model.num_classes)
    for i in range(0, len(photos), batch_size):
        scores.update(model.predict(to_unit_range(photos[i : i + batch_size])), labels[i : i + batch_size].long())
    return scores.compute()


def main(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.num_threads)
    set_seed(args.seed)
    task = get_task(args.task)
    folder = Path(args.dataset) if args.dataset else find_dataset_dir(task.datasets[0])
    num_train = len(load_paired_dataset(folder, "train", direction=task.direction))
    if args.holdout >= num_train:
        raise Pix2PixHubError(f"--holdout {args.holdout} leaves nothing to train on ({num_train} train pairs)")
    cache_dir = args.output_dir / "checkpoints"
    train_photos, train_labels = load_split(folder, "train", task.name, 0, num_train - args.holdout, cache_dir)
    holdout_photos, holdout_labels = load_split(folder, "train", task.name, num_train - args.holdout, None, cache_dir)

    model = LabelSegmenter(
        palette=task.palette,
        base_channels=args.base_channels,
        num_levels=args.num_levels,
        stem_downs=args.stem_downs,
        input_size=args.image_size,
    )
    steps_per_epoch = math.ceil(len(train_photos) / args.batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * steps_per_epoch)
    accelerator = Accelerator(cpu=True)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)

    checkpoints_dir = args.output_dir / "checkpoints"
    start_epoch = 0
    resume = None
    if args.resume_from_checkpoint == "latest":
        remove_temporary_checkpoints(checkpoints_dir)
        resume = latest_checkpoint(checkpoints_dir)
    elif args.resume_from_checkpoint != "none":
        resume = Path(args.resume_from_checkpoint)
    trained_seconds = 0.0  # over all runs that led to this model, resumes included
    if resume is not None:
        state = read_checkpoint_state(resume)
        accelerator.load_state(str(resume))
        start_epoch, trained_seconds = state["epoch"], state.get("train_seconds", 0.0)
        logger.warning("resumed from %s (epoch %d done)", resume, start_epoch)

    started = time.time()
    for epoch in range(start_epoch, args.epochs):
        epoch_started = time.time()
        model.train()
        generator = torch.Generator().manual_seed(args.seed * 1000 + epoch)
        order = torch.randperm(len(train_photos), generator=generator)
        progress = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{args.epochs}", mininterval=30)
        total = 0.0
        for step in progress:
            index = order[step * args.batch_size : (step + 1) * args.batch_size]
            photos, labels = augment(to_unit_range(train_photos[index]), train_labels[index], args.max_scale)
            loss = F.cross_entropy(model(photos), labels, ignore_index=IGNORE_INDEX)
            optimizer.zero_grad()
            accelerator.backward(loss)
            optimizer.step()
            scheduler.step()
            total += loss.item()
            progress.set_postfix(loss=f"{total / (step + 1):.3f}")
        trained_seconds += time.time() - epoch_started
        state = {"epoch": epoch + 1, "train_seconds": trained_seconds}
        save_checkpoint(accelerator, checkpoints_dir, epoch + 1, state, args.checkpoints_total_limit)
        holdout = score(accelerator.unwrap_model(model), holdout_photos, holdout_labels)
        print(
            f"epoch {epoch + 1}: loss {total / steps_per_epoch:.4f}, held-out pixel/class/IoU "
            f"{holdout['pixel_accuracy']:.3f}/{holdout['class_accuracy']:.3f}/{holdout['class_iou']:.3f}, "
            f"{time.time() - started:.0f} s",
            flush=True,
        )

    model = accelerator.unwrap_model(model).half().float()  # score what is shipped: fp16-rounded weights
    scores = {"holdout": score(model, holdout_photos, holdout_labels)}
    eval_photos, eval_labels = load_split(folder, task.eval_split, task.name, cache_dir=cache_dir)
    scores[task.eval_split] = score(model, eval_photos, eval_labels)
    facts = {
        "task": task.name,
        "dataset": folder.name,
        "train_pairs": len(train_photos),
        "holdout_pairs": len(holdout_photos),
        "eval_split": task.eval_split,
        "eval_pairs": len(eval_photos),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "train_seconds": round(trained_seconds),
        "command": command_line(args),
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "scores.json").write_text(json.dumps({**facts, "scores": scores}, indent=2) + "\n")
    model.half().save_pretrained(args.output_dir)
    # written here, not by save_pretrained, which keeps a README.md already in the folder (e.g. of a resumed run)
    card = model.generate_model_card(**segmenter_card_kwargs(model, facts, scores))
    if is_non_commercial({folder.name, *task.datasets}):  # e.g. trained on Cityscapes photos
        for key, value in NON_COMMERCIAL_LICENSE.items():
            setattr(card.data, key, value)
    card.save(args.output_dir / "README.md")
    print(
        json.dumps({k: {m: v[m] for m in ("pixel_accuracy", "class_accuracy", "class_iou")} for k, v in scores.items()})
    )


if __name__ == "__main__":
    main(parse_args())
