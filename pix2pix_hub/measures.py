"""The paper's measures, one entry each: what it computes, its scale, which tasks it applies to and where the
paper's figure is. Tasks name one (`Task.evaluation`), as do the paper's results (`PaperResult.measure`);
evaluation, the zoo's export and cards, `pix2pix-hub zoo list` and the Space read it here.

The image metrics every task gets (L1, PSNR, SSIM, the detail and colour ratios) are defined in
`pix2pix_hub.evaluation.metrics` (`METRIC_DESCRIPTIONS`); the "image" measure here stands for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Pix2PixHubError


@dataclass(frozen=True)
class Measure:
    """One of the paper's measures."""

    name: str
    #: how tables and panels name it
    title: str
    #: what it computes, in one sentence
    computes: str
    #: its scale, and which way is better
    scale: str
    #: which tasks it applies to
    applies_to: str
    #: the result keys it fills, in the paper's table order (per-pixel, per-class, IoU); empty: none stored
    keys: tuple[str, ...] = ()
    #: the per-image score that ranks an evaluation's worst and best pairs, and whether higher is better
    ranking: tuple[str, bool] = ("l1", False)
    #: the paper's tables that report it
    paper_tables: str = ""
    #: scores generated photos with a segmenter (the FCN-score); its score of the real photos is the ceiling
    needs_segmenter: bool = False
    #: decodes the outputs to class ids by nearest palette colour (label accuracy)
    decodes_outputs: bool = False
    #: how a card names the model's own score by it
    card_title: str = ""
    #: what a card says when the model's own score is not computed yet
    not_computed: str = ""

    @property
    def per_class(self) -> bool:
        """Whether it has the three accuracies (per-pixel, per-class, IoU) of a palette's classes."""
        return len(self.keys) == 3


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in [
        Measure(
            "fcn",
            "FCN-score",
            "a segmentation network run on the generated photos, scored against the input label map: per-pixel "
            "accuracy, mean per-class accuracy and mean class IoU (the paper's sec. 4.2, with its FCN-8s; here the "
            "project's segmenter, so scores are relative to the same segmenter's score of the real photos)",
            "fractions in [0, 1], higher is better",
            "labels -> photo tasks (facades, Cityscapes)",
            keys=("fcn_pixel_accuracy", "fcn_class_accuracy", "fcn_class_iou"),
            ranking=("fcn_pixel_accuracy", True),
            paper_tables="Tables 1-3",
            needs_segmenter=True,
            card_title="FCN-score (the project's segmenter standing in for the paper's FCN-8s)",
            not_computed="The paper's FCN-score (a segmenter run on the outputs) is not computed for this card yet. ",
        ),
        Measure(
            "labels",
            "label accuracy",
            "generated label maps decoded to class ids by nearest palette colour and scored against the true labels: "
            "per-pixel accuracy, mean per-class accuracy and mean class IoU",
            "fractions in [0, 1], higher is better",
            "photo -> labels tasks (Cityscapes)",
            keys=("pixel_accuracy", "class_accuracy", "class_iou"),
            ranking=("pixel_accuracy", True),
            paper_tables="Table 6",
            decodes_outputs=True,
            card_title="label accuracy (outputs decoded to the nearest palette colour)",
            not_computed="The paper's label accuracy (per-pixel, per-class, IoU after palette decoding) is not "
            "computed for this card yet. ",
        ),
        Measure(
            "amt",
            "Mechanical Turk",
            "the share of trials in which people took the output for a real photo or map (the paper's 'real vs "
            "fake' perceptual study, mean and standard error)",
            "percent of trials, higher is better",
            "maps in both directions, colorization",
            paper_tables="Tables 4-5",
        ),
        Measure(
            "image",
            "image metrics",
            "L1, PSNR and SSIM against the target, and the outputs' detail and colour relative to the targets' "
            "(pix2pix_hub.evaluation.metrics)",
            "see METRIC_DESCRIPTIONS",
            "every task",
        ),
    ]
}


def get_measure(name: str) -> Measure:
    """A measure by name; an unknown one lists the known."""
    try:
        return MEASURES[name]
    except KeyError:
        raise Pix2PixHubError(f"unknown measure {name!r}; known: {', '.join(MEASURES)}") from None


__all__ = ["MEASURES", "Measure", "get_measure"]
