"""The zoo's training recipes: one named, versioned set of `train/train.py` arguments per task, in the style of
timm's registered configs. This module is the one home of every recipe value.

    accelerate launch train/train.py --recipe edges2shoes            # the recipe the zoo model was trained with
    accelerate launch train/train.py --recipe edges2shoes:v2 --max_train_steps 2000   # any flag still overrides
    python -m pix2pix_hub.recipes edges2shoes --output_dir runs/edges2shoes   # the zoo's full train.py command

A recipe holds what a run learns (network, objective, length, batch, EMA, augmentation); the task registry says
which data it reads (`pix2pix_hub.task_data`). `train/zoo/*.sh`, `train/zoo/export.py`, the cards and the tests read
recipes here. `v2` is the zoo v2 recipe (docs/zoo.md: quality per CPU-hour), `v3` continues a shipped v2 model with
ADA DiffAugment (zoo v3); a task's newest version is the one its zoo model ships.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import Pix2PixHubError
from .tasks import get_task

#: what every zoo recipe learns with (zoo v2): a U-Net with ngf 16 and the resize-convolution decoder (2.5M
#: parameters, 4.7 MB in fp16, so all ten fit the 80 MB budget), a 70x70 PatchGAN with ndf 16, L1 + lsgan,
#: 286 -> 256 jitter, batch 2, 20,000 steps (40,000 images, about 35-48 minutes of one CPU core)
ZOO_V2 = MappingProxyType(
    {
        "ngf": 16,
        "ndf": 16,
        "upsampling": "resize",
        "gan_mode": "lsgan",
        "load_size": 286,
        "crop_size": 256,
        "batch_size": 2,
        "max_train_steps": 20000,
    }
)
#: each task's changes to ZOO_V2 (docs/zoo.md): a weaker L1 term keeps D engaged on sketches, street scenes and
#: maps; facades go further (lambda 10); photo -> labels and aerial -> map take a generator twice as wide, the
#: former longer and with an EMA of its weights
V2_CHANGES = MappingProxyType(
    {
        "facades-labels2photo": {"lambda_l1": 10.0},
        "cityscapes-labels2photo": {"lambda_l1": 25.0},
        "cityscapes-photo2labels": {"ngf": 32, "use_ema": True, "max_train_steps": 30000},
        "maps-map2aerial": {"lambda_l1": 25.0},
        "maps-aerial2map": {"ngf": 32, "lambda_l1": 25.0},
        "edges2shoes": {},
        "edges2handbags": {},
        "sketch2photo": {"lambda_l1": 25.0},
        "colorization": {},
        "inpainting": {},
    }
)
#: zoo v3: 6,000 more steps from the shipped v2 generator and its fitted discriminator, with ADA's adaptive
#: DiffAugment (docs/zoo.md, "Zoo v3"); `init_from` names the zoo folder, which held the v2 model when it ran
V3_CONTINUATION = MappingProxyType(
    {"diffaugment": "color,translation,cutout", "ada_target": 0.6, "max_train_steps": 6000}
)
#: the tasks whose zoo model is the v3 continuation (the others ship v2)
V3_TASKS = ("facades-labels2photo", "edges2shoes", "colorization")

#: how the zoo's CPU runs go (where and how, not what they learn): one torch thread each so two runs share a 2-core
#: machine, no validation (train/zoo/export.py evaluates), resumable checkpoints every 250 steps, the last two kept
ZOO_RUN = MappingProxyType(
    {
        "num_threads": 1,
        "validation_split": "none",
        "report_to": "tensorboard",
        "checkpointing_steps": 250,
        "checkpoints_total_limit": 2,
        "resume_from_checkpoint": "latest",
    }
)
#: train.py options that say where and how a run goes, not what it learns (never part of a recipe)
RUN_OPTIONS = frozenset(
    {
        "recipe", "task", "dataset", "dataset_b", "column_a", "column_b", "direction", "train_split",
        "validation_split", "max_validation_samples", "num_workers", "mixed_precision", "output_dir",
        "checkpointing_steps", "checkpoints_total_limit", "resume_from_checkpoint", "validation_steps", "report_to",
        "num_threads", "channels_last", "compile", "no_data_cache", "push_to_hub", "hub_model_id", "hub_private",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Recipe:
    """One task's training recipe: train.py options (by argument name) that differ from train.py's defaults."""

    task: str
    version: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""

    @property
    def name(self) -> str:
        return f"{self.task}:{self.version}"

    def at_batch(self, batch_size: int) -> Recipe:
        """The same recipe at another batch size with the same number of images seen (e.g. batch 16 on a GPU)."""
        images = self.arguments["max_train_steps"] * self.arguments["batch_size"]
        if images % batch_size:
            raise Pix2PixHubError(f"{self.name}: {images} training images do not divide into batches of {batch_size}")
        return replace(
            self, arguments={**self.arguments, "batch_size": batch_size, "max_train_steps": images // batch_size}
        )


def _v2(task: str) -> Recipe:
    changes = ", ".join(f"{k} {v}" for k, v in V2_CHANGES[task].items())
    return Recipe(
        task,
        "v2",
        MappingProxyType({**ZOO_V2, **V2_CHANGES[task]}),
        "zoo v2: ngf 16, resize decoder, lsgan, batch 2, 20,000 steps" + (f"; {changes}" if changes else ""),
    )


def _v3(task: str) -> Recipe:
    arguments = {**ZOO_V2, **V2_CHANGES[task], **V3_CONTINUATION, "init_from": f"model_zoo/{task}"}
    return Recipe(task, "v3", MappingProxyType(arguments), "zoo v3: the v2 model continued 6,000 steps with ADA")


RECIPES: dict[str, Recipe] = {
    r.name: r for r in [*(_v2(task) for task in V2_CHANGES), *(_v3(task) for task in V3_TASKS)]
}


def recipe_versions(task: str) -> list[str]:
    """The versions registered for a task, oldest first."""
    return sorted(r.version for r in RECIPES.values() if r.task == task)


def get_recipe(name: str) -> Recipe:
    """`task:version`, or `task` alone for its newest version (the one its zoo model ships)."""
    task_name, _, version = name.partition(":")
    task = get_task(task_name)
    versions = recipe_versions(task.name)
    if not versions:
        raise Pix2PixHubError(
            f"task {task.name!r} has no zoo recipe (recipes: {', '.join(RECIPES)}); train it with --task and flags"
        )
    version = version or versions[-1]
    if f"{task.name}:{version}" not in RECIPES:
        raise Pix2PixHubError(f"{task.name} has no recipe {version!r}; its versions: {', '.join(versions)}")
    return RECIPES[f"{task.name}:{version}"]


def as_flags(arguments: Mapping[str, Any]) -> list[str]:
    """train.py flags for option values: `--name value`, a bare `--name` for True; False and None are left out."""
    flags = []
    for key, value in arguments.items():
        if value is True:
            flags.append(f"--{key}")
        elif value is not False and value is not None:
            flags += [f"--{key}", str(value)]
    return flags


def zoo_command(recipe: Recipe, output_dir: str | Path, extra: list[str] | None = None) -> list[str]:
    """The train.py arguments of a zoo run: the recipe, the zoo's run options, the output folder, then `extra`
    (later flags win, so extra options override the recipe)."""
    return ["--recipe", recipe.name, "--output_dir", str(output_dir), *as_flags(ZOO_RUN), *(extra or [])]


def check_resumable(output_dir: str | Path, max_train_steps: int) -> None:
    """Refuse a run folder whose checkpoint belongs to a run of another length: resuming it would restore a
    learning-rate schedule that runs past (or stops short of) the new end."""
    from .training import latest_checkpoint
    from .training.checkpoints import read_checkpoint_state

    checkpoint = latest_checkpoint(Path(output_dir) / "checkpoints")
    if checkpoint is not None and read_checkpoint_state(checkpoint)["args"]["max_train_steps"] != max_train_steps:
        raise Pix2PixHubError(
            f"{checkpoint} belongs to a run of another length; resume it with its own length, or train this one "
            "in a new folder (RUNS_DIR=runs/long)."
        )


def main(argv: list[str] | None = None) -> int:
    """Print the train.py arguments of a zoo run, one per line (train/zoo/train_task.sh reads them)."""
    parser = argparse.ArgumentParser(
        description="Print the train.py arguments of a zoo recipe's run, one per line; flags after -- are added."
    )
    parser.add_argument("recipe", help="task or task:version")
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--batch_size", type=int, help="Another batch size, the same number of images seen.")
    parser.add_argument("--max_train_steps", type=int, help="Another length at the recipe's batch size.")
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])  # after `--`: more train.py flags, overriding the recipe
    try:
        recipe = get_recipe(args.recipe)
        if args.max_train_steps:  # the length at the recipe's batch size, scaled below with the batch
            recipe = replace(recipe, arguments={**recipe.arguments, "max_train_steps": args.max_train_steps})
        if args.batch_size:
            recipe = recipe.at_batch(args.batch_size)
        overrides = {
            key: recipe.arguments[key]
            for key in ("batch_size", "max_train_steps")
            if recipe.arguments[key] != RECIPES[recipe.name].arguments[key]
        }
        check_resumable(args.output_dir, recipe.arguments["max_train_steps"])
    except Pix2PixHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    extra = as_flags(overrides) + argv[split + 1 :]
    print("\n".join(zoo_command(recipe, args.output_dir, extra)))
    return 0


__all__ = ["RECIPES", "RUN_OPTIONS", "ZOO_RUN", "Recipe", "as_flags", "get_recipe", "recipe_versions", "zoo_command"]

if __name__ == "__main__":
    sys.exit(main())
