"""What the Space keeps of the input: the photo outside an inpainting hole, the luminance of a grayscale input."""

from __future__ import annotations

import numpy as np
from PIL import Image

from pix2pix_hub import get_task
from pix2pix_hub.drawing import HOLE_COLOUR, mask_hole
from pix2pix_hub.input_kinds import draw_input, keep_known
from pix2pix_hub.postprocess import HOLE_MARGIN, hole_mask, keep_luminance, keep_outside_hole


def test_hole_mask_is_the_painted_rectangle_grown_by_the_margin():
    photo = Image.new("RGB", (40, 30), (10, 200, 30))
    photo.paste(HOLE_COLOUR, (10, 5, 20, 15))  # a 10x10 hole
    mask = hole_mask(photo)
    ys, xs = np.nonzero(mask)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (
        10 - HOLE_MARGIN,
        19 + HOLE_MARGIN,
        5 - HOLE_MARGIN,
        14 + HOLE_MARGIN,
    )
    assert mask.sum() == (10 + 2 * HOLE_MARGIN) ** 2


def test_keep_outside_hole_takes_the_output_only_in_the_hole():
    masked = mask_hole(draw_input("facades-labels2photo", 64, 0), seed=3)
    output = Image.new("RGB", (64, 64), (255, 0, 0))
    result = np.asarray(keep_outside_hole(masked, output))
    mask = hole_mask(masked)
    assert 0 < mask.mean() < 0.5
    assert (result[mask] == (255, 0, 0)).all()
    assert (result[~mask] == np.asarray(masked)[~mask]).all()


def test_keep_luminance_keeps_the_inputs_brightness_and_the_outputs_colour():
    gray = draw_input("colorization", 64, 0).convert("L")
    output = Image.new("RGB", (64, 64), (200, 60, 20))  # a flat orange with its own, different brightness
    result = keep_luminance(gray.convert("RGB"), output)
    rgb = np.asarray(result)
    unclipped = (rgb > 0).all(axis=-1) & (rgb < 255).all(axis=-1)  # where that hue fits in RGB at this brightness
    y, cb, cr = (np.asarray(channel, dtype=int) for channel in result.convert("YCbCr").split())
    _, want_cb, want_cr = (np.asarray(c, dtype=int) for c in output.convert("YCbCr").split())
    assert unclipped.mean() > 0.3
    assert np.abs(y - np.asarray(gray, dtype=int))[unclipped].max() <= 2
    assert np.abs(cb - want_cb)[unclipped].max() <= 3 and np.abs(cr - want_cr)[unclipped].max() <= 3


def test_other_tasks_keep_the_output_as_it_is():
    output = Image.new("RGB", (8, 8), (1, 2, 3))
    assert keep_known(get_task("facades-labels2photo"), Image.new("RGB", (8, 8)), output) is output
