"""Paired (A, B) image data as `datasets.Dataset`s, the paper's paired jitter, and a Hub-ready converter.

Three sources give the same rows:
(a) a pix2pix side-by-side folder (`facades/train/1.jpg` holds A|B),
(b) a Hub dataset id or local dataset folder with two image columns (`imageA`/`imageB` as the HugGAN sets),
(c) two folders of images paired by file name.
Images are decoded lazily (row by row), so opening a 1000-image folder takes a fraction of a second.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import torch
from huggingface_hub import HfApi
from PIL import Image, JpegImagePlugin

from .dataset_card import write_dataset_card
from .defaults import DEFAULT_COLUMNS, DIRECTIONS
from .errors import Pix2PixHubError
from .images import list_images, open_image, pil_to_tensor, to_mode

logger = logging.getLogger(__name__)

#: EXIF tag of the camera orientation; 1 means stored upright
_EXIF_ORIENTATION = 0x0112

PairDecoder = Callable[[dict[str, Any]], tuple[Image.Image, Image.Image, str]]
#: one row -> (A file bytes, B file bytes, name): the pair as stored image files, for `export_dataset`
PairEncoder = Callable[[dict[str, Any]], tuple[bytes, bytes, str]]


@dataclass
class _PairSource:
    """Undecoded rows plus the functions that turn one row into (A, B, name) as images or as image files."""

    rows: datasets.Dataset
    decode: PairDecoder
    encode: PairEncoder


def image_file_bytes(image: Image.Image, like: Image.Image) -> bytes:
    """`image` as file bytes in the format of `like`, the file it comes from: a JPEG source stays JPEG, encoded with
    the source's own quantization tables and chroma subsampling (same quality and size, no PNG blow-up); anything
    else becomes PNG (lossless)."""
    buffer = io.BytesIO()
    if like.format == "JPEG" and image.mode == like.mode in ("RGB", "L") and getattr(like, "quantization", None):
        sampling = JpegImagePlugin.get_sampling(like)
        extra = {"subsampling": sampling} if sampling >= 0 else {}
        image.save(buffer, "JPEG", qtables=like.quantization, **extra)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise Pix2PixHubError(f"direction must be AtoB or BtoA, got {direction!r}")


def is_side_by_side_folder(path: Path) -> bool:
    """A folder of A|B images, or a dataset folder whose splits are such folders (no parquet/arrow files)."""
    if not path.is_dir():
        return False
    has_data_files = any(path.rglob("*.parquet")) or any(path.rglob("*.arrow"))
    return not has_data_files and (
        bool(list_images(path)) or any(p.is_dir() and list_images(p) for p in path.iterdir())
    )


def available_splits(source: str | os.PathLike) -> list[str]:
    """Split folders of a side-by-side dataset folder (e.g. ['test', 'train'] for facades)."""
    path = Path(source)
    return sorted(p.name for p in path.iterdir() if p.is_dir() and list_images(p))


def _split_folder(root: Path, split: str) -> Path:
    if (root / split).is_dir():
        return root / split
    if list_images(root) and not available_splits(root):
        return root  # the folder is itself one split
    raise Pix2PixHubError(
        f"{root}: no split {split!r}; it has {available_splits(root) or 'no split folders'}. Pick one with split=..."
    )


def _open_rgb(path: str, what: str = "") -> Image.Image:
    return to_mode(open_image(path), 3, path + what)


def _side_by_side_source(root: Path, split: str, skip_bad: bool) -> _PairSource:
    folder = _split_folder(root, split)
    paths = []
    for path in list_images(folder):
        try:
            with Image.open(path) as img:  # header only: cheap size check before any training starts
                width, height = img.size
        except (OSError, Image.DecompressionBombError) as exc:
            _bad(f"{path}: not a readable image ({exc.__class__.__name__})", skip_bad)
            continue
        if width < 2 or width % 2:
            _bad(f"{path}: width {width} is odd, so it cannot be split into A|B halves of equal size", skip_bad)
            continue
        paths.append(str(path))
    rows = datasets.Dataset.from_dict({"path": paths, "name": [Path(p).stem for p in paths]})

    def decode(row: dict[str, Any]) -> tuple[Image.Image, Image.Image, str]:
        pair = _open_rgb(row["path"])
        half = pair.width // 2
        return pair.crop((0, 0, half, pair.height)), pair.crop((half, 0, pair.width, pair.height)), row["name"]

    def encode(row: dict[str, Any]) -> tuple[bytes, bytes, str]:
        a, b, name = decode(row)
        with Image.open(row["path"]) as source:
            upright = source.getexif().get(_EXIF_ORIENTATION, 1) == 1  # else the halves were rotated: no JPEG reuse
            like = source if upright else a
            return image_file_bytes(a, like), image_file_bytes(b, like), name

    return _PairSource(rows, decode, encode)


def _two_folder_source(folder_a: Path, folder_b: Path, skip_bad: bool) -> _PairSource:
    by_stem_b = {p.stem: p for p in list_images(folder_b)}
    pairs = [(str(p), str(by_stem_b[p.stem])) for p in list_images(folder_a) if p.stem in by_stem_b]
    unpaired = len(list_images(folder_a)) - len(pairs)
    if unpaired:
        logger.warning("%s: %d images have no same-named image in %s and are left out", folder_a, unpaired, folder_b)
    rows = datasets.Dataset.from_dict(
        {"path_a": [a for a, _ in pairs], "path_b": [b for _, b in pairs], "name": [Path(a).stem for a, _ in pairs]}
    )

    def decode(row: dict[str, Any]) -> tuple[Image.Image, Image.Image, str]:
        return _open_rgb(row["path_a"]), _open_rgb(row["path_b"]), row["name"]

    def encode(row: dict[str, Any]) -> tuple[bytes, bytes, str]:
        decode(row)  # refuse unreadable files as training would
        return Path(row["path_a"]).read_bytes(), Path(row["path_b"]).read_bytes(), row["name"]

    return _PairSource(rows, decode, encode)


def _image_column_source(source: str, split: str, column_a: str, column_b: str) -> _PairSource:
    path = Path(source)
    try:
        if path.is_dir() and (path / "dataset_dict.json").exists():
            rows = datasets.load_from_disk(str(path))[split]
        elif path.is_dir() and (path / "dataset_info.json").exists():
            rows = datasets.load_from_disk(str(path))
        else:
            rows = datasets.load_dataset(str(source), split=split)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise Pix2PixHubError(f"{source}: could not load split {split!r} as a dataset ({exc}).") from exc
    missing = [c for c in (column_a, column_b) if c not in rows.column_names]
    if missing:
        raise Pix2PixHubError(
            f"{source}: no column {missing}; its columns are {rows.column_names}. "
            "Pass column_a/column_b (--column_a/--column_b) naming the two image columns."
        )
    name_column = "name" if "name" in rows.column_names else None
    index_rows = rows.add_column("_index", list(range(len(rows)))) if name_column is None else rows

    def decode(row: dict[str, Any]) -> tuple[Image.Image, Image.Image, str]:
        name = str(row[name_column]) if name_column else f"{row['_index']:06d}"
        return (
            to_mode(row[column_a], 3, f"{source}[{name}].{column_a}"),
            to_mode(row[column_b], 3, f"{source}[{name}].{column_b}"),
            name,
        )

    def encode(row: dict[str, Any]) -> tuple[bytes, bytes, str]:
        a, b, name = decode(row)
        return image_file_bytes(a, row[column_a]), image_file_bytes(b, row[column_b]), name

    return _PairSource(index_rows, decode, encode)


def _bad(message: str, skip: bool) -> None:
    if not skip:
        raise Pix2PixHubError(message + "; fix or remove it (or pass skip_bad=True to leave it out).")
    logger.warning("%s; left out", message)


def _pair_source(source, split, source_b, column_a, column_b, skip_bad) -> _PairSource:
    if source_b is not None:
        return _two_folder_source(Path(source), Path(source_b), skip_bad)
    path = Path(source)
    if is_side_by_side_folder(path):
        return _side_by_side_source(path, split, skip_bad)
    if path.exists() and not path.is_dir():
        raise Pix2PixHubError(f"{source}: is a file; give a dataset folder, a pix2pix A|B folder or a Hub dataset id.")
    return _image_column_source(str(source), split, column_a, column_b)


def _checked_source(source, split, source_b, column_a, column_b, skip_bad) -> _PairSource:
    src = _pair_source(source, split, source_b, column_a, column_b, skip_bad)
    if len(src.rows) == 0:
        raise Pix2PixHubError(f"{source}: split {split!r} holds no usable image pairs.")
    return src


def _with_rows(src: _PairSource, make_row: Callable[[Image.Image, Image.Image, str], dict]) -> datasets.Dataset:
    def transform(batch: dict[str, list]) -> dict[str, list]:
        out: dict[str, list] = {}
        for i in range(len(next(iter(batch.values())))):
            row = make_row(*src.decode({k: v[i] for k, v in batch.items()}))
            for key, value in row.items():
                out.setdefault(key, []).append(value)
        return out

    return src.rows.with_transform(transform)


def open_pairs(
    source: str | os.PathLike,
    split: str = "train",
    *,
    source_b: str | os.PathLike | None = None,
    column_a: str = DEFAULT_COLUMNS[0],
    column_b: str = DEFAULT_COLUMNS[1],
    skip_bad: bool = False,
) -> datasets.Dataset:
    """The raw pairs as stored: rows `{"imageA", "imageB", "name"}` with RGB PIL images, A and B unswapped."""
    src = _checked_source(source, split, source_b, column_a, column_b, skip_bad)
    return _with_rows(src, lambda a, b, name: {"imageA": a, "imageB": b, "name": name})


def load_paired_dataset(
    source: str | os.PathLike,
    split: str = "train",
    *,
    direction: str = "AtoB",
    transform: Callable[[Image.Image, Image.Image], dict[str, Any]] | None = None,
    source_b: str | os.PathLike | None = None,
    column_a: str = DEFAULT_COLUMNS[0],
    column_b: str = DEFAULT_COLUMNS[1],
    skip_bad: bool = False,
) -> datasets.Dataset:
    """Pairs oriented by `direction`: rows `{"input", "target", "name"}` as PIL images, or `transform`'s output.

    `transform(input, target)` returns a dict (e.g. `PairedTransform`'s tensors); its keys become the row's keys,
    with "name" added.
    """
    check_direction(direction)
    src = _checked_source(source, split, source_b, column_a, column_b, skip_bad)

    def make_row(a: Image.Image, b: Image.Image, name: str) -> dict[str, Any]:
        if a.size != b.size:
            raise Pix2PixHubError(f"{source} [{name}]: A is {a.size} but B is {b.size}; pairs must have equal sizes.")
        inp, target = (a, b) if direction == "AtoB" else (b, a)
        row = transform(inp, target) if transform is not None else {"input": inp, "target": target}
        return {**row, "name": name}

    return _with_rows(src, make_row)


class PairedTransform:
    """The paper's jitter, applied identically to input and target: resize to `load_size`, random `crop_size` crop,
    random horizontal flip; then [-1, 1] tensors. With `train=False`: resize to `crop_size` only.

    Randomness comes from torch's global generator, so Accelerate's saved RNG state makes resumed runs exact.
    """

    def __init__(
        self,
        load_size: int = 286,
        crop_size: int = 256,
        flip: bool = True,
        train: bool = True,
        in_channels: int = 3,
        out_channels: int = 3,
    ):
        if crop_size > load_size:
            raise Pix2PixHubError(f"crop_size {crop_size} is larger than load_size {load_size}")
        self.load_size, self.crop_size, self.flip, self.train = load_size, crop_size, flip, train
        self.in_channels, self.out_channels = in_channels, out_channels

    def __call__(self, inp: Image.Image, target: Image.Image) -> dict[str, torch.Tensor]:
        size = self.load_size if self.train else self.crop_size
        inp = inp.resize((size, size), Image.BICUBIC)
        target = target.resize((size, size), Image.BICUBIC)
        if self.train:
            left, top = (int(v) for v in torch.randint(0, size - self.crop_size + 1, (2,)))
            box = (left, top, left + self.crop_size, top + self.crop_size)
            inp, target = inp.crop(box), target.crop(box)
            if self.flip and bool(torch.rand(()) < 0.5):
                inp, target = inp.transpose(Image.FLIP_LEFT_RIGHT), target.transpose(Image.FLIP_LEFT_RIGHT)
        return {
            "input": pil_to_tensor(to_mode(inp, self.in_channels)),
            "target": pil_to_tensor(to_mode(target, self.out_channels)),
        }


def export_dataset(
    source: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    splits: list[str] | None = None,
    source_b: str | os.PathLike | None = None,
    column_a: str = DEFAULT_COLUMNS[0],
    column_b: str = DEFAULT_COLUMNS[1],
    push_to_hub: str | None = None,
    private: bool | None = None,
    license: str | None = None,
) -> datasets.DatasetDict:
    """Write any paired source as a Hub-ready dataset: `data/<split>-00000-of-00001.parquet` with Image columns
    `imageA`/`imageB` plus `name`, and a dataset card (`dataset_card.py`); push it to `push_to_hub` when given.
    Image files keep their format: JPEG stays JPEG (`image_file_bytes`), files of two-folder sources are copied."""
    if splits is None:
        path = Path(source)
        splits = available_splits(path) if source_b is None and is_side_by_side_folder(path) else ["train"]
        splits = splits or ["train"]
    features = datasets.Features(
        {"imageA": datasets.Image(), "imageB": datasets.Image(), "name": datasets.Value("string")}
    )
    output_dir = Path(output_dir)
    (output_dir / "data").mkdir(parents=True, exist_ok=True)
    result = {}
    for split in splits:
        src = _checked_source(source, split, source_b, column_a, column_b, skip_bad=False)
        encoded = [src.encode(src.rows[i]) for i in range(len(src.rows))]
        rows = datasets.Dataset.from_list(
            [{"imageA": {"bytes": a}, "imageB": {"bytes": b}, "name": name} for a, b, name in encoded],
            features=features,
        )
        rows.to_parquet(str(output_dir / "data" / f"{split}-00000-of-00001.parquet"))
        result[split] = rows
    dataset_dict = datasets.DatasetDict(result)
    write_dataset_card(
        output_dir, source, dataset_dict, source_b=source_b, columns=(column_a, column_b), license=license
    )
    if push_to_hub:  # the folder as written (parquet files + card), so the Hub holds exactly what was checked here
        api = HfApi()
        api.create_repo(push_to_hub, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(
            repo_id=push_to_hub,
            repo_type="dataset",
            folder_path=output_dir,
            allow_patterns=["README.md", "data/*.parquet"],
            commit_message="pix2pix-hub prepare-dataset",
        )
    return dataset_dict
