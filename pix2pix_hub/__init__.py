"""pix2pix_hub: pix2pix (Isola et al., CVPR 2017) as Hugging Face-native models, data, pipeline and CLI."""

from .errors import Pix2PixHubError
from .models import PatchGANDiscriminator, Pix2PixGenerator

__all__ = ["PatchGANDiscriminator", "Pix2PixGenerator", "Pix2PixHubError"]
__version__ = "0.1.0"
