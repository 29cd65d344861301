"""Paired data: the three sources, direction, the paper's paired jitter, the Hub-ready converter, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from conftest import SHARED_DATA, draw_pair, run_python
from huggingface_hub import DatasetCard
from PIL import Image

from pix2pix_hub import PairedTransform, Pix2PixHubError, export_dataset, load_paired_dataset, open_pairs
from pix2pix_hub.data import available_splits


def test_side_by_side_folder_splits_each_file_into_a_and_b(side_by_side_dir):
    pairs = open_pairs(side_by_side_dir, "train")
    assert len(pairs) == 6
    a, b = draw_pair(64, seed=0)
    row = pairs[0]
    assert row["name"] == "1"
    assert np.array_equal(np.asarray(row["imageA"]), np.asarray(a))
    assert np.array_equal(np.asarray(row["imageB"]), np.asarray(b))
    assert available_splits(side_by_side_dir) == ["train", "val"]


def test_direction_chooses_which_half_is_the_input(side_by_side_dir):
    forward = load_paired_dataset(side_by_side_dir, "val", direction="AtoB")[1]
    backward = load_paired_dataset(side_by_side_dir, "val", direction="BtoA")[1]
    assert np.array_equal(np.asarray(forward["input"]), np.asarray(backward["target"]))
    assert np.array_equal(np.asarray(forward["target"]), np.asarray(backward["input"]))
    with pytest.raises(Pix2PixHubError, match="direction must be AtoB or BtoA"):
        load_paired_dataset(side_by_side_dir, direction="AB")


def test_jitter_applies_the_same_crop_and_flip_to_both_halves():
    torch.manual_seed(0)
    a, _ = draw_pair(64, seed=3)
    jitter = PairedTransform(load_size=80, crop_size=64)
    seen = set()
    for _ in range(8):
        out = jitter(a, a.copy())
        assert out["input"].shape == (3, 64, 64)
        assert torch.equal(out["input"], out["target"])  # identical halves stay identical: same crop, same flip
        assert out["input"].min() >= -1 and out["input"].max() <= 1
        seen.add(out["input"].sum().item())
    assert len(seen) > 1  # the crop/flip really is random


def test_jitter_is_reproducible_from_torch_seed():
    a, b = draw_pair(64, seed=4)
    jitter = PairedTransform(load_size=80, crop_size=64)
    torch.manual_seed(7)
    first = jitter(a, b)["input"]
    torch.manual_seed(7)
    assert torch.equal(first, jitter(a, b)["input"])


def test_eval_transform_only_resizes():
    a, b = draw_pair(64, seed=5)
    out = PairedTransform(load_size=80, crop_size=32, train=False, out_channels=1)(a, b)
    assert out["input"].shape == (3, 32, 32) and out["target"].shape == (1, 32, 32)
    with pytest.raises(Pix2PixHubError, match="crop_size 300 is larger than load_size 286"):
        PairedTransform(crop_size=300)


def test_dataset_transform_gives_tensors_and_names(side_by_side_dir):
    ds = load_paired_dataset(side_by_side_dir, "train", transform=PairedTransform(72, 64))
    row = ds[2]
    assert row["input"].shape == (3, 64, 64) and row["name"] == "3"


def test_two_folders_paired_by_file_name(tmp_path):
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    for i in range(3):
        a, b = draw_pair(32, seed=i)
        a.save(tmp_path / "A" / f"img{i}.png")
        b.save(tmp_path / "B" / f"img{i}.png")
    draw_pair(32)[0].save(tmp_path / "A" / "lonely.png")
    pairs = open_pairs(tmp_path / "A", source_b=tmp_path / "B")
    assert [pairs[i]["name"] for i in range(len(pairs))] == ["img0", "img1", "img2"]
    assert np.array_equal(np.asarray(pairs[1]["imageB"]), np.asarray(draw_pair(32, seed=1)[1]))


def test_converter_writes_parquet_that_loads_back_with_image_columns(side_by_side_dir, tmp_path):
    result = export_dataset(side_by_side_dir, tmp_path / "hubds")
    assert {s: len(d) for s, d in result.items()} == {"train": 6, "val": 2}
    assert (tmp_path / "hubds" / "data" / "train-00000-of-00001.parquet").is_file()
    assert "configs:" in (tmp_path / "hubds" / "README.md").read_text()
    reloaded = load_paired_dataset(tmp_path / "hubds", "val", direction="BtoA")
    original = load_paired_dataset(side_by_side_dir, "val", direction="BtoA")
    assert len(reloaded) == 2
    assert np.array_equal(np.asarray(reloaded[0]["input"]), np.asarray(original[0]["input"]))  # PNG: lossless


def test_dataset_columns_can_be_renamed_and_unknown_columns_are_refused(side_by_side_dir, tmp_path):
    export_dataset(side_by_side_dir, tmp_path / "hubds")
    with pytest.raises(Pix2PixHubError, match=r"no column \['photo'\]; its columns are"):
        load_paired_dataset(tmp_path / "hubds", "train", column_a="photo")


def test_bad_files_name_the_file_or_are_skipped_when_asked(side_by_side_dir):
    (side_by_side_dir / "train" / "9.png").write_text("garbage")
    Image.new("RGB", (65, 32)).save(side_by_side_dir / "train" / "10.png")
    with pytest.raises(Pix2PixHubError, match=r"9.png: not a readable image"):
        open_pairs(side_by_side_dir, "train")
    assert len(open_pairs(side_by_side_dir, "train", skip_bad=True)) == 6  # both bad files left out


def test_corrupt_image_is_reported_when_its_row_is_read(side_by_side_dir):
    path = side_by_side_dir / "train" / "2.png"
    path.write_bytes(path.read_bytes()[:200])
    pairs = open_pairs(side_by_side_dir, "train")
    with pytest.raises(Pix2PixHubError, match=r"2.png: corrupt or truncated"):
        pairs[1]


def test_mismatched_pair_sizes_are_refused(tmp_path):
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    Image.new("RGB", (32, 32)).save(tmp_path / "A" / "x.png")
    Image.new("RGB", (40, 32)).save(tmp_path / "B" / "x.png")
    ds = load_paired_dataset(tmp_path / "A", source_b=tmp_path / "B")
    with pytest.raises(Pix2PixHubError, match=r"A is \(32, 32\) but B is \(40, 32\)"):
        ds[0]


def test_empty_or_missing_sources(tmp_path):
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(Pix2PixHubError):
        open_pairs(tmp_path / "empty", "train")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(Pix2PixHubError, match="is a file"):
        open_pairs(tmp_path / "file.txt")


def test_missing_split_lists_the_available_ones(side_by_side_dir):
    with pytest.raises(Pix2PixHubError, match=r"no split 'test'; it has \['train', 'val'\]"):
        open_pairs(side_by_side_dir, "test")


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/datasets is not present")
@pytest.mark.parametrize(
    "name,splits",
    [
        ("facades", {"train": 400, "test": 106}),
        ("cityscapes", {"train": 800, "val": 200}),
        ("edges2shoes", {"train": 1000, "val": 200}),
    ],
)
def test_real_datasets_open_with_256_pixel_halves(name, splits):
    for split, count in splits.items():
        pairs = open_pairs(SHARED_DATA / name, split)
        assert len(pairs) == count
        row = pairs[count - 1]
        assert row["imageA"].size == (256, 256) == row["imageB"].size


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/datasets is not present")
def test_real_facades_labels_are_the_saturated_half():
    row = load_paired_dataset(SHARED_DATA / "facades", "test", direction="BtoA")[0]

    def saturation(img: Image.Image) -> float:
        return float(np.asarray(img.convert("HSV"))[..., 1].mean())

    assert saturation(row["input"]) > saturation(row["target"]) + 50  # BtoA: labels in, photo out


def _jpeg_pairs(root: Path, count: int = 3) -> Path:
    """A side-by-side JPEG folder (64x64 halves, quality 90) named like a registry dataset."""
    (root / "train").mkdir(parents=True)
    for i in range(count):
        a, b = draw_pair(64, seed=i)
        pair = Image.new("RGB", (128, 64))
        pair.paste(a, (0, 0))
        pair.paste(b, (64, 0))
        pair.save(root / "train" / f"{i + 1}.jpg", quality=90)
    return root


def test_prepared_dataset_keeps_jpeg_as_jpeg_at_the_source_size(tmp_path):
    source = _jpeg_pairs(tmp_path / "facades")
    export_dataset(source, tmp_path / "hubds")
    table = pq.read_table(tmp_path / "hubds" / "data" / "train-00000-of-00001.parquet").to_pylist()
    stored = [row[column]["bytes"] for row in table for column in ("imageA", "imageB")]
    assert all(data.startswith(b"\xff\xd8") for data in stored)  # JPEG, not PNG
    source_bytes = sum(p.stat().st_size for p in (source / "train").iterdir())
    assert sum(map(len, stored)) < 1.2 * source_bytes
    reloaded = open_pairs(tmp_path / "hubds", "train")
    original = open_pairs(source, "train")
    for i in range(3):
        for column in ("imageA", "imageB"):
            diff = np.asarray(reloaded[i][column], float) - np.asarray(original[i][column], float)
            assert 10 * np.log10(255**2 / max((diff**2).mean(), 1e-9)) > 30  # near the source (43-59 dB on real data)


def test_prepared_two_folder_dataset_keeps_the_files_byte_for_byte(tmp_path):
    for folder in ("A", "B"):
        (tmp_path / folder).mkdir()
    for i in range(2):
        a, b = draw_pair(32, seed=i)
        a.save(tmp_path / "A" / f"img{i}.jpg", quality=80)
        b.save(tmp_path / "B" / f"img{i}.png")
    export_dataset(tmp_path / "A", tmp_path / "hubds", source_b=tmp_path / "B")
    table = pq.read_table(tmp_path / "hubds" / "data" / "train-00000-of-00001.parquet").to_pylist()
    assert [row["imageA"]["bytes"] for row in table] == [(tmp_path / "A" / f"img{i}.jpg").read_bytes() for i in (0, 1)]
    assert [row["imageB"]["bytes"] for row in table] == [(tmp_path / "B" / f"img{i}.png").read_bytes() for i in (0, 1)]


def test_dataset_card_says_which_half_is_which_with_licence_and_citation(tmp_path):
    export_dataset(_jpeg_pairs(tmp_path / "facades"), tmp_path / "hubds")
    card = DatasetCard.load(tmp_path / "hubds" / "README.md")
    assert card.data.license == "unknown" and "set `license`" in card.text
    assert "A is the photo and B the label map" in card.text and "facades-labels2photo" in card.text
    assert "Tyleček" in card.text and "@inproceedings{isola2017image" in card.text
    export_dataset(_jpeg_pairs(tmp_path / "cityscapes"), tmp_path / "city", license=None)
    city = DatasetCard.load(tmp_path / "city" / "README.md")
    assert city.data.license == "other" and city.data.license_name == "non-commercial-training-data"
    export_dataset(tmp_path / "facades", tmp_path / "given", license="cc-by-4.0")
    assert DatasetCard.load(tmp_path / "given" / "README.md").data.license == "cc-by-4.0"


def test_pushed_dataset_carries_the_card(tmp_path, hub_env):
    source = _jpeg_pairs(tmp_path / "facades", count=2)
    code = f"""
import json
from huggingface_hub import hf_hub_download
from pix2pix_hub import export_dataset
export_dataset({str(source)!r}, {str(tmp_path / "hubds")!r}, push_to_hub="lab/facades-pairs")
card = open(hf_hub_download("lab/facades-pairs", "README.md", repo_type="dataset")).read()
print(json.dumps({{"halves": "A is the photo and B the label map" in card, "license": "license: unknown" in card}}))
"""
    assert run_python(code, hub_env) == {"halves": True, "license": True}
