"""Reading unusual image files: converted the one sensible way, or refused with the file named."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pix2pix_hub import Pix2PixHubError
from pix2pix_hub.images import MAX_PIXELS, load_image, pil_to_tensor, tensor_to_pil


def test_rgba_is_composited_on_white(tmp_path):
    img = Image.new("RGBA", (8, 8), (255, 0, 0, 0))  # fully transparent red
    img.save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (255, 255, 255)


def test_grayscale_becomes_rgb_or_stays_l_for_one_channel_models(tmp_path):
    Image.new("L", (8, 8), 77).save(tmp_path / "g.png")
    assert load_image(tmp_path / "g.png").getpixel((1, 1)) == (77, 77, 77)
    assert load_image(tmp_path / "g.png", channels=1).mode == "L"


def test_16bit_is_scaled_to_8bit(tmp_path):
    arr = np.full((8, 8), 65535, dtype=np.uint16)
    arr[0, 0] = 0
    Image.fromarray(arr).save(tmp_path / "d.png")
    out = np.asarray(load_image(tmp_path / "d.png"))
    assert out[1, 1].tolist() == [255, 255, 255] and out[0, 0].tolist() == [0, 0, 0]


def test_palette_image_is_converted(tmp_path):
    Image.new("RGB", (8, 8), (10, 200, 30)).convert("P").save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").mode == "RGB"


def test_arrays_of_each_layout():
    assert load_image(np.zeros((4, 5), np.uint8)).size == (5, 4)
    assert load_image(np.ones((4, 5, 1), np.float32)).getpixel((0, 0)) == (255, 255, 255)
    assert load_image(np.zeros((4, 5, 4), np.uint8)).mode == "RGB"
    with pytest.raises(Pix2PixHubError, match="expected HxW"):
        load_image(np.zeros((4, 5, 2), np.uint8))


def test_non_image_truncated_and_missing_files_name_the_file(tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(Pix2PixHubError, match=r"notes.png: not an image file"):
        load_image(tmp_path / "notes.png")
    Image.new("RGB", (64, 64), (1, 2, 3)).save(tmp_path / "t.jpg")
    data = (tmp_path / "t.jpg").read_bytes()
    (tmp_path / "t.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(Pix2PixHubError, match=r"t.jpg: corrupt or truncated"):
        load_image(tmp_path / "t.jpg")
    with pytest.raises(Pix2PixHubError, match="no such file"):
        load_image(tmp_path / "missing.png")


def test_zero_size_and_huge_images_are_refused():
    with pytest.raises(Pix2PixHubError, match="zero size"):
        load_image(np.zeros((0, 5, 3), np.uint8))
    side = int(MAX_PIXELS**0.5) + 1
    with pytest.raises(Pix2PixHubError, match="over the .* MP limit; downscale"):
        load_image(Image.new("L", (side, side)))


def test_tensor_round_trip_is_exact():
    arr = np.random.default_rng(0).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    t = pil_to_tensor(Image.fromarray(arr))
    assert t.shape == (3, 6, 7) and t.min() >= -1 and t.max() <= 1
    assert np.array_equal(np.asarray(tensor_to_pil(t)), arr)
