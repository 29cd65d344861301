"""pix2pix_hub: pix2pix (Isola et al., CVPR 2017) as Hugging Face-native models, data, pipeline and CLI."""

from .data import PairedTransform, export_dataset, load_paired_dataset, open_pairs
from .errors import Pix2PixHubError
from .models import PatchGANDiscriminator, Pix2PixGenerator
from .pipeline import Pix2PixPipeline
from .tasks import TASKS, Task, get_task

__all__ = [
    "TASKS",
    "LabelSegmenter",
    "PairedTransform",
    "PatchGANDiscriminator",
    "Pix2PixGenerator",
    "Pix2PixHubError",
    "Pix2PixPipeline",
    "Task",
    "export_dataset",
    "get_task",
    "load_paired_dataset",
    "open_pairs",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    """`LabelSegmenter` (the FCN-score network) is imported on first use: evaluation pulls in torchmetrics."""
    if name == "LabelSegmenter":
        from .evaluation.segmenter import LabelSegmenter

        return LabelSegmenter
    raise AttributeError(f"module 'pix2pix_hub' has no attribute {name!r}")
