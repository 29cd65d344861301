"""What a checkpoint carries besides the accelerator's state, and resuming from it.

`RunRecord` holds the architecture, the arguments, the schedule(s) the run followed and its training wall time so
far; `resume_run` loads a checkpoint, restores that record and says (in the log) when this run's schedule differs
from the checkpoint's, so a resumed run's card describes the whole run, not its last part.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelerate import Accelerator

from .checkpoints import check_architecture, latest_checkpoint, read_checkpoint_state
from .schedule import RunSchedule, format_epochs

logger = logging.getLogger(__name__)


@dataclass
class RunRecord:
    """The run's facts a checkpoint stores: `state()` is written into each checkpoint's training_state.json."""

    architecture: dict[str, Any]
    args: dict[str, Any]
    schedule: RunSchedule
    #: every schedule the run followed, oldest first: [{"from_step": 0, **schedule}, ...]
    schedule_history: list[dict[str, Any]] = field(default_factory=list)
    #: training wall time of the run's earlier parts (before the checkpoint this part resumed from)
    earlier_wall_time_s: float = 0.0
    started: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if not self.schedule_history:
            self.schedule_history = [{"from_step": 0, **self.schedule.to_dict()}]

    def wall_time(self) -> float:
        """Seconds of training so far, over all parts of a resumed run."""
        return self.earlier_wall_time_s + time.time() - self.started

    def state(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "args": self.args,
            "schedule": self.schedule.to_dict(),
            "schedule_history": self.schedule_history,
            "wall_time_s": self.wall_time(),
        }

    def describe_schedule(self, last_step: int) -> str:
        """The schedule(s) that ran, for the card: the current one, and the steps that followed earlier ones."""
        text = self.schedule.describe()
        bounds = [entry["from_step"] for entry in self.schedule_history[1:]] + [last_step]
        earlier = [
            f"steps {entry['from_step'] + 1}-{end} followed an earlier schedule ({RunSchedule.from_dict(entry).describe()})"
            for entry, end in zip(self.schedule_history[:-1], bounds, strict=False)
            if end > entry["from_step"]
        ]
        return "; ".join([text, *earlier])


class _LegacySchedulerState:
    """Stands in for a LambdaLR whose state an older train.py stored; the schedule is now a function of the step."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def _load_legacy_state(accelerator: Accelerator, checkpoint: Path) -> None:
    """Load a checkpoint of an older train.py, which also saved one LambdaLR state per optimizer: stand-ins take
    those, and are unregistered afterwards so that new checkpoints do not carry them."""
    stored = len(list(checkpoint.glob("custom_checkpoint_*.pkl")))
    # accelerate keeps registered objects in a private list; it has no public way to unregister one
    registered = list(accelerator._custom_objects)
    accelerator._custom_objects[:] = [_LegacySchedulerState() for _ in range(stored - len(registered))] + registered
    try:
        accelerator.load_state(str(checkpoint))
    finally:
        accelerator._custom_objects[:] = registered


def resume_run(
    accelerator: Accelerator,
    resume_from: str,
    checkpoints_dir: str | os.PathLike,
    record: RunRecord,
) -> int:
    """Load `resume_from` ('latest' or a checkpoint folder) into the accelerator and `record`; return its step
    (0 when 'latest' finds no checkpoint). Logs a warning when this run's schedule differs from the checkpoint's."""
    checkpoint = latest_checkpoint(checkpoints_dir) if resume_from == "latest" else Path(resume_from)
    if checkpoint is None:
        logger.info("no checkpoint in %s; starting a new run", checkpoints_dir)
        return 0
    state = read_checkpoint_state(checkpoint)
    check_architecture(checkpoint, state["architecture"], record.architecture)
    if "schedule" in state:
        accelerator.load_state(str(checkpoint))
    else:
        _load_legacy_state(accelerator, checkpoint)
    step = int(state["global_step"])
    record.earlier_wall_time_s = float(state.get("wall_time_s", 0.0))
    saved = RunSchedule.from_dict(state["schedule"]) if "schedule" in state else None
    record.schedule_history = state.get("schedule_history") or record.schedule_history
    if saved is not None and saved != record.schedule:
        logger.warning(
            "this run's learning-rate schedule differs from the checkpoint's: %s (checkpoint) -> %s (this run); "
            "the rate of step %d goes from %.3g to %.3g",
            saved.describe(),
            record.schedule.describe(),
            step + 1,
            saved.get_lr(step),
            record.schedule.get_lr(step),
        )
        record.schedule_history = [*record.schedule_history, {"from_step": step, **record.schedule.to_dict()}]
    logger.info(
        "resumed from %s at step %d (%s epochs)",
        checkpoint,
        step,
        format_epochs(step / record.schedule.steps_per_epoch),
    )
    return step
