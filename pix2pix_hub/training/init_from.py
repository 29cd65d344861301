"""Warm start: G and D of a zoo model, a Hub repo or a finished run, for fine-tuning or continuing training."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from huggingface_hub import snapshot_download

from ..errors import Pix2PixHubError
from ..models import PatchGANDiscriminator, Pix2PixGenerator
from ..models.hub_model import DISCRIMINATOR_SUBFOLDER, locate_model

logger = logging.getLogger(__name__)


def model_folder(source: str) -> Path:
    """A local folder holding `source`: itself, a task's bundled zoo folder, or a Hub repo's snapshot (so its
    discriminator/ subfolder comes along)."""
    located = locate_model(source)
    if os.path.isdir(located):
        return Path(located)
    return Path(snapshot_download(located, allow_patterns=["*.json", "*.safetensors", f"{DISCRIMINATOR_SUBFOLDER}/*"]))


def load_initial_models(
    source: str, fresh_discriminator: PatchGANDiscriminator | None
) -> tuple[Pix2PixGenerator, PatchGANDiscriminator | None]:
    """G from `source` and D from its discriminator/ subfolder, in training mode with their saved architectures;
    `fresh_discriminator` (from the flags) where the source has none or the objective has no D."""
    folder = model_folder(source)
    generator = Pix2PixGenerator.from_pretrained(folder).float().train()
    discriminator = fresh_discriminator
    d_folder = folder / DISCRIMINATOR_SUBFOLDER
    if fresh_discriminator is not None and (d_folder / "config.json").is_file():
        discriminator = PatchGANDiscriminator.from_pretrained(d_folder).float().train()
        if discriminator._hub_mixin_config.get("in_channels") != fresh_discriminator._hub_mixin_config.get(
            "in_channels", 6
        ):
            raise Pix2PixHubError(
                f"{d_folder}: its discriminator takes {discriminator._hub_mixin_config['in_channels']} channels, "
                "but this run's objective needs another; drop --init_from or pick the same --objective."
            )
    if fresh_discriminator is None:
        loaded = "G"
    elif discriminator is fresh_discriminator:
        loaded = "G (D starts fresh: none saved there)"
    else:
        loaded = "G and D"
    logger.info("init_from %s: %s loaded from %s; their configs set the architecture", source, loaded, folder)
    return generator, discriminator
