"""Build the combined pix2pix-layout training folder a multi-dataset zoo task trains on (git-ignored, under runs/),
and print the folder to pass as --dataset (nothing for a task that trains on its one stored dataset).

    python train/zoo/prepare_data.py sketch2photo   # runs/data/sketch2photo: symlinks to both edge sets
    python train/zoo/prepare_data.py colorization   # runs/data/photos: photo|photo pairs of every photo dataset

train/train.py reads one dataset folder; these folders let it train on several without changing it. What a task
needs follows from the registries: inputs made from photos (`InputKind.from_photos`) train on the photo halves,
other tasks with several datasets on their pairs as stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from pix2pix_hub.images import list_images
from pix2pix_hub.paired_datasets import DATASETS
from pix2pix_hub.tasks import Task, find_dataset_dir, get_task

#: where the combined folders are built
DATA_ROOT = Path("runs/data")


def link_pairs(names: tuple[str, ...], output: Path, split: str = "train") -> int:
    """output/<split>/<dataset>_<name>: symlinks to every pair of the named datasets, stored as is."""
    (output / split).mkdir(parents=True, exist_ok=True)
    count = 0
    for name in names:
        for path in list_images(find_dataset_dir(name) / split):
            link = output / split / f"{name}_{path.name}"
            if not link.exists():
                link.symlink_to(path.resolve())
            count += 1
    return count


def photo_pairs(names: tuple[str, ...], output: Path, split: str = "train") -> int:
    """output/<split>/<dataset>_<name>: the photo half of every pair of the named datasets, as photo|photo (the
    derived tasks make their inputs from the target photo on the fly)."""
    (output / split).mkdir(parents=True, exist_ok=True)
    count = 0
    for name in names:
        for path in list_images(find_dataset_dir(name) / split):
            out = output / split / f"{name}_{path.stem}.jpg"
            count += 1
            if out.exists():
                continue
            with Image.open(path) as pair:
                half = pair.width // 2
                box = (
                    (0, 0, half, pair.height)
                    if DATASETS[name].photo_half == "A"
                    else (half, 0, pair.width, pair.height)
                )
                photo = pair.convert("RGB").crop(box)
            both = Image.new("RGB", (2 * photo.width, photo.height))
            both.paste(photo, (0, 0))
            both.paste(photo, (photo.width, 0))
            both.save(out, quality=95)
    return count


def training_folder(task: Task, root: Path = DATA_ROOT) -> Path | None:
    """Build the task's combined folder and return it; None when the task trains on its one stored dataset."""
    if task.derived_from_photos:
        photo_pairs(task.datasets, root / "photos")
        return root / "photos"
    if len(task.datasets) > 1:
        link_pairs(task.datasets, root / task.name)
        return root / task.name
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task")
    parser.add_argument("--root", type=Path, default=DATA_ROOT, help="Where combined folders are built.")
    args = parser.parse_args()
    task = get_task(args.task)
    if not task.has_data:
        sys.exit(
            f"prepare_data.py: {task.name} has no data here: {task.note} With the zoo recipe: DATASET=path/to/pairs train/zoo/train_task.sh {task.name}"
        )
    folder = training_folder(task, args.root)
    print(folder if folder is not None else "")


if __name__ == "__main__":
    main()
