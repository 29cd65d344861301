"""Build the combined pix2pix-layout training folders the multi-dataset zoo tasks train on (git-ignored, under runs/).

    python train/zoo/prepare_data.py sketch2photo runs/data/sketch2photo   # symlinks to both edge sets
    python train/zoo/prepare_data.py photos runs/data/photos               # photo|photo pairs for colorization, inpainting

train/train.py reads one dataset folder; these folders let it train on several without changing it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from pix2pix_hub.images import list_images
from pix2pix_hub.tasks import find_dataset_dir, get_task
from pix2pix_hub.zoo import PHOTO_DIRECTIONS

EDGE_SETS = get_task("sketch2photo").datasets
PHOTO_SETS = get_task("colorization").datasets


def link_edges(output: Path, split: str = "train") -> int:
    """output/<split>/<dataset>_<name>: symlinks to every edges2shoes and edges2handbags pair, stored as is."""
    (output / split).mkdir(parents=True, exist_ok=True)
    count = 0
    for name in EDGE_SETS:
        for path in list_images(find_dataset_dir(name) / split):
            link = output / split / f"{name}_{path.name}"
            if not link.exists():
                link.symlink_to(path.resolve())
            count += 1
    return count


def photo_pairs(output: Path, split: str = "train") -> int:
    """output/<split>/<dataset>_<name>: the photo half of every pair of every photo dataset, as photo|photo (the
    derived tasks make their inputs from the target photo on the fly)."""
    (output / split).mkdir(parents=True, exist_ok=True)
    count = 0
    for name in PHOTO_SETS:
        for path in list_images(find_dataset_dir(name) / split):
            out = output / split / f"{name}_{path.stem}.jpg"
            count += 1
            if out.exists():
                continue
            with Image.open(path) as pair:
                half = pair.width // 2
                box = (
                    (0, 0, half, pair.height)
                    if PHOTO_DIRECTIONS[name] == "BtoA"
                    else (half, 0, pair.width, pair.height)
                )
                photo = pair.convert("RGB").crop(box)
            both = Image.new("RGB", (2 * photo.width, photo.height))
            both.paste(photo, (0, 0))
            both.paste(photo, (photo.width, 0))
            both.save(out, quality=95)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("sketch2photo", "photos"))
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    count = (link_edges if args.kind == "sketch2photo" else photo_pairs)(args.output)
    print(f"{args.output}/train: {count} pairs")


if __name__ == "__main__":
    main()
