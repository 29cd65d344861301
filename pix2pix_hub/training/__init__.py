"""Training building blocks used by `train/train.py`: losses, the D and G steps, data, checkpoints, metrics, card."""

from .checkpoints import latest_checkpoint, list_checkpoints, save_checkpoint
from .losses import OBJECTIVES, Objective, adversarial_loss, discriminator_loss, l1_loss
from .metrics import evaluate_generator
from .steps import discriminator_step, generator_step

__all__ = [
    "OBJECTIVES",
    "Objective",
    "adversarial_loss",
    "discriminator_loss",
    "discriminator_step",
    "evaluate_generator",
    "generator_step",
    "l1_loss",
    "latest_checkpoint",
    "list_checkpoints",
    "save_checkpoint",
]
