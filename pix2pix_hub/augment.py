"""Pair makers for tasks whose inputs are made on the fly: grayscale (colorization), masked photos (inpainting) and
hand-stroke sketches.

Each takes a stored (input, target) pair of PIL images and returns the (input, target) the model trains on. The
randomness comes from torch's global generator, which `train/train.py` seeds (`--seed`), so a run is repeatable.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw
from scipy import ndimage

from .drawing import HOLE_COLOUR, mask_hole
from .images import to_grayscale


def _rng() -> np.random.Generator:
    """A numpy generator drawn from torch's global RNG (seeded by the training script)."""
    return np.random.default_rng(int(torch.randint(0, 2**62, ())))


def grayscale_input(inp: Image.Image, target: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Colorization: the input is the target photo in grayscale (kept 3-channel so any RGB model fits)."""
    return to_grayscale(target), target


def brush_hole(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The photo with a free-form hole of a few thick brush strokes in `HOLE_COLOUR`, like a mask painted in the
    Space's inpainting editor."""
    out = photo.convert("RGB")
    width, height = out.size
    draw = ImageDraw.Draw(out)
    for _ in range(int(rng.integers(1, 4))):
        points = [tuple(int(v) for v in rng.uniform(0.15, 0.85, 2) * (width, height))]
        for _ in range(int(rng.integers(2, 6))):
            step = rng.normal(0, 0.15, 2) * (width, height)
            x, y = np.clip(np.add(points[-1], step), 0, (width - 1, height - 1))
            points.append((int(x), int(y)))
        brush = int(rng.uniform(0.04, 0.10) * min(width, height))
        draw.line(points, fill=HOLE_COLOUR, width=brush, joint="curve")
        for x, y in points:
            draw.ellipse([x - brush // 2, y - brush // 2, x + brush // 2, y + brush // 2], fill=HOLE_COLOUR)
    return out


def masked_photo_input(inp: Image.Image, target: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Inpainting: the input is the target photo with a grey hole, half the time a rectangle exactly as
    `pix2pix_hub.drawing.mask_hole` makes them (25-45% of each side), half the time painted brush strokes
    (`brush_hole`), both in `HOLE_COLOUR` as the Space fills painted pixels; the target is the photo."""
    target = target.convert("RGB")
    rng = _rng()
    if rng.random() < 0.5:
        return mask_hole(target, seed=int(rng.integers(0, 2**31))), target
    return brush_hole(target, rng), target


def sketchify(edges: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Make a black-on-white edge map look hand-drawn: strokes kept or thickened and darkened, a smooth elastic
    wobble, short gaps dropped into the strokes and a little blur."""
    ink = 1.0 - np.asarray(edges.convert("L"), dtype=np.float32) / 255.0
    height, width = ink.shape
    if rng.random() < 0.6:
        ink = ndimage.grey_dilation(ink, size=(int(rng.integers(2, 4)),) * 2)
    # elastic wobble: a smooth random displacement of up to a few pixels, as a hand would draw the same contour
    amplitude = rng.uniform(1.0, 4.0) * max(height, width) / 256
    grid = rng.normal(0.0, 1.0, (2, 6, 6))
    flow = np.stack([ndimage.zoom(g, (height / 6, width / 6), order=3)[:height, :width] for g in grid]) * amplitude
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    ink = ndimage.map_coordinates(ink, [yy + flow[0], xx + flow[1]], order=1, mode="constant", cval=0.0)
    # dropped segments: erase a few short stretches of stroke
    keep = np.ones_like(ink)
    for _ in range(int(rng.integers(0, 12))):
        y, x = int(rng.integers(0, height)), int(rng.integers(0, width))
        r = int(rng.integers(3, 10))
        keep[max(0, y - r) : y + r, max(0, x - r) : x + r] = 0.0
    ink = ink * keep
    if rng.random() < 0.5:
        ink = ndimage.gaussian_filter(ink, sigma=rng.uniform(0.3, 0.8))
    ink = np.clip(ink * rng.uniform(1.5, 3.0), 0.0, 1.0)
    return Image.fromarray(((1.0 - ink) * 255).astype(np.uint8)).convert("RGB")


def sketch_input(inp: Image.Image, target: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Sketch -> photo: the stored edge map made to look like hand strokes (`sketchify`); the target is unchanged."""
    return sketchify(inp, _rng()), target


__all__ = ["brush_hole", "grayscale_input", "masked_photo_input", "sketch_input", "sketchify"]
