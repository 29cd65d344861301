"""Pack the zoo's training data into one small git-ignored folder that travels to a GPU machine (train_gpu.sh).

    python train/zoo/gpu_pack.py                 # gpu_pack/<dataset>/train/*.jpg, at most 60 MiB

Every dataset of the registry found here goes in with its train split, re-encoded at the highest JPEG quality that
keeps the whole pack under the budget (estimated on a sample spread over each dataset first). Evaluation stays on this
machine, on the full val splits, so no val pairs are packed.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from PIL import Image

from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.images import list_images
from pix2pix_hub.paired_datasets import DATASETS
from pix2pix_hub.tasks import find_dataset_dir

QUALITIES = (90, 85, 80, 75, 70, 60)
SAMPLE = 40


def encoded(path: Path, quality: int) -> bytes:
    """One pair re-encoded as an RGB JPEG of `quality`."""
    buffer = io.BytesIO()
    with Image.open(path) as image:
        image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def estimate(files: dict[str, list[Path]], quality: int) -> float:
    """Estimated pack size in bytes at `quality`, from the mean size of pairs spread over each dataset."""
    total = 0.0
    for paths in filter(None, files.values()):
        sample = paths[:: max(1, len(paths) // SAMPLE)]
        total += sum(len(encoded(p, quality)) for p in sample) / len(sample) * len(paths)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("gpu_pack"))
    parser.add_argument("--budget_mib", type=float, default=60.0, help="Largest pack size.")
    args = parser.parse_args()
    files = {}
    for name in DATASETS:
        try:
            files[name] = list_images(find_dataset_dir(name) / "train")
        except Pix2PixHubError as exc:  # a dataset that is not here is left out, and said
            print(f"gpu_pack.py: {name} left out ({exc})", file=sys.stderr)
    budget = args.budget_mib * 2**20
    quality = next((q for q in QUALITIES if estimate(files, q) <= 0.95 * budget), None)
    if quality is None:
        sys.exit(f"gpu_pack.py: the train splits do not fit {args.budget_mib} MiB even at quality {QUALITIES[-1]}")
    total = 0
    for name, paths in files.items():
        folder = args.output / name / "train"
        folder.mkdir(parents=True, exist_ok=True)
        for path in paths:
            data = encoded(path, quality)
            (folder / f"{path.stem}.jpg").write_bytes(data)
            total += len(data)
    if total > budget:
        sys.exit(f"gpu_pack.py: {args.output} is {total / 2**20:.1f} MiB, over the {args.budget_mib} MiB budget")
    counts = ", ".join(f"{name} {len(paths)}" for name, paths in files.items())
    print(f"wrote {args.output}: {counts} train pairs, JPEG quality {quality}, {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
