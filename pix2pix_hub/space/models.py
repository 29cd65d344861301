"""Lazy, cached model loading for the Space: the bundled zoo folder first, then the Hub, never a long network wait;
and the one place the Space calls a model, which batches concurrent requests into one forward pass.

Models serve on torch from their first request. `tune_backends` (run by `pix2pix-hub demo` in a background thread)
then settles each model's fastest backend (converting, or reading the graph and choice from the disk cache of
`pix2pix_hub.graph_cache`) on a copy of the model, and swaps the copy in under the task's lock: a request is served
by the old pipeline or by the new one, never lost or run twice.

An uncached Hub repo id can take tens of seconds to fail when the Hub is unreachable (retries on DNS and connect
errors), so the Hub is probed once with a short time-out and, when it does not answer, only the local cache is read.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import torch
from huggingface_hub import constants, get_session, try_to_load_from_cache
from PIL import Image

from ..errors import Pix2PixHubError
from ..input_kinds import draw_input
from ..models import Pix2PixGenerator
from ..pipeline import Pix2PixPipeline
from ..tasks import TASKS, ZOO_DIR, Task
from ..zoo import FACTS_FILE, ModelFacts, read_model_facts

logger = logging.getLogger(__name__)

#: what the log says once `tune_backends` has settled every model (benchmarks wait for it)
TUNING_DONE = "backend tuning done"
#: seconds the Hub gets to answer the reachability probe
HUB_PROBE_TIMEOUT = 2.0
#: most requests of one task translated in one forward pass (deterministic mode; paper mode runs one at a time)
MAX_BATCH_SIZE = 8
#: torch's CPU threads when serving: one, so the web server keeps a core, and a model call never waits on a
#: descheduled second thread (on 2 shared cores: 15 ms a 256x256 image with one thread, 70-200 ms with two)
SERVING_THREADS = 1


class ModelUnavailable(Pix2PixHubError):
    """The task has no model here (not trained yet, no data, or neither bundled nor reachable on the Hub)."""


@dataclass(frozen=True)
class ModelInfo:
    """Where a task's model would come from, known without loading it (at most one short Hub probe)."""

    source: str | None
    #: short text for the UI: where the model comes from, or why there is none (then "<task> has no model: <status>")
    status: str
    #: the model card's summary paragraph, when a card is at hand
    card_note: str = ""
    #: what the zoo card and its metrics.json say (training length, metrics, the paper's figures, the outputs)
    facts: ModelFacts | None = None

    @property
    def available(self) -> bool:
        return self.source is not None


@dataclass
class _Request:
    """One deterministic translation waiting for its task's model; whoever runs the batch fills it in."""

    image: Image.Image
    done: threading.Event = field(default_factory=threading.Event)
    output: Image.Image | None = None
    error: BaseException | None = None


class ModelStore:
    """Loads each task's `Pix2PixPipeline` on first use and keeps it; thread-safe for the Space's queue workers.

    `zoo_dir` holds one Hub-layout folder per task (`<zoo_dir>/<task name>/config.json`), preferred when present,
    like `Pix2PixPipeline.from_pretrained(task_name)`; `use_hub=False` never touches the Hub (tests, air-gapped use).
    Deterministic requests that arrive while a task's model is busy wait together and go through it as one batch of
    up to `max_batch_size` when it is free (no waiting window: a lone request runs at once). `num_threads` sets
    torch's process-wide CPU thread count (None leaves it). `backend` other than "auto" (e.g. "int8") serves every
    model on that backend from its first request, with nothing to tune.
    """

    def __init__(
        self,
        zoo_dir: str | Path = ZOO_DIR,
        use_hub: bool = True,
        device: str | None = None,
        max_batch_size: int = MAX_BATCH_SIZE,
        num_threads: int | None = SERVING_THREADS,
        backend: str = "auto",
    ):
        self.zoo_dir = Path(zoo_dir)
        self.backend = backend
        self.use_hub = use_hub
        self.device = device
        self.max_batch_size = max_batch_size
        self._pipelines: dict[str, Pix2PixPipeline] = {}
        self._task_locks = {name: threading.Lock() for name in TASKS}
        self._waiting: dict[str, deque[_Request]] = {name: deque() for name in TASKS}
        # paper mode switches the shared model to train mode and seeds torch's process-wide RNG, so such calls
        # run one at a time, and never beside another call on the same task
        self._paper_lock = threading.Lock()
        if num_threads is not None:
            torch.set_num_threads(num_threads)

    def local_dir(self, task: Task) -> Path:
        return self.zoo_dir / task.name

    @cached_property
    def hub_reachable(self) -> bool:
        """Whether the Hub answers within `HUB_PROBE_TIMEOUT` seconds (asked once per store; never when offline)."""
        if not self.use_hub or constants.HF_HUB_OFFLINE:
            return False
        try:
            get_session().head(constants.ENDPOINT, timeout=HUB_PROBE_TIMEOUT)
        except Exception:  # any connection, DNS, TLS or time-out error means "not now"
            return False
        return True

    def info(self, task: Task) -> ModelInfo:
        """Where the model of `task` comes from, or why it is unavailable, without loading it."""
        folder = self.local_dir(task)
        if (folder / constants.CONFIG_NAME).is_file():
            facts = read_model_facts(task, folder)
            return ModelInfo(str(folder), f"bundled model `{folder.name}`", facts.summary if facts else "", facts)
        if self.use_hub and isinstance(try_to_load_from_cache(task.hub_repo_id, constants.CONFIG_NAME), str):
            facts_file = try_to_load_from_cache(task.hub_repo_id, FACTS_FILE)
            where = f"Hub model `{task.hub_repo_id}` (cached)"
            if not isinstance(facts_file, str):
                return ModelInfo(task.hub_repo_id, where)
            facts = read_model_facts(task, Path(facts_file).parent)
            return ModelInfo(task.hub_repo_id, where, facts.summary if facts else "", facts)
        if task.note:
            return ModelInfo(None, task.note)
        if self.hub_reachable:
            return ModelInfo(task.hub_repo_id, f"Hub model `{task.hub_repo_id}`, downloaded on first use")
        where = "and the Hub cannot be reached" if self.use_hub else "and the Hub is not used"
        return ModelInfo(None, f"not trained yet (no bundled `{folder.name}` folder {where}).")

    def load(self, task: Task) -> Pix2PixPipeline:
        """The task's pipeline, loaded once; `ModelUnavailable` says why when there is none."""
        with self._task_locks[task.name]:
            return self._load(task)

    def _load(self, task: Task) -> Pix2PixPipeline:
        """The one place a task's pipeline is made (the caller holds the task's lock)."""
        if task.name not in self._pipelines:
            self._pipelines[task.name] = Pix2PixPipeline(
                self._load_generator(task),
                device=self.device,
                batch_size=self.max_batch_size,
                backend="torch" if self.backend == "auto" else self.backend,
            )
        return self._pipelines[task.name]

    def tune_backends(self, tasks: list[Task], size: int = 256) -> dict[str, str]:
        """Give each task's model the backend "auto" picks for one `size`x`size` request (the Space's usual batch),
        one task after another; each model keeps serving on its current pipeline until the tuned copy is ready.
        Returns what each task now runs on (tasks without a model are left out)."""
        chosen = {}
        for task in tasks:
            if not self.info(task).available:
                continue
            try:
                serving = self.load(task)
                tuned = Pix2PixPipeline(
                    copy.deepcopy(serving.generator), device=self.device, batch_size=self.max_batch_size
                )
                choice = tuned.choose_backend(draw_input(task.name, size, seed=0))
            except Exception as exc:  # a backend that fails here leaves the task on torch, which works
                logger.warning("Space: %s stays on torch (%s)", task.name, exc)
                continue
            with self._task_locks[task.name]:
                self._pipelines[task.name] = tuned
            chosen[task.name] = choice.runner.label
            logger.info("Space: %s now serves on %s", task.name, choice.describe())
        logger.info("Space: %s (%d models)", TUNING_DONE, len(chosen))
        return chosen

    def translate(self, task: Task, image: Image.Image, paper_mode: bool = False, seed: int = 0) -> Image.Image:
        """One image through the task's model, safe to call from several queue workers at once: deterministic
        requests waiting together share a forward pass; paper-mode ones run alone, with their own seed."""
        if paper_mode:
            with self._paper_lock, self._task_locks[task.name]:
                return self._load(task)(image, mode="paper", seed=seed).image
        request = _Request(image)
        self._waiting[task.name].append(request)
        with self._task_locks[task.name]:
            while not request.done.is_set():  # not taken by an earlier batch: run the waiting ones, this one too
                self._run_batch(task)
        if request.error is not None:
            raise request.error
        return request.output

    def _run_batch(self, task: Task) -> None:
        waiting = self._waiting[task.name]
        batch = [waiting.popleft() for _ in range(min(self.max_batch_size, len(waiting)))]
        try:
            outputs = self._load(task)([r.image for r in batch], mode="deterministic").images
        except Exception as exc:  # the model's failure is every waiting request's (an unavailable model, say)
            outputs = [None] * len(batch)
            for request in batch:
                request.error = exc
        for request, output in zip(batch, outputs, strict=True):
            request.output = output
            request.done.set()

    def _load_generator(self, task: Task) -> Pix2PixGenerator:
        info = self.info(task)
        if not info.available:
            raise ModelUnavailable(f"{task.name} has no model: {info.status}")
        if info.source == str(self.local_dir(task)):
            return Pix2PixGenerator.from_pretrained(info.source)
        try:
            return Pix2PixGenerator.from_pretrained(task.hub_repo_id, local_files_only=not self.hub_reachable)
        except Pix2PixHubError as exc:
            why = task.note or "not trained yet, or not published on the Hub"
            raise ModelUnavailable(
                f"{task.name} has no model: {why} ({task.hub_repo_id} could not be loaded: {exc})"
            ) from exc
