"""Checks a training run makes before its first step, so that nothing it needs fails only at the end: the output
folder is writable and, when pushing, the Hub is reachable and the repo can be created."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from ..errors import Pix2PixHubError
from ..tasks import Task


def hub_repo_id(hub_model_id: str | None, task: Task | None, push_to_hub: bool) -> str | None:
    """The repo a run pushes to (and names in its card): --hub_model_id, else the task's zoo repo when pushing."""
    return hub_model_id or (task.hub_repo_id if task is not None and push_to_hub else None)


def check_writable(output_dir: str | os.PathLike) -> None:
    """Create `output_dir` and write and remove a file in it; a clear error when either fails."""
    output_dir = Path(output_dir)
    probe = output_dir / f".write-test-{uuid.uuid4().hex}"
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise Pix2PixHubError(
            f"{output_dir}: the output folder cannot be written ({exc.strerror or exc}). Choose another "
            "--output_dir or fix its permissions; nothing was trained."
        ) from exc


def check_hub_push(repo_id: str, private: bool) -> None:
    """Make sure the run can push at its end: not offline, the Hub answers, and `repo_id` exists or can be created
    with the current token (it is created now, empty, if missing)."""
    from huggingface_hub import HfApi, constants

    if constants.HF_HUB_OFFLINE:
        raise Pix2PixHubError(
            f"--push_to_hub {repo_id}: offline mode is on (HF_HUB_OFFLINE=1), so the run could not push at its end. "
            "Unset HF_HUB_OFFLINE, or train without --push_to_hub and upload OUTPUT_DIR later with `hf upload`; "
            "nothing was trained."
        )
    try:
        HfApi().create_repo(repo_id, private=private, exist_ok=True)
    except Exception as exc:  # noqa: BLE001 - any failure (network, auth, permission) stops the run before it starts
        raise Pix2PixHubError(
            f"--push_to_hub {repo_id}: the repo cannot be created or reached on {constants.ENDPOINT} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). Check the network, log in with "
            "`hf auth login` (or set HF_TOKEN) with write access to that namespace; nothing was trained."
        ) from exc


def preflight(output_dir: str | os.PathLike, repo_id: str | None, push_to_hub: bool, private: bool) -> None:
    """Everything the run needs before its first step."""
    check_writable(output_dir)
    if push_to_hub:
        check_hub_push(repo_id, private)
