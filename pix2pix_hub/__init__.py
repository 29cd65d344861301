"""pix2pix_hub: pix2pix (Isola et al., CVPR 2017) as Hugging Face-native models, data, pipeline and CLI.

The public names are imported on first use (PEP 562), so `import pix2pix_hub.tasks` and `pix2pix-hub --help` do
not pay for torch, datasets or torchmetrics.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> the submodule that defines it
_EXPORTS = {
    "TASKS": "tasks",
    "Task": "tasks",
    "get_task": "tasks",
    "Pix2PixHubError": "errors",
    "PairedTransform": "data",
    "export_dataset": "data",
    "load_paired_dataset": "data",
    "open_pairs": "data",
    "PatchGANDiscriminator": "models",
    "Pix2PixGenerator": "models",
    "Pix2PixPipeline": "pipeline",
    "Pix2PixPipelineOutput": "pipeline",
    "RECIPES": "recipes",
    "get_recipe": "recipes",
    "LabelSegmenter": "evaluation.segmenter",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import the submodule holding `name` on first access."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'pix2pix_hub' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
