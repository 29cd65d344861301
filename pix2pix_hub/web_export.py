"""`pix2pix-hub export-web`: each zoo model's `onnx/model.onnx` (fp32) and `onnx/model_quantized.onnx` (int8), the
layout transformers.js reads from Hub repos, made from the shipped safetensors by `pix2pix_hub.quantization` with
the task's own inputs: calibration on its training split, the quality check on its evaluation split.

The files are build outputs (never committed): `pix2pix-hub zoo push` makes any that are missing. A folder whose
stored check belongs to the same weights is kept as it is, so a second export of an unchanged zoo costs seconds.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jinja2
import torch

from .calibration import task_inputs
from .card_files import card_template
from .errors import Pix2PixHubError
from .graph_cache import weights_hash
from .models import Pix2PixGenerator
from .quantization import (
    CALIBRATION_IMAGES,
    CHECK_SHEET,
    FP32_FILE,
    IMAGE_SIZE,
    INT8_FILE,
    MIN_PSNR_DB,
    ONNX_DIR,
    RECIPE,
    SHEET_DIFF_GAIN,
    SHEET_ROWS,
    QualityCheck,
    read_check,
    write_onnx_files,
)
from .tasks import Task, get_task
from .zoo import ONNX_CHECK_FILE, zoo_tasks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebExport:
    """One task's export: where its files are, their check, whether they were made now, and how long it took."""

    task: str
    folder: Path
    check: QualityCheck
    made: bool
    seconds: float


def export_task(task: Task, zoo_folder: Path | None = None, force: bool = False) -> WebExport:
    """Write the ONNX files of the task's zoo model (in `zoo_folder`, default `model_zoo/<task>/`) into its onnx/
    unless a check for the same weights is already there (`force` makes them again); store the figures beside the
    card (`onnx_check.json`) and write the card's ONNX section."""
    start = time.perf_counter()
    zoo_folder = zoo_folder or task.zoo_dir
    folder = zoo_folder / ONNX_DIR
    generator = Pix2PixGenerator.from_pretrained(str(zoo_folder)).float().eval()
    check = None if force else current_check(generator, folder)
    fresh = check is not None
    if check is None:
        calibration, heldout, inputs = task_inputs(task)
        check = write_onnx_files(generator, folder, calibration, heldout, inputs)
    (zoo_folder / ONNX_CHECK_FILE).write_text(json.dumps(web_figures(check), indent=2) + "\n")
    card = zoo_folder / "README.md"
    if card.is_file():
        section = web_section(task, zoo_folder)
        card.write_text(with_web_section(card.read_text(encoding="utf-8"), section), encoding="utf-8")
    return WebExport(task.name, folder, check, not fresh, time.perf_counter() - start)


def current_check(generator: Pix2PixGenerator, folder: Path) -> QualityCheck | None:
    """The check of the files in `folder` when they are this generator's, by this recipe, and all there; else None."""
    check = read_check(folder)
    if check is None or (check.weights_hash, check.recipe) != (weights_hash(generator), RECIPE):
        return None
    return check if all((folder / name).is_file() for name in (FP32_FILE, INT8_FILE, CHECK_SHEET)) else None


def web_figures(check: QualityCheck) -> dict:
    """What a zoo card says about the ONNX files: each file's PSNR against torch fp32 and whether it passed."""
    return {
        "fp32": {"psnr_db": check.psnr_fp32_db, "psnr_min_db": check.psnr_fp32_min_db, "passed": check.fp32_passed},
        "int8": {"psnr_db": check.psnr_int8_db, "psnr_min_db": check.psnr_int8_min_db, "passed": check.int8_passed},
        "images": check.images,
        "inputs": check.inputs,
    }


def _export_alone(name: str, force: bool) -> WebExport:
    """`export_task` in a worker process, on one thread (the workers share the cores)."""
    torch.set_num_threads(1)
    return export_task(get_task(name), force=force)


def export_zoo(tasks: list[str] | None = None, force: bool = False, jobs: int | None = None) -> Iterator[WebExport]:
    """`export_task` for each zoo task (or those named), in `jobs` processes (default: one per CPU core; most of an
    export is single-threaded: tracing, calibration, data), yielding each result in order when done."""
    selected = [get_task(name) for name in tasks] if tasks else zoo_tasks()
    missing = [task.name for task in selected if not task.bundled]
    if missing:
        raise Pix2PixHubError(f"no zoo model for {', '.join(missing)}: train it with train/zoo/train_task.sh TASK")
    stale = [
        task.name
        for task in selected
        if force or current_check(Pix2PixGenerator.from_pretrained(str(task.zoo_dir)), task.zoo_dir / ONNX_DIR) is None
    ]
    yield from (export_task(task) for task in selected if task.name not in stale)  # current: seconds in all
    jobs = min(jobs or os.cpu_count() or 1, len(stale))
    if jobs <= 1:
        yield from (export_task(get_task(name), force=force) for name in stale)
        return
    # spawned, not forked: a fork of a process whose torch has started its thread pools can hang
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(_export_alone, stale, [force] * len(stale))


#: the heading of the card section `web_section` renders (`export-web` writes it in place, before Training)
WEB_HEADING = "## ONNX and int8"


def web_section(task: Task, zoo_folder: Path | None = None) -> str:
    """The zoo card's section on the ONNX files (model_cards/onnx_section.md) from the figures stored in
    `zoo_folder` (default `model_zoo/<task>/`, `onnx_check.json`); empty when they were never exported."""
    path = (zoo_folder or task.zoo_dir) / ONNX_CHECK_FILE
    if not path.is_file():
        return ""
    figures = json.loads(path.read_text())
    template = jinja2.Template(card_template("onnx_section.md"), undefined=jinja2.StrictUndefined)
    training_split = figures["inputs"].startswith("the task's")
    return (
        template.render(
            task=task,
            figures=figures,
            calibration=f"{CALIBRATION_IMAGES} {IMAGE_SIZE}x{IMAGE_SIZE}",
            inputs_from="inputs of the task's training split" if training_split else figures["inputs"],
            min_db={"fp32": MIN_PSNR_DB[FP32_FILE], "int8": MIN_PSNR_DB[INT8_FILE]},
            sheet_rows=SHEET_ROWS,
            gain=SHEET_DIFF_GAIN,
        ).rstrip("\n")
        + "\n\n"
    )


def with_web_section(card: str, section: str) -> str:
    """`card` with its ONNX section replaced by `section` (or inserted before its training section, else at the
    end), so that rendering it again keeps one copy."""
    pattern = re.compile(rf"^{re.escape(WEB_HEADING)}\n.*?(?=^## |\Z)", flags=re.M | re.S)
    if pattern.search(card):
        return pattern.sub(lambda _: section, card, count=1)
    training = re.search(r"^## Training\n", card, flags=re.M)
    if training is None:
        return card.rstrip("\n") + "\n\n" + section
    return card[: training.start()] + section + card[training.start() :]
