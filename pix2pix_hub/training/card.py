"""The trained model's card: a training section (model_cards/training_section.md) added to the model card, and a
sample grid made on drawn inputs, never dataset images."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import jinja2
import torch
from huggingface_hub import EvalResult
from PIL import Image

from ..drawing import draw_scene
from ..input_kinds import draw_input
from ..metadata import LICENSE, REPO_URL
from ..models import PatchGANDiscriminator, Pix2PixGenerator
from ..pipeline import Pix2PixPipeline, image_grid
from ..tasks import Task
from .metrics import METRIC_DESCRIPTIONS

TRAINING_SECTION_TEMPLATE = Path(__file__).resolve().parent.parent / "model_cards" / "training_section.md"
SAMPLES_FILE = "samples.png"


def hardware_description(device: torch.device, num_processes: int, num_threads: int) -> str:
    """E.g. 'NVIDIA H100 80GB HBM3 x 1' or 'AMD EPYC (2 CPU threads per process) x 1 process'."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} x {num_processes}"
    cpu = platform.processor() or platform.machine()
    if os.path.isfile("/proc/cpuinfo"):
        names = [line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return f"{cpu} CPU ({num_threads} threads per process) x {num_processes} process(es)"


def format_duration(seconds: float) -> str:
    hours, rest = divmod(int(round(seconds)), 3600)
    return f"{hours}h {rest // 60:02d}m {rest % 60:02d}s" if hours else f"{rest // 60}m {rest % 60:02d}s"


def sample_grid(generator: Pix2PixGenerator, task: Task | None, size: int, count: int = 4) -> Image.Image:
    """Rows of (drawn input, output) for the task's input kind; the generator runs in deterministic mode."""
    inputs = [draw_input(task.name, size, seed) if task else draw_scene(size, seed) for seed in range(count)]
    was_training = generator.training
    outputs = Pix2PixPipeline(generator, device=next(generator.parameters()).device, precision="fp32")(inputs)
    generator.train(was_training)
    return image_grid([[inp.convert("RGB"), out] for inp, out in zip(inputs, outputs, strict=True)])


def describe_generator(generator: Pix2PixGenerator) -> str:
    kind = "U-Net" if generator.skip_connections else "encoder-decoder (no skips)"
    config = generator._hub_mixin_config
    return f"{kind}, ngf {config['ngf']}, {generator.num_downs} levels, {config['norm']} norm"


def describe_discriminator(discriminator: PatchGANDiscriminator | None) -> str:
    if discriminator is None:
        return "none (L1 only)"
    config = discriminator._hub_mixin_config
    rf = discriminator.receptive_field
    return f"{rf}x{rf} PatchGAN, ndf {config['ndf']}, {config['norm']} norm"


def training_section(facts: dict[str, Any]) -> str:
    """Render the training section of the card from the run's facts."""
    template = jinja2.Template(TRAINING_SECTION_TEMPLATE.read_text(), undefined=jinja2.StrictUndefined)
    return template.render(repo_url=REPO_URL, license=LICENSE, metric_descriptions=METRIC_DESCRIPTIONS, **facts)


def write_model_cards(
    output_dir: str | os.PathLike,
    generator: Pix2PixGenerator,
    discriminator: PatchGANDiscriminator | None,
    facts: dict[str, Any],
    repo_id: str | None = None,
) -> None:
    """Write OUTPUT_DIR/README.md (generator card with the training section and metrics in its metadata) and
    OUTPUT_DIR/discriminator/README.md."""
    output_dir = Path(output_dir)
    task = facts.get("task")
    title = f"pix2pix {task.name}" if task is not None else "pix2pix generator"
    summary = (
        f"{task.description}. " if task is not None else ""
    ) + f"A pix2pix generator trained on `{facts['dataset']}` with pix2pix_hub."
    card = generator.generate_model_card(
        title=title,
        summary=summary,
        repo_id=repo_id,
        extra_sections=training_section(
            {
                **facts,
                "generator_text": describe_generator(generator),
                "discriminator_text": describe_discriminator(discriminator),
                "min_input_size": generator.min_input_size,
                "samples_file": SAMPLES_FILE,
            }
        ),
    )
    metrics = facts.get("metrics")
    if metrics:
        dataset_name = Path(str(facts["dataset"])).name
        card.data.model_name = repo_id or title
        card.data.eval_results = [
            EvalResult(
                task_type="image-to-image",
                dataset_type=dataset_name if os.path.exists(str(facts["dataset"])) else str(facts["dataset"]),
                dataset_name=dataset_name,
                dataset_split=facts["validation_split"],
                metric_type=name,
                metric_value=round(float(metrics[name]), 4),
            )
            for name in METRIC_DESCRIPTIONS
            if name in metrics
        ]
    card.save(output_dir / "README.md")
    if discriminator is not None:
        discriminator.generate_model_card(
            title=f"{title} (discriminator)",
            summary="The PatchGAN discriminator trained with the generator in the parent folder; only needed to "
            "continue training or to study the GAN.",
        ).save(output_dir / "discriminator" / "README.md")
