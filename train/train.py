"""Train pix2pix (Isola et al., CVPR 2017) on any paired dataset or registry task with Accelerate.

    accelerate launch --num_cpu_threads_per_process 2 train/train.py --task facades-labels2photo --output_dir out
    accelerate launch train/train.py --recipe edges2shoes      # a zoo model's recipe (pix2pix_hub/recipes.py)

OUTPUT_DIR becomes the generator's Hub folder (config.json, model.safetensors, README.md, samples.png), with the
discriminator in OUTPUT_DIR/discriminator/, checkpoints in OUTPUT_DIR/checkpoints/ and logs in OUTPUT_DIR/logs/.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from accelerate import Accelerator, PartialState
from accelerate.logging import get_logger
from accelerate.utils import DataLoaderConfiguration, ProjectConfiguration, parse_flag_from_env, set_seed
from tqdm.auto import tqdm

from pix2pix_hub.data import PairedTransform, available_splits, is_side_by_side_folder, load_paired_dataset
from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.hardware import bf16_is_fast
from pix2pix_hub.images import image_grid, tensor_to_pil
from pix2pix_hub.input_kinds import get_input_kind, pair_maker_for
from pix2pix_hub.models import PatchGANDiscriminator, Pix2PixGenerator
from pix2pix_hub.paired_datasets import DATASETS
from pix2pix_hub.task_data import describe_sources, load_task_pairs
from pix2pix_hub.tasks import TASKS, Task, find_dataset_dir, get_task, resolve_dataset_source
from pix2pix_hub.training import (
    Objective,
    discriminator_step,
    evaluate_generator,
    generator_step,
    save_checkpoint,
)
from pix2pix_hub.training.allocator import keep_freed_memory
from pix2pix_hub.training.arguments import N_LAYERS_FOR_FIELD, parse_args
from pix2pix_hub.training.card import (
    SAMPLES_FILE,
    hardware_description,
    images_per_step,
    sample_grid,
    training_facts,
    write_model_cards,
)
from pix2pix_hub.training.checkpoints import remove_temporary_checkpoints
from pix2pix_hub.training.data import TrainingPairs, collate_pairs
from pix2pix_hub.training.diffaugment import AdaptiveProbability, parse_policy
from pix2pix_hub.training.fast_paths import (
    FastPaths,
    apply_to_batch,
    apply_to_model,
    resolve_fast_paths,
)
from pix2pix_hub.training.init_from import load_initial_models
from pix2pix_hub.training.path_probe import RunShape, probe_fast_paths
from pix2pix_hub.training.preflight import hub_repo_id, preflight
from pix2pix_hub.training.resume import RunRecord, resume_run
from pix2pix_hub.training.schedule import RunSchedule, set_learning_rate
from pix2pix_hub.training.steps import DiscriminatorRemedies, make_optimizer
from pix2pix_hub.training.summary import startup_summary

logger = get_logger(__name__)

VALIDATION_SPLIT_CANDIDATES = ("val", "validation", "test")
LOG_FILE = "train_log.jsonl"


def resolve_data(args: argparse.Namespace) -> tuple[Task | None, str | None, str]:
    """(task, dataset source, direction) from --task/--dataset/--direction; a task name works as --dataset too. The
    source is None when the task's own datasets are read (`pix2pix_hub.task_data`: every dataset it names, inputs
    made from photos where its kind says so)."""
    task = get_task(args.task) if args.task else None
    dataset = args.dataset
    if task is None and dataset in TASKS:
        task, dataset = TASKS[dataset], None
    if dataset is None:
        if not task.has_data:
            raise Pix2PixHubError(f"task {task.name!r} has no dataset here: {task.note} Pass --dataset.")
        for name in task.datasets:
            find_dataset_dir(name)  # a missing dataset fails here, with where it was looked for
        if args.direction and from_photos(task):
            logger.warning("--direction is not used by %s: its inputs are made from each dataset's photos", task.name)
        return task, None, args.direction or task.direction
    source = str(resolve_dataset_source(dataset))
    registered = DATASETS.get(Path(source).name)
    if args.direction is None and task is not None and from_photos(task) and registered is not None:
        # a registry dataset for a task whose inputs are made from photos: its photo half is the target
        return task, source, registered.photo_direction
    return task, source, args.direction or (task.direction if task else "AtoB")


def from_photos(task: Task) -> bool:
    """Whether the task's inputs are made from photos (colorization, inpainting)."""
    return get_input_kind(task.input_kind).from_photos


def resolve_validation_split(args: argparse.Namespace, task: Task | None, dataset: str | None) -> str | None:
    """The split to validate on ("eval" for a task's own datasets: each one's evaluation split), or None."""
    if args.validation_split == "none":
        return None
    if args.validation_split != "auto":
        return args.validation_split
    if dataset is None:
        return "eval"
    candidates = ((task.eval_split,) if task else ()) + VALIDATION_SPLIT_CANDIDATES
    if is_side_by_side_folder(Path(dataset)):
        present = available_splits(dataset)
        return next((s for s in candidates if s in present and s != args.train_split), None)
    for split in candidates:
        try:
            load_paired_dataset(dataset, split, column_a=args.column_a, column_b=args.column_b)
            return split
        except Pix2PixHubError:
            continue
    return None


def default_num_threads(num_processes: int) -> int:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, available // num_processes)


def build_models(
    args: argparse.Namespace, objective: Objective
) -> tuple[Pix2PixGenerator, PatchGANDiscriminator | None]:
    """G and D from the flags; D sees (input, output) for a cGAN, the output alone for a GAN, and is absent for L1."""
    num_downs = args.num_downs or min(8, int(math.log2(args.crop_size)))
    generator = Pix2PixGenerator(
        ngf=args.ngf,
        num_downs=num_downs,
        norm=args.norm,
        use_dropout=not args.no_dropout,
        skip_connections=args.generator == "unet",
        upsampling=args.upsampling,
    )
    if args.crop_size % generator.min_input_size:
        raise Pix2PixHubError(
            f"--crop_size {args.crop_size} is not a multiple of {generator.min_input_size} (2**num_downs); "
            "lower --num_downs or change --crop_size."
        )
    discriminator = None
    if objective.uses_gan:
        discriminator = PatchGANDiscriminator(
            in_channels=6 if objective.conditional else 3,
            ndf=args.ndf,
            n_layers=N_LAYERS_FOR_FIELD[args.receptive_field],
            norm=args.norm,
            spectral_norm=args.spectral_norm,
        )
    if args.init_from:
        generator, discriminator = load_initial_models(args.init_from, discriminator)
    # the decoder options convert G, fresh or loaded, without changing its outputs
    try:
        generator.use_subpixel(args.subpixel_levels)
    except ValueError as exc:
        source = f" with --init_from {args.init_from}" if args.init_from else ""
        raise Pix2PixHubError(f"--subpixel_levels {args.subpixel_levels}{source}: {exc}") from exc
    if args.input_skip:
        generator.use_input_skip()
    return generator, discriminator


def generator_parameter_groups(generator: Pix2PixGenerator, input_skip_lr_scale: float) -> list[dict[str, Any]]:
    """G's parameters for Adam, the input skip's in a group of their own with `lr_scale` (`set_learning_rate`)."""
    if generator.input_skip is None:
        if input_skip_lr_scale != 1.0:
            raise Pix2PixHubError("--input_skip_lr_scale needs a generator with an input skip: add --input_skip")
        return [{"params": list(generator.parameters())}]
    skip = {id(p) for p in generator.input_skip.parameters()}
    return [
        {"params": [p for p in generator.parameters() if id(p) not in skip]},
        {"params": list(generator.input_skip.parameters()), "lr_scale": input_skip_lr_scale},
    ]


def log_images(accelerator: Accelerator, grid, step: int) -> None:
    """Send an input | output | target grid to the trackers that take images."""
    for tracker in accelerator.trackers:
        if tracker.name == "tensorboard":
            tracker.writer.add_image("validation", np.asarray(grid), step, dataformats="HWC")
        elif tracker.name == "wandb":
            import wandb

            tracker.log({"validation": wandb.Image(grid)}, step=step)


def validate(accelerator, generator, ema, validation_data, args, step: int) -> dict[str, float]:
    """Metrics (logged and returned) and an image grid of the first pairs; main process only."""
    model = accelerator.unwrap_model(generator)
    if ema is not None:
        ema.store(model.parameters())
        ema.copy_to(model.parameters())
    loader = torch.utils.data.DataLoader(
        validation_data,
        batch_size=args.batch_size,
        generator=torch.Generator(),  # leave the global RNG alone
    )
    metrics = evaluate_generator(model, loader, accelerator.device)
    first = [validation_data[i] for i in range(min(4, len(validation_data)))]
    inputs = torch.stack([row["input"] for row in first])
    with torch.no_grad():
        model.eval()
        outputs = model(inputs.to(accelerator.device)).float().cpu()
        model.train()
    if ema is not None:
        ema.restore(model.parameters())
    rows = [
        [tensor_to_pil(r["input"]), tensor_to_pil(out), tensor_to_pil(r["target"])]
        for r, out in zip(first, outputs, strict=True)
    ]
    log_images(accelerator, image_grid(rows), step)
    accelerator.log({f"val/{k}": v for k, v in metrics.items() if k != "num_images"}, step=step)
    logger.info("step %d validation: %s", step, {k: round(v, 4) for k, v in metrics.items()})
    return metrics


def planned_steps(args: argparse.Namespace, num_pairs: int, num_processes: int) -> int:
    """The run's optimizer steps: --max_train_steps, else the epochs' steps over `num_pairs` pairs."""
    if args.max_train_steps:
        return args.max_train_steps
    batches = math.ceil(num_pairs / (args.batch_size * num_processes))
    return (args.n_epochs + args.n_epochs_decay) * math.ceil(batches / args.gradient_accumulation_steps)


def choose_fast_paths(args: argparse.Namespace, objective: Objective, steps: int, num_processes: int) -> FastPaths:
    """The run's fast paths; on one CPU process 'auto' takes the fastest measured for this configuration (timed once
    per machine and stored, pix2pix_hub.training.path_probe)."""
    probe = None
    if num_processes == 1:
        generator, discriminator = build_models(args, objective)
        config = {name: getattr(m, "_hub_mixin_config", None) for name, m in (("G", generator), ("D", discriminator))}
        config.update(objective=vars(objective), num_processes=num_processes)
        shape = RunShape(
            build=lambda: build_models(args, objective),
            batch_shape=(args.batch_size, 3, args.crop_size, args.crop_size),
            objective=objective,
            steps=steps,
            config=config,
        )
        probe = functools.partial(probe_fast_paths, shape)
    return resolve_fast_paths(
        args.mixed_precision, args.channels_last, args.compile, probe=probe, matmul_convs=args.matmul_convs
    )


def make_accelerator(args: argparse.Namespace, output_dir: Path, fast: FastPaths) -> Accelerator:
    """The accelerator on the run's fast paths, with everything seeded."""
    accelerator = Accelerator(
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        mixed_precision=fast.mixed_precision,
        dynamo_backend="inductor" if fast.compile else None,
        log_with=None if args.report_to == "none" else args.report_to,
        project_config=ProjectConfiguration(project_dir=str(output_dir), logging_dir=str(output_dir / "logs")),
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True, data_seed=args.seed),
    )
    if accelerator.mixed_precision == "bf16" and not bf16_is_fast(accelerator.device):
        logger.warning(
            "bf16 is emulated on this %s and much slower than fp32; use --mixed_precision auto", accelerator.device
        )
    logger.info("fast paths: %s", fast.describe())
    set_seed(args.seed)  # after the probe, which drew weights from the global RNG
    return accelerator


def load_data(
    args: argparse.Namespace, task: Task | None, dataset: str | None, direction: str, num_processes: int
) -> tuple[TrainingPairs, torch.utils.data.DataLoader, str | None, Any]:
    """The training pairs (decoded lazily; jitter and bad-file skipping in TrainingPairs) and their loader, the
    validation split and its pairs (None when there is no validation)."""
    load_kwargs = {"direction": direction, "column_a": args.column_a, "column_b": args.column_b}
    if dataset is None:
        pairs = load_task_pairs(task, args.train_split, skip_bad=True, direction=direction)
    else:
        pairs = load_paired_dataset(dataset, args.train_split, source_b=args.dataset_b, skip_bad=True, **load_kwargs)
    jitter = PairedTransform(args.load_size, args.crop_size, flip=not args.no_flip)
    train_dataset = TrainingPairs(
        pairs, jitter, seed=args.seed, make_pair=pair_maker_for(task), cache_decoded=not args.no_data_cache
    )
    train_dataloader = torch.utils.data.DataLoader(
        train_dataset,
        batch_size=args.batch_size,
        shuffle=True,
        drop_last=len(train_dataset) >= args.batch_size * num_processes,
        num_workers=args.num_workers,
        collate_fn=collate_pairs,
        # its own generator: creating an iterator must not draw from the global RNG that dropout uses, or a
        # resumed run (which creates one more iterator) would get different dropout masks
        generator=torch.Generator().manual_seed(args.seed),
    )
    validation_split = None if args.dataset_b else resolve_validation_split(args, task, dataset)
    validation_data = None
    if validation_split is not None:
        evaluation = PairedTransform(args.load_size, args.crop_size, train=False)
        if dataset is None:
            validation_data = load_task_pairs(
                task, validation_split, transform=evaluation, direction=direction, evaluation=True
            )
        else:
            validation_data = load_paired_dataset(dataset, validation_split, transform=evaluation, **load_kwargs)
        if args.max_validation_samples and dataset is None:  # in turn from each of the task's datasets
            validation_data = validation_data.head(args.max_validation_samples)
        elif args.max_validation_samples:
            validation_data = validation_data.select(range(min(args.max_validation_samples, len(validation_data))))
    return train_dataset, train_dataloader, validation_split, validation_data


def prepare_models(
    args: argparse.Namespace, objective: Objective, accelerator: Accelerator, fast: FastPaths, train_dataloader
) -> tuple[list[torch.nn.Module], list[torch.optim.Optimizer], Any, Any, dict[str, Any]]:
    """The generator (and discriminator), their optimizers, the EMA of the generator (or None) and the data loader,
    prepared by the accelerator; with the architecture a checkpoint records."""
    generator, discriminator = build_models(args, objective)
    architecture = {
        "generator": generator._hub_mixin_config,
        "discriminator": discriminator._hub_mixin_config if discriminator else None,
    }
    if accelerator.num_processes > 1 and accelerator.device.type == "cuda" and args.norm == "batch":
        generator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(generator)
        if discriminator is not None:
            discriminator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(discriminator)
    groups = [generator_parameter_groups(generator, args.input_skip_lr_scale)]
    groups += [discriminator.parameters()] if discriminator is not None else []
    models = [apply_to_model(m, fast) for m in (generator, discriminator) if m is not None]

    betas = (args.adam_beta1, args.adam_beta2)
    optimizers = [make_optimizer(params, args.learning_rate, betas, accelerator.device) for params in groups]
    ema = None
    if args.use_ema:
        from diffusers.training_utils import EMAModel

        ema = EMAModel(generator.parameters(), decay=args.ema_decay)

    prepared = accelerator.prepare(*models, *optimizers, train_dataloader)
    models, optimizers, train_dataloader = list(prepared[: len(models)]), list(prepared[len(models) : -1]), prepared[-1]
    if ema is not None:
        ema.to(accelerator.device)
        accelerator.register_for_checkpointing(ema)
    return models, optimizers, ema, train_dataloader, architecture


def make_remedies(args: argparse.Namespace, accelerator: Accelerator) -> DiscriminatorRemedies:
    """The data-efficient GAN switches of the run; an ADA controller is checkpointed with it."""
    adaptive = None
    if args.ada_target is not None:
        adaptive = AdaptiveProbability(target=args.ada_target)
        accelerator.register_for_checkpointing(adaptive)
    return DiscriminatorRemedies(
        policy=parse_policy(args.diffaugment),
        probability=args.diffaugment_p,
        adaptive=adaptive,
        r1_gamma=args.r1_gamma,
        r1_interval=args.r1_interval,
        feature_matching=args.feature_matching,
        freeze_generator=args.freeze_generator,
    )


def main(args: argparse.Namespace) -> Path:
    """Train, checkpoint, validate, save the Hub folder and card, and push if asked; returns OUTPUT_DIR."""
    started = time.time()
    task, dataset, direction = resolve_data(args)
    output_dir = Path(args.output_dir or Path("runs") / (task.name if task else Path(dataset).name))
    data_name = dataset if dataset is not None else describe_sources(task)
    # the process state first (what the launcher set up), the Accelerator once the fast paths are chosen
    # ACCELERATE_USE_CPU read as AcceleratorState reads it: several CPU processes then join one gloo group
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("accelerate").setLevel(logging.WARNING)  # one line per saved file is too much
    num_threads = args.num_threads or default_num_threads(state.num_processes)
    torch.set_num_threads(num_threads)
    keep_freed_memory()  # steps re-allocate the same tensors: reuse the memory instead of faulting it in again
    objective = Objective(args.objective, args.lambda_l1, args.gan_mode, args.l1_scale, args.l1_chroma_weight)
    checkpoints_dir = output_dir / "checkpoints"
    log_path = output_dir / "logs" / LOG_FILE
    repo_id = hub_repo_id(args.hub_model_id, task, args.push_to_hub)
    if state.is_main_process:
        preflight(output_dir, repo_id, args.push_to_hub, args.hub_private)
        (output_dir / "logs").mkdir(parents=True, exist_ok=True)
        remove_temporary_checkpoints(checkpoints_dir)

    train_dataset, train_dataloader, validation_split, validation_data = load_data(
        args, task, dataset, direction, state.num_processes
    )
    steps = planned_steps(args, len(train_dataset), state.num_processes)
    fast = choose_fast_paths(args, objective, steps, state.num_processes)
    accelerator = make_accelerator(args, output_dir, fast)
    models, optimizers, ema, train_dataloader, architecture = prepare_models(
        args, objective, accelerator, fast, train_dataloader
    )
    remedies = make_remedies(args, accelerator)
    d_learning_rate_ratio = (args.learning_rate_d or args.learning_rate) / args.learning_rate

    steps_per_epoch = math.ceil(len(train_dataloader) / args.gradient_accumulation_steps)
    total_steps = args.max_train_steps or (args.n_epochs + args.n_epochs_decay) * steps_per_epoch
    num_epochs = math.ceil(total_steps / steps_per_epoch)
    fraction = args.n_epochs / (args.n_epochs + args.n_epochs_decay)
    schedule = RunSchedule(args.learning_rate, total_steps, fraction, steps_per_epoch)
    run_record = RunRecord(architecture, vars(args), schedule, started=started)

    if accelerator.is_main_process:
        config = {k: v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in vars(args).items()}
        accelerator.init_trackers("pix2pix", config=config)

    global_step = 0
    if args.resume_from_checkpoint:
        global_step = resume_run(accelerator, args.resume_from_checkpoint, checkpoints_dir, run_record)
    first_epoch = global_step // steps_per_epoch
    batches_to_skip = (global_step % steps_per_epoch) * args.gradient_accumulation_steps
    if accelerator.is_main_process:
        keep_log_until(log_path, global_step)
        for line in startup_summary(
            task=task,
            dataset=data_name,
            train_split=args.train_split,
            num_pairs=len(train_dataset),
            direction=direction,
            schedule=schedule,
            images_per_step=images_per_step(vars(args), accelerator.num_processes),
            validation_split=validation_split,
            output_dir=output_dir,
            checkpointing_steps=args.checkpointing_steps,
            repo_id=repo_id,
        ):
            logger.info(line)

    skipped: set[str] = set()
    progress = tqdm(total=total_steps, initial=global_step, desc="steps", disable=not accelerator.is_local_main_process)
    # a run resumed from its final checkpoint has no step left: it only writes the model folder
    last_epoch = num_epochs if global_step < total_steps else first_epoch
    for epoch in range(first_epoch, last_epoch):
        train_dataset.set_epoch(epoch)
        loader = train_dataloader
        if epoch == first_epoch and batches_to_skip:
            loader = accelerator.skip_first_batches(train_dataloader, batches_to_skip)
        loader.set_epoch(epoch)
        step_started, step_cpu_started = time.perf_counter(), time.process_time()
        for batch in loader:
            skipped.update(batch["bad"])
            learning_rate = schedule.get_lr(global_step)  # a pure function of the step: resumes need no state
            set_learning_rate(optimizers[:1], learning_rate)
            set_learning_rate(optimizers[1:], learning_rate * d_learning_rate_ratio)
            losses = train_step(accelerator, models, optimizers, objective, batch, fast, remedies, global_step)
            if not accelerator.sync_gradients:
                continue
            if ema is not None:
                ema.step(models[0].parameters())
            global_step += 1
            record = {**{k: v.item() for k, v in losses.items()}, "lr": learning_rate}
            # the step's wall time with its data loading, as the user waits for it, and the CPU time it took (what a
            # busy shared machine distorts least); benchmarks/train_step.py reads both
            record["step_s"] = round(time.perf_counter() - step_started, 4)
            record["step_cpu_s"] = round(time.process_time() - step_cpu_started, 4)
            if remedies.adaptive is not None:
                record["augment_p"] = remedies.adaptive.probability
            log_step(accelerator, progress, log_path, global_step, epoch, record)
            if global_step % args.checkpointing_steps == 0 and global_step < total_steps:
                save_checkpoint(
                    accelerator, checkpoints_dir, global_step, run_record.state(), args.checkpoints_total_limit
                )
            if validation_data is not None and args.validation_steps and global_step % args.validation_steps == 0:
                if accelerator.is_main_process and global_step < total_steps:
                    validate(accelerator, models[0], ema, validation_data, args, global_step)
            step_started, step_cpu_started = time.perf_counter(), time.process_time()
            if global_step >= total_steps:
                break
        if global_step >= total_steps:
            break
    progress.close()

    if (
        save_checkpoint(accelerator, checkpoints_dir, global_step, run_record.state(), args.checkpoints_total_limit)
        is None
    ):
        logger.warning("the final checkpoint could not be written; the model folder is still saved below")
    if accelerator.is_main_process:
        metrics = None
        if validation_data is not None:
            metrics = validate(accelerator, models[0], ema, validation_data, args, global_step)
        facts = training_facts(
            vars(args),
            task=task,
            dataset=data_name,
            direction=direction,
            num_train=len(train_dataset),
            objective_text=objective_description(objective),
            global_step=global_step,
            steps_per_epoch=steps_per_epoch,
            num_processes=accelerator.num_processes,
            wall_time_s=run_record.wall_time(),
            schedule_text=run_record.describe_schedule(global_step),
            hardware=hardware_description(accelerator.device, accelerator.num_processes, num_threads),
            mixed_precision=accelerator.mixed_precision,
            skipped_pairs=len(skipped),
            metrics=metrics,
            validation_split=validation_split,
        )
        save_model_folder(accelerator, output_dir, models, ema, task, facts, args, repo_id)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return output_dir


def train_step(
    accelerator: Accelerator,
    models: list[torch.nn.Module],
    optimizers: list[torch.optim.Optimizer],
    objective: Objective,
    batch: dict[str, Any],
    fast: FastPaths,
    remedies: DiscriminatorRemedies,
    step: int,
) -> dict[str, torch.Tensor]:
    """One update of D (when the objective has one) and G on a batch, under gradient accumulation; returns the
    loss terms as tensors (read only on optimizer steps: each read waits for the device)."""
    generator, discriminator = models[0], (models[1] if len(models) > 1 else None)
    condition, target = apply_to_batch(batch["input"], fast), apply_to_batch(batch["target"], fast)
    with accelerator.accumulate(*models):
        with torch.set_grad_enabled(not remedies.freeze_generator):
            fake = generator(condition)
        losses = {}
        if discriminator is not None:
            losses.update(
                discriminator_step(
                    accelerator, discriminator, optimizers[1], condition, target, fake, objective, remedies, step
                )
            )
        if not remedies.freeze_generator:
            losses.update(
                generator_step(accelerator, discriminator, optimizers[0], condition, target, fake, objective, remedies)
            )
    return losses


def log_step(accelerator: Accelerator, progress: tqdm, log_path: Path, step: int, epoch: int, record: dict) -> None:
    """Show the step's losses and learning rate on the progress bar, the trackers and the JSON-lines log."""
    progress.update(1)
    progress.set_postfix({k: f"{v:.3g}" for k, v in record.items()})
    accelerator.log(record, step=step)
    if accelerator.is_main_process:
        with log_path.open("a") as log:
            log.write(json.dumps({"step": step, "epoch": epoch, **record}) + "\n")


def objective_description(objective: Objective) -> str:
    terms = []
    if objective.uses_gan:
        terms.append(("conditional " if objective.conditional else "unconditional ") + f"{objective.gan_mode} GAN")
    if objective.uses_l1:
        blocks = f" of {objective.l1_scale}x{objective.l1_scale} block means" if objective.l1_scale > 1 else ""
        colour = f", colour weighted {objective.l1_chroma_weight:g}" if objective.l1_chroma_weight < 1 else ""
        terms.append(f"{objective.lambda_l1:g} x L1{blocks}{colour}")
    return "objective: " + " + ".join(terms)


def keep_log_until(log_path: Path, step: int) -> None:
    """Drop log lines past `step` (written by an interrupted run after its last checkpoint) and a line cut short by
    a kill, so the log reads as one run."""
    if not log_path.exists():
        return
    kept = []
    for line in log_path.read_text().splitlines():
        try:
            if json.loads(line)["step"] <= step:
                kept.append(line)
        except (json.JSONDecodeError, KeyError):
            continue
    log_path.write_text("".join(line + "\n" for line in kept))


def save_model_folder(accelerator, output_dir, models, ema, task, facts, args, repo_id) -> None:
    """Generator (EMA weights if used) as OUTPUT_DIR, discriminator in OUTPUT_DIR/discriminator, card, samples and
    logs/summary.json; then push everything but checkpoints and logs."""
    model_g = accelerator.unwrap_model(models[0])
    if ema is not None:
        ema.copy_to(model_g.parameters())
    model_d = accelerator.unwrap_model(models[1]) if len(models) > 1 else None
    try:
        model_g.save_pretrained(output_dir)
        if model_d is not None:
            model_d.save_pretrained(output_dir / "discriminator")
        sample_grid(model_g, task, args.crop_size).save(output_dir / SAMPLES_FILE)
        write_model_cards(output_dir, model_g, model_d, facts, repo_id)
        summary = {"output_dir": str(output_dir), "global_step": facts["global_step"], "metrics": facts["metrics"]}
        summary["skipped_pairs"] = facts["skipped_pairs"]
        (output_dir / "logs" / "summary.json").write_text(json.dumps(summary, indent=2))
    except OSError as exc:
        raise Pix2PixHubError(
            f"{output_dir}: could not write the model folder ({exc}). The last checkpoint in "
            f"{output_dir / 'checkpoints'} holds the trained state; free space and rerun with "
            "--resume_from_checkpoint latest to write the folder."
        ) from exc
    if args.push_to_hub:
        from huggingface_hub import HfApi

        api = HfApi()
        api.create_repo(repo_id, private=args.hub_private, exist_ok=True)
        api.upload_folder(
            repo_id=repo_id,
            folder_path=output_dir,
            ignore_patterns=["checkpoints/*", "logs/*"],
            commit_message=f"pix2pix_hub training: {facts['global_step']} steps",
        )
    pushed = f"; pushed to {repo_id}" if args.push_to_hub else ""
    logger.info("saved to %s after %d steps%s", output_dir, facts["global_step"], pushed)


if __name__ == "__main__":
    try:
        main(parse_args())
    except Pix2PixHubError as exc:
        print(f"train.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
