"""The paper's learning-rate schedule: constant, then linear decay to zero (as the reference's `linear` policy).

The rate is a pure function of the optimizer step (`get_lr`), so a resumed run needs no scheduler state: it sets the
rate of each step from the step number, exactly as the uninterrupted run did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class LinearDecaySchedule:
    """Multiplier of the learning rate at optimizer step `step` (0-based): 1 for the first `constant_fraction` of
    `total_steps`, then falling linearly to 1/(decay steps + 1) on the last step, and 0 after."""

    total_steps: int
    constant_fraction: float = 0.5

    @property
    def constant_steps(self) -> int:
        return round(self.total_steps * self.constant_fraction)

    def __call__(self, step: int) -> float:
        start = self.constant_steps
        return max(0.0, 1.0 - max(0, step - start + 1) / (self.total_steps - start + 1))


@dataclass(frozen=True)
class RunSchedule:
    """A run's whole schedule: base rate, shape and epoch length; stored in checkpoints and described in the card."""

    learning_rate: float
    total_steps: int
    constant_fraction: float
    steps_per_epoch: int

    @property
    def shape(self) -> LinearDecaySchedule:
        return LinearDecaySchedule(self.total_steps, self.constant_fraction)

    def get_lr(self, step: int) -> float:
        """The learning rate of optimizer step `step` (0-based)."""
        return self.learning_rate * self.shape(step)

    def describe(self) -> str:
        """E.g. 'lr 0.0002, constant for 8 steps (1.33 epochs), then linear to zero over 8 steps (1.33 epochs)'."""
        constant = self.shape.constant_steps
        decay = self.total_steps - constant
        return (
            f"lr {self.learning_rate:g}, constant for {constant} steps ({format_epochs(constant / self.steps_per_epoch)}"
            f" epochs), then linear to zero over {decay} steps ({format_epochs(decay / self.steps_per_epoch)} epochs)"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSchedule:
        return cls(
            **{key: data[key] for key in ("learning_rate", "total_steps", "constant_fraction", "steps_per_epoch")}
        )


def set_learning_rate(optimizers: Iterable[torch.optim.Optimizer], learning_rate: float) -> None:
    """Give every parameter group of `optimizers` this rate (before their step), times the group's `lr_scale`."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate * group.get("lr_scale", 1.0)


def format_epochs(epochs: float) -> str:
    """Epochs with three significant digits and no false rounding: 0.05, 2.67, 200."""
    return f"{epochs:.3g}" if epochs < 1000 else f"{epochs:.0f}"
