"""One pix2pix iteration, in the paper's order: G makes a fake, D takes a step, then G takes a step."""

from __future__ import annotations

import torch
from accelerate import Accelerator
from torch import nn

from .losses import Objective, adversarial_loss, discriminator_loss, l1_loss


def set_requires_grad(model: nn.Module, flag: bool) -> None:
    """Freeze D during G's step so its backward computes no weight gradients for D (as the reference does)."""
    for param in model.parameters():
        param.requires_grad_(flag)


def discriminator_condition(condition: torch.Tensor, objective: Objective) -> torch.Tensor:
    """What D sees beside the image: G's input for a cGAN, nothing (zero channels) for an unconditional GAN."""
    return condition if objective.conditional else condition[:, :0]


def discriminator_step(
    accelerator: Accelerator,
    discriminator: nn.Module,
    optimizer: torch.optim.Optimizer,
    condition: torch.Tensor,
    target: torch.Tensor,
    fake: torch.Tensor,
    objective: Objective,
) -> torch.Tensor:
    """Update D on one real and one fake pair (fake detached: this step trains D only); returns D's loss."""
    set_requires_grad(discriminator, True)
    cond = discriminator_condition(condition, objective)
    real_logits = discriminator(cond, target)
    fake_logits = discriminator(cond, fake.detach())
    loss = discriminator_loss(real_logits, fake_logits, objective.gan_mode)
    accelerator.backward(loss)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach()


def generator_step(
    accelerator: Accelerator,
    discriminator: nn.Module | None,
    optimizer: torch.optim.Optimizer,
    condition: torch.Tensor,
    target: torch.Tensor,
    fake: torch.Tensor,
    objective: Objective,
) -> dict[str, torch.Tensor]:
    """Update G on its objective (fool D, plus lambda * L1); returns each term and the total."""
    losses = {}
    if objective.uses_gan:
        # D is frozen and called unwrapped: under DDP a wrapped forward would wait for D gradients that never come.
        frozen_d = accelerator.unwrap_model(discriminator)
        set_requires_grad(frozen_d, False)
        fake_logits = frozen_d(discriminator_condition(condition, objective), fake)
        losses["loss_g_gan"] = adversarial_loss(fake_logits, True, objective.gan_mode)
    if objective.uses_l1:
        losses["loss_g_l1"] = l1_loss(fake, target)
    total = losses.get("loss_g_gan", 0.0) + objective.lambda_l1 * losses.get("loss_g_l1", 0.0)
    accelerator.backward(total)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return {**{k: v.detach() for k, v in losses.items()}, "loss_g": total.detach()}


def make_optimizer(params, lr: float, betas: tuple[float, float], device: torch.device) -> torch.optim.Adam:
    """The paper's Adam, with torch's fused kernel where the device has one: a single pass over the weights instead
    of a dozen, which matters on CPU where the optimizer step is memory-bound."""
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=device.type in ("cpu", "cuda"))
