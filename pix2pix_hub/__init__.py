"""pix2pix_hub: pix2pix (Isola et al., CVPR 2017) as Hugging Face-native models, data, pipeline and CLI."""

from .data import PairedTransform, export_dataset, load_paired_dataset, open_pairs
from .errors import Pix2PixHubError
from .models import PatchGANDiscriminator, Pix2PixGenerator
from .pipeline import Pix2PixPipeline
from .tasks import TASKS, Task, get_task

__all__ = [
    "TASKS",
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
