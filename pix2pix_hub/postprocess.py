"""What the Space keeps of the person's own input in a model's output, for the tasks where part of it is known.

Inpainting only has to invent the hole, and colourisation only the colour: keeping the input's known pixels (the
photo outside the hole) or its luminance hides a generator's colour cast and blur there, as inpainting and
colourisation systems usually do. The zoo's metrics are measured on the raw generator output, without this.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from .drawing import HOLE_COLOUR

#: pixels of blend around a hole, so the filled patch does not end in a hard seam
HOLE_MARGIN = 2


def hole_mask(masked_photo: Image.Image) -> np.ndarray:
    """(H, W) bool mask of the hole: pixels painted exactly `HOLE_COLOUR`, grown by `HOLE_MARGIN` pixels."""
    hole = np.all(np.asarray(masked_photo.convert("RGB")) == HOLE_COLOUR, axis=-1)
    grown = Image.fromarray(hole).filter(ImageFilter.MaxFilter(2 * HOLE_MARGIN + 1))
    return np.asarray(grown, dtype=bool)


def keep_outside_hole(masked_photo: Image.Image, output: Image.Image) -> Image.Image:
    """The output inside the hole, the input photo everywhere else."""
    mask = hole_mask(masked_photo)[..., None]
    photo = np.asarray(masked_photo.convert("RGB"))
    return Image.fromarray(np.where(mask, np.asarray(output.convert("RGB").resize(masked_photo.size)), photo))


def keep_luminance(grayscale: Image.Image, output: Image.Image) -> Image.Image:
    """The input's luminance with the output's colour (its Cb and Cr channels)."""
    _, cb, cr = output.convert("RGB").resize(grayscale.size).convert("YCbCr").split()
    return Image.merge("YCbCr", (grayscale.convert("L"), cb, cr)).convert("RGB")


__all__ = ["HOLE_MARGIN", "hole_mask", "keep_luminance", "keep_outside_hole"]
