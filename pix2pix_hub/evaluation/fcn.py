"""The paper's FCN-score (sec. 4.2): segment generated photos and score the segmentation against the input labels.

A labels -> photo generator is good when an off-the-shelf segmenter recovers the label map it was given. The paper
used FCN-8s; here the project's own `LabelSegmenter` from `model_zoo/segmenter-<palette>/` plays that role.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..errors import Pix2PixHubError
from ..measures import MEASURES
from ..palettes import Palette, get_palette
from ..tasks import ZOO_DIR
from .metrics import LabelScores, pixel_accuracy
from .segmenter import LabelSegmenter

#: label accuracy's keys -> the FCN-score's (the same three accuracies, of a segmentation of generated photos)
FCN_KEYS = dict(zip(MEASURES["labels"].keys, MEASURES["fcn"].keys, strict=True))


def default_segmenter_dir(palette: str | Palette) -> Path:
    """The bundled segmenter of a palette: `model_zoo/segmenter-<palette>/`."""
    return ZOO_DIR / f"segmenter-{get_palette(palette).name}"


def load_segmenter(palette: str | Palette, source: str | os.PathLike | None = None) -> LabelSegmenter:
    """The segmenter for a palette's FCN-score (a folder or Hub id, default the bundled one), checked to match."""
    palette = get_palette(palette)
    source = source if source is not None else default_segmenter_dir(palette)
    segmenter = LabelSegmenter.from_pretrained(source)
    if segmenter.palette.name != palette.name:
        raise Pix2PixHubError(
            f"{source}: the segmenter predicts {segmenter.palette.name!r} classes but the task's labels use the "
            f"{palette.name!r} palette; pass the segmenter trained for {palette.name!r}."
        )
    return segmenter.float().eval()


class FCNScore:
    """Accumulates the FCN-score of generated photos (N, 3, H, W) in [-1, 1] against ground-truth label ids."""

    def __init__(self, segmenter: LabelSegmenter):
        self.segmenter = segmenter
        self.scores = LabelScores(segmenter.num_classes)

    def update(self, photos: torch.Tensor, labels: torch.Tensor | np.ndarray) -> list[float]:
        """Segment the photos, add them to the score, and return each image's FCN pixel accuracy."""
        predicted = self.segmenter.predict(photos.float())
        labels = torch.as_tensor(labels)
        self.scores.update(predicted, labels)
        return [pixel_accuracy(p, t) for p, t in zip(predicted, labels, strict=True)]

    def compute(self) -> dict:
        """`fcn_pixel_accuracy`, `fcn_class_accuracy`, `fcn_class_iou` and the per-class values."""
        scores = self.scores.compute()
        return {FCN_KEYS.get(k, f"fcn_{k}"): v for k, v in scores.items()}
