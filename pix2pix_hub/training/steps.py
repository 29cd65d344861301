"""One pix2pix iteration, in the paper's order: G makes a fake, D takes a step, then G takes a step."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from accelerate import Accelerator
from torch import nn

from .diffaugment import AdaptiveProbability, diff_augment
from .losses import Objective, adversarial_loss, discriminator_loss, l1_loss


@dataclass
class DiscriminatorRemedies:
    """Data-efficient GAN training switches (all off by default, the paper's recipe): DiffAugment `policy` before
    D with a fixed `probability` or an ADA controller, an R1 penalty on real pairs every `r1_interval` D steps
    (lazy, as StyleGAN2) and pix2pixHD's feature-matching term in G's loss; `freeze_generator` trains D alone."""

    policy: tuple[str, ...] = ()
    probability: float = 1.0
    adaptive: AdaptiveProbability | None = None
    r1_gamma: float = 0.0
    r1_interval: int = 16
    feature_matching: float = 0.0
    freeze_generator: bool = False

    @property
    def augment_probability(self) -> float:
        return self.adaptive.probability if self.adaptive is not None else self.probability

    def augment(self, condition: torch.Tensor, *images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return diff_augment(condition, *images, policy=self.policy, probability=self.augment_probability)


NO_REMEDIES = DiscriminatorRemedies()


def r1_penalty(discriminator: nn.Module, condition: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean squared norm of D's gradient at the real pairs (Mescheder et al. 2018), w.r.t. the image half."""
    real = real.detach().requires_grad_(True)
    logits = discriminator(condition.detach(), real)
    (grad,) = torch.autograd.grad(logits.float().sum(), real, create_graph=True)
    return grad.float().pow(2).sum(dim=(1, 2, 3)).mean()


def feature_matching_loss(fake_features: list[torch.Tensor], real_features: list[torch.Tensor]) -> torch.Tensor:
    """Mean L1 distance between D's intermediate activations on the fake and the real pair (logits excluded)."""
    terms = [
        torch.nn.functional.l1_loss(f, r.detach()) for f, r in zip(fake_features[:-1], real_features[:-1], strict=True)
    ]
    return torch.stack(terms).mean()


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
    remedies: DiscriminatorRemedies = NO_REMEDIES,
    step: int = 0,
) -> dict[str, torch.Tensor]:
    """Update D on one real and one fake pair (fake detached: this step trains D only), each augmented by
    `remedies`, plus its R1 penalty on `step`s that take it; returns D's loss (and the penalty)."""
    set_requires_grad(discriminator, True)
    cond = discriminator_condition(condition, objective)
    cond_real, real = remedies.augment(cond, target)
    cond_fake, fake_seen = remedies.augment(cond, fake.detach())
    real_logits = discriminator(cond_real, real)
    fake_logits = discriminator(cond_fake, fake_seen)
    loss = discriminator_loss(real_logits, fake_logits, objective.gan_mode)
    losses = {"loss_d": loss.detach()}
    if remedies.r1_gamma and step % remedies.r1_interval == 0:
        penalty = r1_penalty(discriminator, cond_real, real)
        losses["loss_d_r1"] = penalty.detach()
        loss = loss + 0.5 * remedies.r1_gamma * remedies.r1_interval * penalty
    if remedies.adaptive is not None:
        remedies.adaptive.observe(real_logits, 0.5 if objective.gan_mode == "lsgan" else 0.0, target.shape[0])
    accelerator.backward(loss)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return losses


def generator_step(
    accelerator: Accelerator,
    discriminator: nn.Module | None,
    optimizer: torch.optim.Optimizer,
    condition: torch.Tensor,
    target: torch.Tensor,
    fake: torch.Tensor,
    objective: Objective,
    remedies: DiscriminatorRemedies = NO_REMEDIES,
) -> dict[str, torch.Tensor]:
    """Update G on its objective (fool D, plus lambda * L1, plus feature matching if asked), D seeing the pair
    augmented as in its own step; returns each term and the total."""
    losses = {}
    total = 0.0
    if objective.uses_gan:
        # D is frozen and called unwrapped: under DDP a wrapped forward would wait for D gradients that never come.
        frozen_d = accelerator.unwrap_model(discriminator)
        set_requires_grad(frozen_d, False)
        cond = discriminator_condition(condition, objective)
        if remedies.feature_matching:
            cond_seen, fake_seen, real_seen = remedies.augment(cond, fake, target)
            fake_features = frozen_d.features(cond_seen, fake_seen)
            with torch.no_grad():
                real_features = frozen_d.features(cond_seen, real_seen)
            fake_logits = fake_features[-1]
            losses["loss_g_fm"] = feature_matching_loss(fake_features, real_features)
            total = remedies.feature_matching * losses["loss_g_fm"]
        else:
            fake_logits = frozen_d(*remedies.augment(cond, fake))
        losses["loss_g_gan"] = adversarial_loss(fake_logits, True, objective.gan_mode)
        total = total + losses["loss_g_gan"]
    if objective.uses_l1:
        losses["loss_g_l1"] = l1_loss(fake, target, objective.l1_scale, objective.l1_chroma_weight)
        total = total + objective.lambda_l1 * losses["loss_g_l1"]
    accelerator.backward(total)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return {**{k: v.detach() for k, v in losses.items()}, "loss_g": total.detach()}


def make_optimizer(params, lr: float, betas: tuple[float, float], device: torch.device) -> torch.optim.Adam:
    """The paper's Adam, with torch's fused kernel where the device has one: a single pass over the weights instead
    of a dozen, which matters on CPU where the optimizer step is memory-bound."""
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=device.type in ("cpu", "cuda"))
