"""Palettes: nearest-colour decoding of real and drawn label images, encoding, and off-palette detection."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from conftest import SHARED_DATA
from PIL import Image

from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.palettes import (
    IGNORE_INDEX,
    PALETTES,
    OffPaletteWarning,
    decode_labels,
    encode_labels,
    get_palette,
)
from pix2pix_hub.tasks import TASKS


def label_halves(dataset: str, split: str, count: int) -> list[np.ndarray]:
    folder = SHARED_DATA / dataset / split
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (the real pix2pix datasets are not on this machine)")
    files = sorted(folder.glob("*.jpg"), key=lambda p: int(p.stem))[:count]
    return [np.asarray(Image.open(f).convert("RGB"))[:, 256:] for f in files]


def test_every_task_palette_exists():
    for task in TASKS.values():
        if task.palette is not None:
            assert get_palette(task.palette).name == task.palette


def test_palette_shapes():
    cityscapes, facades = PALETTES["cityscapes"], PALETTES["facades"]
    assert cityscapes.num_classes == 19 and cityscapes.class_names[0] == "road"
    assert cityscapes.color_of("car") == (0, 0, 142)
    assert facades.num_classes == 12 and facades.class_names[-1] == "shop"
    for palette in PALETTES.values():
        assert len(set(palette.colors + palette.void_colors)) == len(palette.colors) + len(palette.void_colors)


@pytest.mark.parametrize("name", list(PALETTES))
def test_encode_decode_round_trip(name):
    palette = PALETTES[name]
    ids = np.arange(palette.num_classes).repeat(4).reshape(-1, 4)
    ids = np.concatenate([ids, np.full((1, 4), IGNORE_INDEX)]) if palette.void_colors else ids
    assert np.array_equal(decode_labels(encode_labels(ids, palette), palette), ids)


@pytest.mark.parametrize("name", list(PALETTES))
def test_decode_survives_jpeg(name):
    palette = PALETTES[name]
    ids = np.kron(np.arange(palette.num_classes).reshape(1, -1), np.ones((32, 16), dtype=np.int64))
    buffer = io.BytesIO()
    Image.fromarray(encode_labels(ids, palette)).save(buffer, format="JPEG", quality=75)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OffPaletteWarning)
        decoded = decode_labels(Image.open(buffer), palette)
    assert (decoded == ids).mean() > 0.95


def test_cityscapes_void_colour_is_ignored():
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    image[:2] = (81, 0, 81)  # "ground", a void label
    image[2:] = (128, 64, 128)
    ids = decode_labels(image, "cityscapes")
    assert (ids[:2] == IGNORE_INDEX).all() and (ids[2:] == 0).all()


def test_off_palette_image_warns_with_fraction():
    grey = np.full((16, 16, 3), 128, dtype=np.uint8)
    with pytest.warns(OffPaletteWarning, match=r"100\.0% of the pixels"):
        decode_labels(grey, "facades")
    with pytest.raises(Pix2PixHubError, match="100.0%"):
        decode_labels(grey, "facades", on_off_palette="error")


def test_bad_inputs():
    with pytest.raises(Pix2PixHubError, match="unknown palette"):
        get_palette("nope")
    with pytest.raises(Pix2PixHubError, match="H x W x 3"):
        decode_labels(np.zeros((8, 8)), "facades")
    with pytest.raises(Pix2PixHubError, match=r"\[12\]"):
        encode_labels(np.array([[12]]), "facades")


def test_decode_real_cityscapes_labels():
    palette = PALETTES["cityscapes"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", OffPaletteWarning)
        decoded = [decode_labels(half, palette) for half in label_halves("cityscapes", "val", 10)]
    for ids in decoded:
        valid = ids[ids != IGNORE_INDEX]
        assert valid.min() >= 0 and valid.max() < palette.num_classes
        assert (ids == IGNORE_INDEX).mean() < 0.5
        # every street scene has road, and its label image round-trips through encode
        assert (ids == 0).mean() > 0.05
    assert len(np.unique(np.concatenate([d.ravel() for d in decoded]))) >= 12


def test_decode_real_facades_labels():
    palette = PALETTES["facades"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", OffPaletteWarning)
        decoded = [decode_labels(half, palette) for half in label_halves("facades", "test", 10)]
    counts = np.bincount(np.concatenate([d.ravel() for d in decoded]), minlength=palette.num_classes)
    assert counts.size == palette.num_classes  # no ignore index: every facades colour is a class
    assert counts.argmax() in (palette.class_names.index("facade"), palette.class_names.index("background"))
    assert (counts > 0).sum() >= 9
