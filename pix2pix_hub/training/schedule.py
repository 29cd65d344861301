"""The paper's learning-rate schedule: constant, then linear decay to zero (as the reference's `linear` policy)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LinearDecaySchedule:
    """LambdaLR multiplier of the learning rate at optimizer step `step` (0-based): 1 for the first
    `constant_fraction` of `total_steps`, then falling linearly to 1/(decay steps + 1) on the last step, and 0 after.
    A class rather than a closure so that checkpoints can store it."""

    total_steps: int
    constant_fraction: float = 0.5

    def __call__(self, step: int) -> float:
        start = round(self.total_steps * self.constant_fraction)
        return max(0.0, 1.0 - max(0, step - start + 1) / (self.total_steps - start + 1))
