"""What a training run says at its start (data, direction, steps, schedule, where it writes) and at its end."""

from __future__ import annotations

import os

from ..tasks import Task
from .schedule import RunSchedule, format_epochs


def startup_summary(
    *,
    task: Task | None,
    dataset: str,
    train_split: str,
    num_pairs: int,
    direction: str,
    schedule: RunSchedule,
    images_per_step: int,
    validation_split: str | None,
    output_dir: str | os.PathLike,
    checkpointing_steps: int,
    repo_id: str | None,
) -> list[str]:
    """The lines logged before the first step, so a wrong dataset, direction or length shows at once."""
    epochs = format_epochs(schedule.total_steps / schedule.steps_per_epoch)
    return [
        f"task: {task.name if task else 'none (custom data)'}; data: {dataset}, split {train_split!r}, "
        f"{num_pairs} pairs, direction {direction}",
        f"steps: {schedule.total_steps} ({epochs} epochs of {schedule.steps_per_epoch} steps, {images_per_step} "
        f"image(s) per step); schedule: {schedule.describe()}",
        f"validation: {f'split {validation_split!r}' if validation_split else 'none'}; output folder: {output_dir} "
        f"(checkpoints every {checkpointing_steps} steps in {os.path.join(output_dir, 'checkpoints')})"
        + (f"; pushes to {repo_id} at the end" if repo_id else ""),
    ]
