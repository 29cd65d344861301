"""The stored pairs a registry task trains and is evaluated on, for every task: each of its datasets read in the
direction whose target the task needs, concatenated, each row naming its source dataset.

Inputs made from photos (colorization, inpainting: `InputKind.from_photos`) read every dataset with the photo half as
the target, and the kind's pair maker derives the input from it; multi-dataset tasks (sketch2photo) read all their
datasets as stored. Nothing is copied or linked on disk.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import datasets
from PIL import Image

from .data import load_paired_dataset
from .input_kinds import eval_input, get_input_kind
from .paired_datasets import DATASETS, eval_split_of
from .tasks import Task, find_dataset_dir


@dataclass(frozen=True)
class TaskSource:
    """One dataset a task reads, and the direction whose target is what the task outputs."""

    dataset: str
    direction: str


def task_sources(task: Task, direction: str | None = None) -> list[TaskSource]:
    """The task's datasets with their reading direction: the photo half as target where inputs are made from
    photos, else `direction` (e.g. train.py's --direction) or the task's."""
    from_photos = get_input_kind(task.input_kind).from_photos
    stored = direction or task.direction
    return [TaskSource(name, DATASETS[name].photo_direction if from_photos else stored) for name in task.datasets]


def describe_sources(task: Task) -> str:
    """The source datasets by name, as cards and logs show them ("edges2shoes + edges2handbags")."""
    return " + ".join(task.datasets)


class TaskPairs:
    """Several datasets' pairs as one sequence of rows `{"input", "target", "name", "source"}` (PIL images, or
    `transform`'s tensors), each row's input derived by `derive(input, target, index)` where given."""

    def __init__(
        self,
        parts: dict[str, datasets.Dataset],
        derive: Callable[[Image.Image, Image.Image, int], Image.Image] | None = None,
        transform: Callable[[Image.Image, Image.Image], dict[str, Any]] | None = None,
        indices: list[int] | None = None,
    ):
        self.parts, self.derive, self.transform = parts, derive, transform
        self._names = list(parts)
        self._starts = [0]
        for part in parts.values():
            self._starts.append(self._starts[-1] + len(part))
        self.indices = indices if indices is not None else list(range(self._starts[-1]))

    def __len__(self) -> int:
        return len(self.indices)

    def _part(self, flat: int) -> int:
        """Which dataset (by position) holds flat row `flat`."""
        return bisect.bisect_right(self._starts, flat) - 1

    def __getitem__(self, index: int) -> dict[str, Any]:
        flat = self.indices[index]
        part = self._part(flat)
        name = self._names[part]
        row = self.parts[name][flat - self._starts[part]]
        inp, target = row["input"], row["target"]
        if self.derive is not None:  # indexed within its dataset, as the zoo's evaluation does
            inp = self.derive(inp, target, flat - self._starts[part])
        out = self.transform(inp, target) if self.transform is not None else {"input": inp, "target": target}
        return {**out, "name": row["name"], "source": name}

    def head(self, count: int) -> TaskPairs:
        """The first `count` rows taken in turn from each dataset (not all from the first), e.g. for a short
        validation that still covers every source."""
        queues: list[list[int]] = [[] for _ in self._names]
        for flat in self.indices:
            queues[self._part(flat)].append(flat)
        taken: list[int] = []
        while len(taken) < min(count, len(self.indices)):
            for queue in queues:
                if queue and len(taken) < count:
                    taken.append(queue.pop(0))
        return TaskPairs(self.parts, self.derive, self.transform, taken)

    def sources(self) -> list[str]:
        """The source dataset of each row."""
        return [self._names[self._part(flat)] for flat in self.indices]


def load_task_pairs(
    task: Task,
    split: str = "train",
    *,
    transform: Callable[[Image.Image, Image.Image], dict[str, Any]] | None = None,
    skip_bad: bool = False,
    direction: str | None = None,
    evaluation: bool = False,
) -> TaskPairs:
    """The task's pairs of `split` ("eval": each dataset's evaluation split) from every dataset it names, stored
    pairs read in `direction` (default the task's); `evaluation` (on for "eval") gives each pair the task's
    deterministic evaluation input (grayscale, masked, sketched) instead of the training pair maker's."""
    parts = {
        source.dataset: load_paired_dataset(
            find_dataset_dir(source.dataset),
            eval_split_of(source.dataset) if split == "eval" else split,
            direction=source.direction,
            skip_bad=skip_bad,
        )
        for source in task_sources(task, direction)
    }
    derive = (
        (lambda inp, target, index: eval_input(task, inp, target, index)) if evaluation or split == "eval" else None
    )
    return TaskPairs(parts, derive=derive, transform=transform)


__all__ = ["TaskPairs", "TaskSource", "describe_sources", "load_task_pairs", "task_sources"]
