"""Atomic training checkpoints: `save_state` into a temporary folder, then one rename to `checkpoint-<step>`.

A kill or a full disk during a save leaves at most a `.tmp-checkpoint-<step>` folder, which `latest_checkpoint`
never picks and the next run removes, so a resumed run always starts from a complete checkpoint.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator

from ..errors import Pix2PixHubError

logger = logging.getLogger(__name__)

CHECKPOINT_PREFIX = "checkpoint-"
TEMP_PREFIX = ".tmp-"
#: written last into each checkpoint: the step and the architecture, checked before `load_state`
STATE_FILE = "training_state.json"
_NAME = re.compile(rf"^{CHECKPOINT_PREFIX}(\d+)$")


def list_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """Complete checkpoints in `folder`, oldest step first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name)) and p.is_dir()]
    return [p for _, p in sorted(found) if (p / STATE_FILE).is_file()]


def latest_checkpoint(folder: str | os.PathLike) -> Path | None:
    """The checkpoint with the highest step, or None."""
    checkpoints = list_checkpoints(folder)
    return checkpoints[-1] if checkpoints else None


def remove_temporary_checkpoints(folder: str | os.PathLike) -> None:
    """Delete leftovers of interrupted saves."""
    folder = Path(folder)
    if folder.is_dir():
        for path in folder.glob(TEMP_PREFIX + CHECKPOINT_PREFIX + "*"):
            shutil.rmtree(path, ignore_errors=True)


def _all_processes_ok(accelerator: Accelerator, ok: bool) -> bool:
    flags = accelerator.gather(torch.tensor([int(ok)], device=accelerator.device))
    return bool(flags.min().item())


def save_checkpoint(
    accelerator: Accelerator, folder: str | os.PathLike, step: int, state: dict[str, Any], total_limit: int | None
) -> Path | None:
    """Save the accelerator's state as `folder/checkpoint-<step>` atomically; keep the newest `total_limit`.

    Returns the checkpoint's path, or None when the save failed (e.g. the disk is full): the error is logged, the
    partial save removed, and earlier checkpoints are untouched, so the caller can keep training.
    """
    folder = Path(folder)
    final = folder / f"{CHECKPOINT_PREFIX}{step}"
    temporary = folder / f"{TEMP_PREFIX}{final.name}"
    if accelerator.is_main_process:
        shutil.rmtree(temporary, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    error = None
    try:
        accelerator.save_state(str(temporary))
        if accelerator.is_main_process:
            (temporary / STATE_FILE).write_text(json.dumps({"global_step": step, **state}, indent=2, sort_keys=True))
    except OSError as exc:
        error = exc
    if not _all_processes_ok(accelerator, error is None):
        if accelerator.is_main_process:
            shutil.rmtree(temporary, ignore_errors=True)
            logger.error(
                "could not write checkpoint %s (%s); training goes on and the earlier checkpoints are kept. "
                "Free disk space in %s before the next checkpoint.",
                final,
                error or "failed on another process",
                folder,
            )
        return None
    if accelerator.is_main_process:
        if final.exists():  # saved again at the same step (e.g. at the end of a resumed run)
            shutil.rmtree(final)
        os.replace(temporary, final)
        if total_limit is not None:
            for old in list_checkpoints(folder)[:-total_limit]:
                shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def read_checkpoint_state(checkpoint: str | os.PathLike) -> dict[str, Any]:
    """The step and architecture stored with a checkpoint; a clear error for a folder that is not one."""
    path = Path(checkpoint) / STATE_FILE
    if not path.is_file():
        raise Pix2PixHubError(
            f"{checkpoint}: not a complete training checkpoint (no {STATE_FILE}). Give a checkpoint-<step> folder "
            "under OUTPUT_DIR/checkpoints, or 'latest'."
        )
    return json.loads(path.read_text())


def check_architecture(checkpoint: str | os.PathLike, state: dict[str, Any], expected: dict[str, Any]) -> None:
    """Refuse to resume from a checkpoint of another architecture, naming the settings that differ."""
    differences = []
    for model in sorted(set(state) | set(expected)):
        saved, wanted = state.get(model) or {}, expected.get(model) or {}
        for key in sorted(set(saved) | set(wanted)):
            if saved.get(key) != wanted.get(key):
                differences.append(f"{model}.{key}: checkpoint {saved.get(key)!r}, this run {wanted.get(key)!r}")
    if differences:
        raise Pix2PixHubError(
            f"{checkpoint}: was saved by a run with another architecture ({'; '.join(differences)}). Resume with the "
            "same model flags as that run, or start a new run in another --output_dir."
        )
