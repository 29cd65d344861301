"""The trained model's card: a training section (the top-level model_cards/training_section.md) added to the model card, and a
sample grid made on drawn inputs, never dataset images."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import jinja2
import torch
from huggingface_hub import EvalResult, ModelCard
from PIL import Image

from ..card_files import card_template
from ..drawing import draw_scene
from ..errors import Pix2PixHubError
from ..evaluation.metrics import METRIC_DESCRIPTIONS
from ..images import image_grid
from ..input_kinds import draw_input
from ..metadata import LICENSE, REPO_URL
from ..models import PatchGANDiscriminator, Pix2PixGenerator
from ..paired_datasets import DATASETS, eval_split_of
from ..pipeline import Pix2PixPipeline
from ..tasks import TASKS, Task, get_task
from .schedule import format_epochs

SAMPLES_FILE = "samples.png"
#: the facts a run's card is rendered from, in OUTPUT_DIR/logs/
FACTS_FILE = "card_facts.json"


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
    outputs = Pix2PixPipeline(generator, device=next(generator.parameters()).device, precision="fp32", backend="torch")(
        inputs
    ).images
    generator.train(was_training)
    return image_grid([[inp.convert("RGB"), out] for inp, out in zip(inputs, outputs, strict=True)])


def describe_generator(generator: Pix2PixGenerator) -> str:
    kind = "U-Net" if generator.skip_connections else "encoder-decoder (no skips)"
    config = generator._hub_mixin_config
    decoder = f"{'resize' if config.get('upsampling') == 'resize' else 'transposed'}-convolution decoder"
    if generator.subpixel_levels:
        decoder += f" (outermost {generator.subpixel_levels} sub-pixel)"
    if generator.input_skip is not None:
        decoder += " with an input skip"
    return f"{kind}, ngf {config['ngf']}, {generator.num_downs} levels, {config['norm']} norm, {decoder}"


def describe_discriminator(discriminator: PatchGANDiscriminator | None) -> str:
    if discriminator is None:
        return "none (L1 only)"
    config = discriminator._hub_mixin_config
    rf = discriminator.receptive_field
    return f"{rf}x{rf} PatchGAN, ndf {config['ndf']}, {config['norm']} norm"


def images_per_step(args: dict[str, Any], num_processes: int) -> int:
    """Training images per optimizer step: the batch on each process, times processes and accumulated batches."""
    return args["batch_size"] * num_processes * args["gradient_accumulation_steps"]


def training_facts(
    args: dict[str, Any],
    *,
    task: Task | None,
    dataset: str,
    direction: str,
    num_train: int,
    objective_text: str,
    global_step: int,
    steps_per_epoch: int,
    num_processes: int,
    wall_time_s: float,
    schedule_text: str,
    hardware: str,
    mixed_precision: str,
    skipped_pairs: int,
    metrics: dict[str, float] | None,
    validation_split: str | None,
) -> dict[str, Any]:
    """The facts of a finished run that its card states, JSON-ready (the task by name, the arguments as given)."""
    return {
        "task": task.name if task is not None else None,
        "task_note": f"{task.output_kind} from {task.input_kind}" if task is not None else "",
        "dataset": str(args["dataset"] or dataset),
        "train_split": args["train_split"],
        "num_train": num_train,
        "direction": direction,
        "objective_text": objective_text,
        "global_step": global_step,
        "epochs": format_epochs(global_step / steps_per_epoch),
        "images_per_step": images_per_step(args, num_processes),
        "num_processes": num_processes,
        "wall_time": format_duration(wall_time_s),
        "schedule_text": schedule_text,
        "hardware": hardware,
        "mixed_precision": mixed_precision,
        "skipped_pairs": skipped_pairs,
        "metrics": metrics,
        "validation_split": validation_split,
        "remedies_text": describe_remedies(args),
        "arguments": args,
    }


def describe_remedies(args: dict[str, Any]) -> str:
    """The run's data-efficient GAN switches and warm start in words, '' for the paper's plain recipe."""
    parts = []
    if args.get("diffaugment"):
        probability = f"ADA target {args['ada_target']}" if args.get("ada_target") is not None else None
        probability = probability or f"p {args.get('diffaugment_p', 1.0):g}"
        parts.append(f"DiffAugment {args['diffaugment']} before D ({probability})")
    if args.get("feature_matching"):
        parts.append(f"D feature matching x {args['feature_matching']:g}")
    if args.get("spectral_norm"):
        parts.append("spectral normalisation in D")
    if args.get("r1_gamma"):
        parts.append(f"R1 penalty gamma {args['r1_gamma']:g} every {args.get('r1_interval', 16)} D steps")
    if args.get("learning_rate_d") is not None:
        parts.append(f"D learning rate {args['learning_rate_d']:g}")
    if args.get("init_from"):
        parts.append(f"started from `{args['init_from']}`")
    if args.get("freeze_generator"):
        parts.append("generator frozen: the discriminator alone was trained")
    return "; ".join(parts)


def card_facts(
    generator: Pix2PixGenerator, discriminator: PatchGANDiscriminator | None, facts: dict[str, Any]
) -> dict[str, Any]:
    """A run's facts (`training_facts`) with the models' descriptions: everything its card is rendered from."""
    return {
        **facts,
        "generator_text": describe_generator(generator),
        "discriminator_text": describe_discriminator(discriminator),
        "min_input_size": generator.min_input_size,
        "samples_file": SAMPLES_FILE,
    }


def read_card_facts(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The facts a train.py run rendered its card from (OUTPUT_DIR/logs/card_facts.json)."""
    path = Path(run_dir) / "logs" / FACTS_FILE
    if not path.is_file():
        raise Pix2PixHubError(
            f"{path} is missing: the run predates it. Rerun its train.py command with --resume_from_checkpoint "
            "latest (train/zoo/train_task.sh TASK does): it resumes at the final checkpoint and rewrites the folder."
        )
    return json.loads(path.read_text())


def training_section(facts: dict[str, Any], omit_empty_validation: bool = False) -> str:
    """The card's training section from the run's facts (`card_facts`); `omit_empty_validation` leaves out the
    validation heading of a run without validation (the zoo card has its own evaluation)."""
    template = jinja2.Template(card_template("training_section.md"), undefined=jinja2.StrictUndefined)
    return template.render(
        repo_url=REPO_URL,
        license=LICENSE,
        metric_descriptions=METRIC_DESCRIPTIONS,
        omit_empty_validation=omit_empty_validation,
        # runs from before the remedies existed have no remedies_text in their card_facts.json
        **{"remedies_text": "", **facts, "task": get_task(facts["task"]) if facts["task"] else None},
    )


def card_title(facts: dict[str, Any]) -> str:
    return f"pix2pix {facts['task']}" if facts["task"] else "pix2pix generator"


def generator_card(
    generator: Pix2PixGenerator,
    facts: dict[str, Any],
    repo_id: str | None = None,
    zoo_sections: str = "",
    pipeline_task: str | None = None,
) -> ModelCard:
    """The generator's card rendered once from the run's facts (`card_facts`): the model card template with the zoo
    sections (if any) before the training section, and the validation metrics in its metadata."""
    task = get_task(facts["task"]) if facts["task"] else None
    summary = (
        f"{task.description}. " if task is not None else ""
    ) + f"A pix2pix generator trained on `{facts['dataset']}` with pix2pix_hub."
    card = generator.generate_model_card(
        title=card_title(facts),
        summary=summary,
        repo_id=repo_id,
        pipeline_task=pipeline_task,
        extra_sections=zoo_sections + training_section(facts, omit_empty_validation=bool(zoo_sections)),
    )
    card.data.datasets = card_datasets(facts) or None
    card.data.base_model = base_model_of(facts["arguments"].get("init_from"), repo_id)
    metrics = facts.get("metrics")
    datasets = card_datasets(facts)
    from_task = facts["arguments"].get("dataset") is None and facts["task"]
    # the metadata's results name one dataset: a validation over several of a task's datasets stays in the card text
    if metrics and not (from_task and len(datasets) != 1):
        dataset_name = Path(str(facts["dataset"])).name
        dataset_type = dataset_name if os.path.exists(str(facts["dataset"])) else str(facts["dataset"])
        split = facts["validation_split"]
        if from_task:
            dataset_type, split = datasets[0], eval_split_of(get_task(facts["task"]).datasets[0])
        card.data.model_name = repo_id or card_title(facts)
        card.data.eval_results = [
            EvalResult(
                task_type="image-to-image",
                dataset_type=dataset_type,
                dataset_name=dataset_name,
                dataset_split=split,
                metric_type=name,
                metric_value=round(float(metrics[name]), 4),
            )
            for name in METRIC_DESCRIPTIONS
            if name in metrics
        ]
    return card


def card_datasets(facts: dict[str, Any]) -> list[str]:
    """The Hub datasets a run trained on, for the card's `datasets:`: the task's own datasets (their project repos,
    `PairedDataset.hub_id`) when it read them, a registry dataset by name, or a Hub dataset id; none for a local
    folder the Hub does not know."""
    dataset = facts["arguments"].get("dataset")
    if dataset is None and facts["task"]:
        return [DATASETS[name].hub_id for name in get_task(facts["task"]).datasets if name in DATASETS]
    if dataset in DATASETS:
        return [DATASETS[dataset].hub_id]
    if dataset and "/" in str(dataset) and not os.path.exists(str(dataset)):
        return [str(dataset)]
    return []


def base_model_of(init_from: str | None, repo_id: str | None) -> str | None:
    """The Hub model a fine-tuned run started from (`--init_from` a zoo task, `model_zoo/<task>` or a Hub repo id),
    for the card's `base_model:`; None for a fresh start, a local folder, or a continuation of the same repo's model
    (the zoo's v3 models continue their own v2)."""
    if not init_from:
        return None
    path = Path(init_from)
    name = path.name if path.parent.name == "model_zoo" else init_from
    if name in TASKS:
        base = TASKS[name].hub_repo_id
    elif "/" in init_from and not path.exists():
        base = init_from
    else:
        return None
    return None if base == repo_id else base


def write_model_cards(
    output_dir: str | os.PathLike,
    generator: Pix2PixGenerator,
    discriminator: PatchGANDiscriminator | None,
    facts: dict[str, Any],
    repo_id: str | None = None,
) -> None:
    """Write OUTPUT_DIR/README.md (generator card with the training section and metrics in its metadata),
    OUTPUT_DIR/discriminator/README.md, and the facts they were rendered from to OUTPUT_DIR/logs/card_facts.json
    (the zoo export renders its card from them)."""
    output_dir = Path(output_dir)
    facts = card_facts(generator, discriminator, facts)
    (output_dir / "logs").mkdir(parents=True, exist_ok=True)
    (output_dir / "logs" / FACTS_FILE).write_text(json.dumps(facts, indent=2, default=str) + "\n")
    generator_card(generator, facts, repo_id).save(output_dir / "README.md")
    if discriminator is not None:
        discriminator.generate_model_card(
            title=f"{card_title(facts)} (discriminator)",
            summary="The PatchGAN discriminator trained with the generator in the parent folder; only needed to "
            "continue training or to study the GAN.",
        ).save(output_dir / "discriminator" / "README.md")
