"""The paper's results (Isola et al., CVPR 2017), one table: the evaluation page, the zoo table in the README, the
zoo cards and the segmenter's card all read their figures from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .measures import MEASURES


@dataclass(frozen=True)
class PaperResult:
    """One figure of the paper for one task."""

    task: str
    #: "L1", "L1+cGAN" or "ground truth" (the paper's FCN-8s on real photos)
    method: str
    #: the measure's name in `pix2pix_hub.measures.MEASURES`: per-pixel, per-class and IoU for "fcn" and "labels",
    #: the % of Mechanical Turk workers fooled and its +- spread for "amt"
    measure: str
    values: tuple[float, ...]
    #: where in the paper
    source: str


PAPER_RESULTS: list[PaperResult] = [
    PaperResult("cityscapes-labels2photo", "L1", "fcn", (0.42, 0.15, 0.11), "Table 1"),
    PaperResult("cityscapes-labels2photo", "L1+cGAN", "fcn", (0.66, 0.23, 0.17), "Table 1"),
    PaperResult("cityscapes-labels2photo", "ground truth", "fcn", (0.80, 0.26, 0.21), "Table 1"),
    PaperResult("cityscapes-photo2labels", "L1", "labels", (0.86, 0.42, 0.35), "Table 6"),
    PaperResult("cityscapes-photo2labels", "L1+cGAN", "labels", (0.83, 0.36, 0.29), "Table 6"),
    PaperResult("maps-map2aerial", "L1+cGAN", "amt", (18.9, 2.5), "Table 4"),
    PaperResult("maps-aerial2map", "L1+cGAN", "amt", (6.1, 1.3), "Table 4"),
    PaperResult("colorization", "L1+cGAN", "amt", (22.5, 1.6), "Table 5"),
]

#: the row label each method has in score tables next to a run's own scores
ROW_LABELS = {
    "L1": "pix2pix L1 (paper)",
    "L1+cGAN": "pix2pix L1+cGAN (paper)",
    "ground truth": "ground truth (paper's FCN-8s on real photos)",
}
#: the palette whose real photos the paper's FCN-score ground-truth row scored, per task
GROUND_TRUTH_PALETTES = {"cityscapes-labels2photo": "cityscapes"}


def paper_result(task: str, method: str) -> PaperResult | None:
    """The paper's figure for `task` by `method`, or None."""
    return next((r for r in PAPER_RESULTS if r.task == task and r.method == method), None)


def score_rows(task: str) -> list[tuple[str, float, float, float]]:
    """The paper's accuracy rows for a task (FCN-score or label accuracy), labelled for a table: (label, per-pixel,
    per-class, class IoU)."""
    return [
        (ROW_LABELS[r.method], *r.values) for r in PAPER_RESULTS if r.task == task and MEASURES[r.measure].per_class
    ]


def ground_truth_scores(palette: str) -> tuple[float, ...] | None:
    """The paper's FCN-score of real photos of a palette's dataset (its ceiling), or None."""
    task = next((t for t, p in GROUND_TRUTH_PALETTES.items() if p == palette), None)
    result = paper_result(task, "ground truth") if task else None
    return result.values if result else None


def reaches_paper(task: str, scores: Sequence[float], real_scores: Sequence[float] | None = None) -> bool:
    """Whether a model's accuracies (per-pixel, per-class, IoU) reach the paper's L1+cGAN row on every measure. With
    the scores of real photos, FCN-scores compare as fractions of them (another segmenter's scale), as issue 12's
    criterion does: ours / real >= paper / the paper's real photos."""
    paper = paper_result(task, "L1+cGAN")
    if paper is None or not MEASURES[paper.measure].per_class:
        return False
    if not MEASURES[paper.measure].needs_segmenter:  # label accuracy: the same scale as the paper's
        return all(ours >= theirs for ours, theirs in zip(scores, paper.values, strict=True))
    ceiling = paper_result(task, "ground truth")
    if ceiling is None or real_scores is None:
        return False
    return all(
        ours / real >= theirs / top
        for ours, real, theirs, top in zip(scores, real_scores, paper.values, ceiling.values, strict=True)
    )


#: the three accuracies of the FCN-score and of label accuracy, in table order
ACCURACY_NAMES = ("per-pixel accuracy", "per-class accuracy", "class IoU")


def format_values(values: Sequence[float]) -> str:
    """E.g. "0.66, 0.23, 0.17"."""
    return ", ".join(f"{v:.2f}" for v in values)


def describe_scores(values: Sequence[float]) -> str:
    """E.g. "per-pixel accuracy 0.66, per-class accuracy 0.23, class IoU 0.17"."""
    return ", ".join(f"{name} {v:.2f}" for name, v in zip(ACCURACY_NAMES, values, strict=True))
