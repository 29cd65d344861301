"""The pix2pix networks as Hub-native modules."""

from .discriminator import PatchGANDiscriminator
from .generator import Pix2PixGenerator
from .hub_model import Pix2PixHubModel

__all__ = ["PatchGANDiscriminator", "Pix2PixGenerator", "Pix2PixHubModel"]
