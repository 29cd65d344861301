"""Evaluate a generator (or the real targets) on a paired split the way the paper did; write metrics.json and a page.

Every task gets L1, PSNR, SSIM and the detail and colour ratios (`ImageScores`). Photo -> labels tasks add label accuracy (outputs and targets decoded to class
ids by nearest palette colour); labels -> photo tasks add the FCN-score. The task registry decides which.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from tqdm.auto import tqdm

from ..data import available_splits, is_side_by_side_folder, load_paired_dataset
from ..data import check_direction as check_data_direction
from ..errors import Pix2PixHubError
from ..images import pil_to_tensor, tensor_to_pil
from ..input_kinds import get_input_kind
from ..measures import get_measure
from ..palettes import OffPaletteWarning, Palette, decode_labels, get_palette, label_fit
from ..pipeline import Pix2PixPipeline
from ..tasks import TASKS, Task, get_task, resolve_dataset_source
from .fcn import FCNScore, default_segmenter_dir, load_segmenter
from .metrics import ImageScores, LabelScores, pixel_accuracy
from .report import METRICS_FILE, ImageRecord, write_report

logger = logging.getLogger(__name__)


def resolve_data(data: str | os.PathLike) -> tuple[str | Path, str]:
    """A folder, a dataset name under the data roots (e.g. 'facades'), or a Hub dataset id -> (source, name)."""
    source = resolve_dataset_source(data)
    return source, source.resolve().name if isinstance(source, Path) else source


def infer_task(dataset_name: str, direction: str | None) -> Task | None:
    """The registry task of a dataset folder and direction (None for image metrics only); ambiguity is an error."""
    candidates = [
        t for t in TASKS.values() if dataset_name in t.datasets and get_input_kind(t.input_kind).make_pair is None
    ]
    if direction is not None:
        candidates = [t for t in candidates if t.direction == direction]
    if len(candidates) > 1:
        options = ", ".join(f"{t.name} ({t.direction})" for t in candidates)
        raise Pix2PixHubError(f"{dataset_name} has several tasks: {options}; give --task or --direction.")
    return candidates[0] if candidates else None


def check_direction(task: Task | None, direction: str | None) -> str:
    """The direction to use: the task's, and a different one given explicitly is refused."""
    if direction is not None:
        check_data_direction(direction)
    if task is not None and direction is not None and direction != task.direction:
        raise Pix2PixHubError(
            f"task {task.name} translates {task.input_kind} -> {task.output_kind}, which is direction "
            f"{task.direction} of its data, but --direction {direction} was given; drop --direction, or pick the "
            "task of the other direction."
        )
    return direction or (task.direction if task is not None else "AtoB")


def _jpeg(image: Image.Image, size: int = 256) -> bytes:
    image = image.convert("RGB")
    if max(image.size) > size:
        image.thumbnail((size, size))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def evaluate(
    data: str | os.PathLike,
    model: str | os.PathLike | None = None,
    *,
    split: str | None = None,
    direction: str | None = None,
    task: str | None = None,
    real: bool = False,
    batch_size: int = 8,
    output_dir: str | os.PathLike | None = None,
    save_images: str | os.PathLike | None = None,
    segmenter: str | os.PathLike | None = None,
    max_images: int | None = None,
    mode: str = "deterministic",
    backend: str = "auto",
    progress: bool = True,
) -> dict[str, Any]:
    """Score `model` (folder, Hub id or task name) or, with `real=True`, the real targets on one split.

    Returns the metrics (also written to OUTPUT_DIR/metrics.json with the HTML page, when given).
    """
    if real == (model is not None):
        raise Pix2PixHubError("give a model to evaluate, or real=True (--real) to score the real targets, not both")
    if batch_size < 1:
        raise Pix2PixHubError(f"batch size must be at least 1, got {batch_size}")
    source, dataset_name = resolve_data(data)
    if task is None and isinstance(model, str) and model in TASKS:
        task = model  # a zoo model named by its task translates as that task
    task_obj = get_task(task) if task else infer_task(dataset_name, direction)
    direction = check_direction(task_obj, direction)
    if task_obj is not None and task_obj.datasets and dataset_name not in task_obj.datasets:
        logger.warning("%s is not one of task %s's datasets (%s)", dataset_name, task_obj.name, task_obj.datasets)
    split = split or (task_obj.eval_split if task_obj is not None else "val")
    if isinstance(source, Path) and is_side_by_side_folder(source) and not (source / split).is_dir():
        splits = available_splits(source)
        if splits:
            raise Pix2PixHubError(f"{source}: no split {split!r}; it has {', '.join(splits)}. Pass --split.")
    rows = load_paired_dataset(source, split, direction=direction)
    if max_images is not None:
        rows = rows.select(range(min(max_images, len(rows))))
    kind = task_obj.evaluation if task_obj is not None else "image"
    palette = get_palette(task_obj.palette) if task_obj is not None and task_obj.palette else None
    if get_measure(kind).per_class and palette is None:
        raise Pix2PixHubError(f"task {task_obj.name} needs a palette for its {kind!r} evaluation")

    pipe = None if real else Pix2PixPipeline.from_pretrained(model, batch_size=batch_size, backend=backend)
    fcn = None
    if get_measure(kind).needs_segmenter and segmenter is None and not default_segmenter_dir(palette).is_dir():
        warnings.warn(
            f"no bundled FCN-score segmenter for the {palette.name!r} palette ({default_segmenter_dir(palette)}); "
            "scoring the image metrics only. Train one with train/train_segmenter.py and pass --segmenter.",
            stacklevel=2,
        )
        kind = "image"
    elif get_measure(kind).needs_segmenter:
        fcn = FCNScore(load_segmenter(palette, segmenter))
    image_scores = ImageScores()
    label_scores = LabelScores(palette.num_classes) if get_measure(kind).decodes_outputs else None
    if save_images is not None:
        Path(save_images).mkdir(parents=True, exist_ok=True)

    records: list[ImageRecord] = []
    input_off: list[float] = []  # off-palette fractions: fcn inputs must be label maps, and outputs must not be
    output_off: list[float] = []  # labels outputs must be label maps
    started = time.perf_counter()
    with tqdm(total=len(rows), desc="evaluate", unit="img", disable=not progress) as bar:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            inputs, targets, names = batch["input"], batch["target"], batch["name"]
            target_t = torch.stack([pil_to_tensor(t.convert("RGB")) for t in targets])
            if pipe is None:
                output_t = target_t.clone()
            else:
                output_t = torch.stack(pipe(inputs, output_type="pt", mode=mode).images)
                if output_t.shape[-2:] != target_t.shape[-2:]:  # metrics are taken at the target's resolution
                    output_t = F.interpolate(output_t, size=target_t.shape[-2:], mode="bicubic", align_corners=False)
                output_t = output_t.clamp(-1, 1)
            scores = image_scores.update((output_t + 1) / 2, (target_t + 1) / 2)
            outputs = [tensor_to_pil(o) for o in output_t]
            if label_scores is not None:
                scores["pixel_accuracy"] = []
                for out, tgt, name in zip(outputs, targets, names, strict=True):
                    predicted, off = label_fit(out, palette)
                    output_off.append(off)
                    truth = decode_labels(tgt, palette, name=f"{name} (target)")
                    label_scores.update(predicted, truth)
                    scores["pixel_accuracy"].append(pixel_accuracy(predicted, truth))
            if fcn is not None:
                truth = []
                for inp, out in zip(inputs, outputs, strict=True):
                    ids, off = label_fit(inp, palette)
                    input_off.append(off)
                    truth.append(torch.from_numpy(ids))
                    if pipe is not None:
                        output_off.append(label_fit(out, palette)[1])
                scores["fcn_pixel_accuracy"] = fcn.update(output_t, torch.stack(truth))
            for i, name in enumerate(names):
                records.append(
                    ImageRecord(
                        name,
                        {k: float(v[i]) for k, v in scores.items()},
                        (_jpeg(inputs[i]), _jpeg(outputs[i]), _jpeg(targets[i])),
                    )
                )
                if save_images is not None:
                    outputs[i].save(Path(save_images) / f"{Path(name).stem}.png")
            bar.update(len(names))
    seconds = time.perf_counter() - started

    if palette is not None and get_measure(kind).per_class:
        check_label_fit(palette, kind, input_off, output_off, direction)
    metrics: dict[str, Any] = {
        "model": "real targets" if real else str(model),
        "dataset": dataset_name,
        "split": split,
        "direction": direction,
        "task": task_obj.name if task_obj is not None else None,
        "evaluation": kind,
        **{k: v for k, v in image_scores.compute().items() if k != "num_images"},
    }
    per_class: dict[str, Any] | None = None
    if label_scores is not None or fcn is not None:
        scores = label_scores.compute() if label_scores is not None else fcn.compute()
        prefix = "" if label_scores is not None else "fcn_"
        metrics.update({k: v for k, v in scores.items() if not k.startswith(("per_class", "fcn_per_class"))})
        per_class = {
            "classes": list(palette.class_names),
            "accuracy": scores[f"{prefix}per_class_accuracy"],
            "iou": scores[f"{prefix}per_class_iou"],
        }
    metrics.update({"num_images": len(records), "seconds": round(seconds, 2)})
    if fcn is not None:
        metrics["segmenter"] = str(segmenter or default_segmenter_dir(palette).name)
    if output_dir is not None:
        write_report(Path(output_dir), metrics, per_class, records)
    return metrics


def check_label_fit(
    palette: Palette, kind: str, input_off: list[float], output_off: list[float], direction: str
) -> None:
    """Catch label maps that are not label maps, and photos that are: a reversed direction or the other task's model.

    `input_off` and `output_off` are the off-palette fractions of the inputs and outputs (see `label_fit`).
    """
    limit = palette.max_off_fraction
    measure = get_measure(kind)
    if measure.needs_segmenter and input_off and np.mean(input_off) > limit:
        raise Pix2PixHubError(
            f"the inputs (direction {direction}) are not {palette.name!r} label maps: on average "
            f"{np.mean(input_off):.1%} of their pixels are off the palette (label maps: under {limit:.0%}). "
            "A labels -> photo task takes label maps as input; check --direction and the dataset."
        )
    if measure.needs_segmenter and output_off and np.mean(output_off) <= limit:
        warnings.warn(
            f"the outputs look like {palette.name!r} label maps (on average only {np.mean(output_off):.1%} of their "
            "pixels are off the palette), not photos: does the model translate photo -> labels?",
            OffPaletteWarning,
            stacklevel=3,
        )
    if measure.decodes_outputs and output_off and np.mean(output_off) > limit:
        warnings.warn(
            f"the outputs are not {palette.name!r} label maps: on average {np.mean(output_off):.1%} of their pixels "
            f"are off the palette (real label maps: under {limit:.0%}). Does the model translate in the other "
            "direction (labels -> photo)? The label scores still decode each pixel to its nearest colour.",
            OffPaletteWarning,
            stacklevel=3,
        )


def read_metrics(output_dir: str | os.PathLike) -> dict[str, Any]:
    """The metrics.json an evaluation wrote."""
    return json.loads((Path(output_dir) / METRICS_FILE).read_text())
