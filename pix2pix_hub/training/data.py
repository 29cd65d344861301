"""Training pairs as a torch Dataset: jitter seeded per (seed, epoch, index), unreadable pairs skipped and counted.

Seeding each sample's jitter from its position, not from the global RNG stream, keeps a resumed run on exactly the
uninterrupted run's data even though the data loader reads ahead, and makes worker processes deterministic too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import datasets
import numpy as np
import torch
from PIL import Image

from ..errors import Pix2PixHubError
from ..input_kinds import PairMaker
from ..task_data import TaskPairs

logger = logging.getLogger(__name__)


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A well-mixed 63-bit seed for one sample of one epoch."""
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(2, np.uint64)[0] >> np.uint64(1))


class TrainingPairs(torch.utils.data.Dataset):
    """Rows `{"input", "target", "bad"}` from PIL pairs (`load_paired_dataset` without transform).

    A pair that fails to decode (corrupt file, mismatched sizes) is replaced by the next readable one, so batches
    stay full and every process takes the same number of steps; its error message is returned in "bad" (the
    training loop counts them) and logged as a warning once per worker.

    With `cache_decoded`, each pair is decoded once and kept as uint8 arrays (the first epoch decodes, later epochs
    only jitter): 0.4 MB per 256x256 pair, e.g. 400 MB for 1000 pairs, per data-loader process.
    """

    def __init__(
        self,
        pairs: datasets.Dataset | TaskPairs,
        transform: Callable[[Image.Image, Image.Image], dict[str, torch.Tensor]],
        seed: int = 0,
        make_pair: PairMaker | None = None,
        cache_decoded: bool = False,
    ):
        self.pairs, self.transform, self.seed, self.make_pair = pairs, transform, seed, make_pair
        self.epoch = 0
        self._warned: set[str] = set()
        self._decoded: dict[int, tuple[np.ndarray, np.ndarray]] | None = {} if cache_decoded else None
        self._sources = pairs.sources() if isinstance(pairs, TaskPairs) else None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.pairs)

    def source_of(self, index: int) -> str:
        """The dataset pair `index` comes from (a task's `TaskPairs` name it; one stored dataset is "")."""
        return self._sources[index] if self._sources else ""

    def _decoded_pair(self, index: int) -> tuple[Image.Image, Image.Image]:
        """Pair `index` as PIL images, from the cache of decoded pixels when there is one."""
        if self._decoded is not None and index in self._decoded:
            return tuple(Image.fromarray(a) for a in self._decoded[index])
        row = self.pairs[index]
        inp, target = row["input"], row["target"]
        if self._decoded is not None:
            # decoded here, inside the caller's error handling, so a corrupt file is never cached
            self._decoded[index] = (np.asarray(inp), np.asarray(target))
        return inp, target

    def __getitem__(self, index: int) -> dict[str, Any]:
        bad = []
        for offset in range(len(self)):
            i = (index + offset) % len(self)
            try:
                inp, target = self._decoded_pair(i)
            except (Pix2PixHubError, OSError) as exc:
                bad.append(str(exc))
                if str(exc) not in self._warned:
                    self._warned.add(str(exc))
                    logger.warning("skipping an unreadable training pair: %s", exc)
                continue
            if self.make_pair is not None:
                inp, target = self.make_pair(inp, target)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(sample_seed(self.seed, self.epoch, i))
                tensors = self.transform(inp, target)
            return {"input": tensors["input"], "target": tensors["target"], "bad": bad, "source": self.source_of(i)}
        raise Pix2PixHubError(f"none of the {len(self)} training pairs could be read; the last error: {bad[-1]}")


def collate_pairs(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack tensors; gather the skipped pairs' error messages into one list."""
    return {
        "input": torch.stack([r["input"] for r in rows]),
        "target": torch.stack([r["target"] for r in rows]),
        "bad": [msg for r in rows for msg in r["bad"]],
        "source": [r["source"] for r in rows],
    }
