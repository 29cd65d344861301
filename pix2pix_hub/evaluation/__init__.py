"""Evaluation: image metrics, label accuracy, the paper's FCN-score with this project's segmenter, and reports."""

from .evaluate import evaluate, read_metrics
from .fcn import FCNScore, load_segmenter
from .metrics import ImageScores, LabelScores, image_metrics
from .segmenter import LabelSegmenter

__all__ = [
    "FCNScore",
    "ImageScores",
    "LabelScores",
    "LabelSegmenter",
    "evaluate",
    "image_metrics",
    "load_segmenter",
    "read_metrics",
]
