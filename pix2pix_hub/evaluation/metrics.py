"""The one definition of every metric: image metrics (L1, PSNR, SSIM via torchmetrics, detail and colour ratios) and
label-map scores (per-pixel, per-class accuracy, class IoU).

Images are compared in [0, 1] at the target's resolution (`ImageScores`, used by `pix2pix-hub evaluate`, training's
validation and the zoo's evaluation). The label scores follow the FCN evaluation code the pix2pix
authors used for Table 1 and 2: one confusion matrix over the whole split, void pixels skipped.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torchmetrics.classification import MulticlassConfusionMatrix
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from ..errors import Pix2PixHubError
from ..palettes import IGNORE_INDEX

#: what each image metric means and its scale; cards, reports and `pix2pix-hub zoo list` read it
METRIC_DESCRIPTIONS = {
    "l1": "mean absolute error on [0, 1] images (lower is better; half the training L1 term, which is on [-1, 1])",
    "psnr": "peak signal-to-noise ratio in dB on [0, 1] images, averaged per image (higher is better)",
    "ssim": "structural similarity on [0, 1] images, averaged per image (higher is better, 1 = identical)",
    "detail_ratio": "gradient energy of the outputs over the targets' (1 = as much fine detail; below: blur)",
    "colour_ratio": "colourfulness of the outputs over the targets' (1 = as colourful; below: washed out)",
}
#: the metrics scored per image (the rest are ratios of totals over a split)
PER_IMAGE_METRICS = ("l1", "psnr", "ssim")
#: how tables, `pix2pix-hub zoo list` and the Space show the per-image metrics: name and format
METRIC_DISPLAY = {"l1": ("L1", "{:.3f}"), "psnr": ("PSNR (dB)", "{:.2f}"), "ssim": ("SSIM", "{:.3f}")}


def headline_metrics(metrics: dict[str, float]) -> list[tuple[str, str]]:
    """(display name, formatted value) of each per-image metric in `metrics`, in `METRIC_DISPLAY` order."""
    return [(name, fmt.format(metrics[key])) for key, (name, fmt) in METRIC_DISPLAY.items() if key in metrics]


#: PSNR of an image identical to its target is infinite; it is reported as this many dB so JSON stays valid
PSNR_CAP_DB = 100.0


def check_same_size(output: torch.Tensor, target: torch.Tensor, what: str = "output") -> None:
    """Refuse an output whose size differs from its target's instead of comparing misaligned pixels."""
    if output.shape != target.shape:
        raise Pix2PixHubError(
            f"{what} has shape {tuple(output.shape)} but its target has {tuple(target.shape)}; "
            "metrics are computed at the target's resolution, so resize the output to the target first."
        )


def image_metrics(output: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-image L1, PSNR (dB) and SSIM of (N, C, H, W) batches in [0, 1]: each value a tensor of N."""
    check_same_size(output, target)
    output, target = output.float().clamp(0, 1), target.float().clamp(0, 1)
    l1 = (output - target).abs().mean(dim=(1, 2, 3))
    psnr = peak_signal_noise_ratio(output, target, data_range=1.0, reduction="none", dim=(1, 2, 3))
    ssim = structural_similarity_index_measure(output, target, data_range=1.0, reduction="none")
    return {"l1": l1, "psnr": psnr.clamp(max=PSNR_CAP_DB), "ssim": ssim}


def gradient_energy(images: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared difference of neighbouring pixels of (N, C, H, W) images in [0, 1]: how much fine
    detail (edges, texture) an image holds; blur lowers it, noise and checkerboards raise it."""
    images = images.float()
    dx = images[..., :, 1:] - images[..., :, :-1]
    dy = images[..., 1:, :] - images[..., :-1, :]
    return dx.pow(2).mean(dim=(1, 2, 3)) + dy.pow(2).mean(dim=(1, 2, 3))


def colourfulness(images: torch.Tensor) -> torch.Tensor:
    """Per-image colourfulness of (N, 3, H, W) RGB images in [0, 1] (Hasler and Suesstrunk, 2003, on a 0-255 scale):
    0 for gray, about 15 for a dull photo, over 100 for a vivid one."""
    r, g, b = (images.float() * 255).unbind(dim=1)
    rg, yb = r - g, 0.5 * (r + g) - b
    std = torch.sqrt(rg.flatten(1).var(dim=1, correction=0) + yb.flatten(1).var(dim=1, correction=0))
    mean = torch.sqrt(rg.flatten(1).mean(dim=1).pow(2) + yb.flatten(1).mean(dim=1).pow(2))
    return std + 0.3 * mean


class ImageScores:
    """Image metrics over a split: per-image L1, PSNR and SSIM, averaged, and the detail and colour ratios of the
    outputs' totals over the targets' (colour for RGB only)."""

    def __init__(self) -> None:
        self.per_image: dict[str, list[float]] = {key: [] for key in PER_IMAGE_METRICS}
        self._totals = {"detail_ratio": [0.0, 0.0], "colour_ratio": [0.0, 0.0]}

    def update(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, list[float]]:
        """Add (N, C, H, W) outputs and targets in [0, 1]; returns this batch's per-image scores."""
        output, target = output.float().clamp(0, 1), target.float().clamp(0, 1)
        scores = {key: value.tolist() for key, value in image_metrics(output, target).items()}
        for key, values in scores.items():
            self.per_image[key].extend(values)
        measures = {"detail_ratio": gradient_energy, "colour_ratio": colourfulness if output.shape[1] == 3 else None}
        for key, measure in measures.items():
            if measure is not None:
                self._totals[key][0] += measure(output).sum().item()
                self._totals[key][1] += measure(target).sum().item()
        return scores

    @classmethod
    def merged(cls, parts: list[ImageScores]) -> ImageScores:
        """The scores of several splits together (the ratios over their summed totals)."""
        merged = cls()
        for part in parts:
            for key, values in part.per_image.items():
                merged.per_image[key].extend(values)
            for key, (output_total, target_total) in part._totals.items():
                merged._totals[key][0] += output_total
                merged._totals[key][1] += target_total
        return merged

    def compute(self) -> dict[str, float]:
        """Mean L1, PSNR and SSIM, the ratios where the targets have any detail or colour, and `num_images`."""
        count = len(self.per_image["l1"])
        if count == 0:
            raise Pix2PixHubError("no images were scored: the split is empty")
        result: dict[str, float] = {key: float(np.mean(values)) for key, values in self.per_image.items()}
        for key, (output_total, target_total) in self._totals.items():
            if target_total > 0:
                result[key] = output_total / target_total
        return {**result, "num_images": count}


class LabelScores:
    """Confusion matrix of predicted vs ground-truth class ids over a split; `IGNORE_INDEX` pixels are skipped."""

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self._confusion = MulticlassConfusionMatrix(num_classes, ignore_index=IGNORE_INDEX, validate_args=False)

    def update(self, predicted: torch.Tensor | np.ndarray, truth: torch.Tensor | np.ndarray) -> None:
        """Add (N, H, W) or (H, W) predicted and ground-truth ids of the same shape."""
        predicted, truth = torch.as_tensor(predicted), torch.as_tensor(truth)
        check_same_size(predicted, truth, "predicted label map")
        predicted = torch.where(predicted == IGNORE_INDEX, truth, predicted)  # void predictions: skip, as truth
        self._confusion.update(predicted.reshape(-1).long(), truth.reshape(-1).long())

    @property
    def confusion(self) -> np.ndarray:
        """(truth, predicted) pixel counts."""
        return self._confusion.compute().numpy()

    def compute(self) -> dict[str, float | list[float | None]]:
        """Per-pixel accuracy, mean per-class accuracy and mean class IoU, plus the per-class values.

        Means run over the classes present in the ground truth (classes absent from it are `None` per class);
        on a split where every class occurs this is exactly the FCN code's `nanmean`.
        """
        hist = self.confusion.astype(np.float64)
        if hist.sum() == 0:
            raise Pix2PixHubError("no labelled pixels to score: every ground-truth pixel is void or the split is empty")
        diag, truth_count, predicted_count = np.diag(hist), hist.sum(1), hist.sum(0)
        present = truth_count > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            class_accuracy = np.where(present, diag / truth_count, np.nan)
            class_iou = np.where(present, diag / (truth_count + predicted_count - diag), np.nan)
        return {
            "pixel_accuracy": float(diag.sum() / hist.sum()),
            "class_accuracy": float(np.nanmean(class_accuracy)),
            "class_iou": float(np.nanmean(class_iou)),
            "per_class_accuracy": [None if math.isnan(v) else float(v) for v in class_accuracy],
            "per_class_iou": [None if math.isnan(v) else float(v) for v in class_iou],
        }


def pixel_accuracy(predicted: torch.Tensor | np.ndarray, truth: torch.Tensor | np.ndarray) -> float:
    """Fraction of non-void pixels of one image whose predicted id is right (for ranking best and worst cases)."""
    predicted, truth = np.asarray(predicted), np.asarray(truth)
    if predicted.shape != truth.shape:
        raise Pix2PixHubError(f"predicted label map has shape {predicted.shape} but its target has {truth.shape}")
    valid = truth != IGNORE_INDEX
    return float((predicted[valid] == truth[valid]).mean()) if valid.any() else float("nan")
