"""The inputs int8 quantization is calibrated and checked on (a task's own training and evaluation inputs, or
drawings where its data is not here), and the int8 graph of a model: found beside it, or made now for a zoo model.
`pix2pix-hub export-web` and the int8 backend (`pix2pix_hub.backends`) both read them here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import torch

from .data import PairedTransform, load_paired_dataset
from .errors import Pix2PixHubError
from .graph_cache import cached_graph
from .images import pil_to_tensor
from .input_kinds import draw_input, pair_maker_for
from .models import Pix2PixGenerator
from .quantization import (
    CALIBRATION_IMAGES,
    CHECK_IMAGES,
    IMAGE_SIZE,
    find_int8_folder,
    source_folder,
    write_onnx_files,
)
from .task_data import task_sources
from .tasks import TASKS, Task, find_dataset_dir
from .zoo import eval_batches

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _round_robin(parts: list[list[torch.Tensor]], count: int) -> torch.Tensor:
    """`count` tensors taken from each part in turn (tasks on several datasets get some of each)."""
    rows = [part[i] for i in range(max(map(len, parts))) for part in parts if i < len(part)]
    return torch.stack(rows[:count])


def calibration_inputs(task: Task, count: int = CALIBRATION_IMAGES, size: int = IMAGE_SIZE) -> torch.Tensor:
    """`count` model inputs made from the task's training split as training makes them (its kind's pair maker,
    seeded by the pair's index), evenly spaced through each dataset, resized to `size`: (N, C, H, W) in [-1, 1]."""
    make_pair = pair_maker_for(task)
    transform = PairedTransform(size, size, train=False)
    directions = {source.dataset: source.direction for source in task_sources(task)}
    parts = []
    for name in task.datasets:
        pairs = load_paired_dataset(find_dataset_dir(name), "train", direction=directions[name])
        picks = range(0, len(pairs), max(1, len(pairs) // count))[:count]
        part = []
        for index in picks:
            inp, target = pairs[index]["input"], pairs[index]["target"]
            if make_pair is not None:
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(index)
                    inp, target = make_pair(inp, target)
            part.append(transform(inp, target)["input"])
        parts.append(part)
    return _round_robin(parts, count)


def heldout_inputs(task: Task, count: int = CHECK_IMAGES, size: int = IMAGE_SIZE) -> torch.Tensor:
    """The first `count` evaluation inputs of the task (its datasets in turn), as the zoo's evaluation makes them."""
    per_dataset = -(-count // len(task.datasets))
    parts = [
        list(torch.cat([b["input"] for b in eval_batches(task, name, per_dataset, size)])) for name in task.datasets
    ]
    return _round_robin(parts, count)


def drawn_inputs(task: Task, count: int, size: int, first_seed: int) -> torch.Tensor:
    """Inputs drawn by the task's kind (where its dataset is not here): seeds `first_seed`, `first_seed + 1`, ..."""
    return torch.stack(
        [pil_to_tensor(draw_input(task.name, size, seed)) for seed in range(first_seed, first_seed + count)]
    )


def task_inputs(task: Task) -> tuple[torch.Tensor, torch.Tensor, str]:
    """Calibration and held-out inputs of `task`, and where they came from: its data when it is here, else
    drawings (different seeds for the two)."""
    try:
        return calibration_inputs(task), heldout_inputs(task), "the task's training split / evaluation split"
    except Pix2PixHubError as exc:
        logger.warning("%s: %s; calibrating and checking on drawn inputs instead", task.name, exc)
        drawn = "drawn inputs (the task's data was not found)"
        return (
            drawn_inputs(task, CALIBRATION_IMAGES, IMAGE_SIZE, 0),
            drawn_inputs(task, CHECK_IMAGES, IMAGE_SIZE, 1000),
            drawn,
        )


def load_int8(generator: Pix2PixGenerator, weights: str, load: Callable[[Path], T]) -> T:
    """`load(folder)` of the int8 graph of these weights: the one `find_int8_folder` finds, else, for a zoo model,
    one made now into the graph cache (calibrated and checked on its task's inputs as `export-web` does); a model
    of no zoo task without one gets a clear error naming the fix."""
    found = find_int8_folder(generator, weights)
    if found is not None:
        return load(found)
    source = source_folder(generator)
    task = next((t for t in TASKS.values() if source is not None and t.zoo_dir.resolve() == source.resolve()), None)
    if task is None:
        raise Pix2PixHubError(
            f"no int8 graph for this model{f' ({source})' if source else ''}: int8 needs a calibration on the "
            "task's own inputs. Make it with `pix2pix_hub.quantization.write_onnx_files(generator, "
            "MODEL_FOLDER / 'onnx', calibration, heldout, inputs)`, or use a zoo model (`pix2pix-hub export-web TASK`)."
        )

    def build(folder: Path) -> None:
        write_onnx_files(generator, folder, *task_inputs(task))

    loaded, _ = cached_graph(f"{weights}-int8", "onnxruntime", build=build, load=load)
    return loaded
