"""The zoo's training recipes: one named, versioned set of `train/train.py` arguments per task, in the style of
timm's registered configs. This module is the one home of every recipe value.

    accelerate launch train/train.py --recipe edges2shoes            # the recipe the zoo model was trained with
    accelerate launch train/train.py --recipe edges2shoes:v2 --max_train_steps 2000   # any flag still overrides
    python -m pix2pix_hub.training.zoo_command edges2shoes --output_dir runs/edges2shoes   # a zoo run's arguments

A recipe holds what a run learns (network, objective, length, batch, EMA, augmentation); the task registry says
which data it reads (`pix2pix_hub.task_data`). `train/zoo/*.sh`, `train/zoo/export.py`, the cards and the tests read
recipes here. `v2` is the zoo v2 recipe (docs/zoo.md: quality per CPU-hour), trained from scratch; `v3` continues the
model in `model_zoo/TASK` with ADA DiffAugment (zoo v3: it ran on the shipped v2 model, so running it again continues
the shipped v3 model further, and it needs the zoo's weights at hand). A task's newest version is the one its zoo
model ships.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
#: the decoder options that let a generator keep the input's pixel-level detail (docs/zoo.md, session 13): the two
#: outermost doublings sub-pixel, and the input added before the output tanh through a skip that learns 30x faster
DECODER_DETAIL = MappingProxyType({"subpixel_levels": 2, "input_skip": True, "input_skip_lr_scale": 30.0})
#: each task's changes to V3_CONTINUATION (docs/zoo.md): edges2handbags, after 12,000 steps at lambda 10 (session
#: 12: detail 0.27 -> 0.39, colour 0.47 -> 0.60), continued with L1 on 8x8 block means, which leaves the leather's
#: texture to D (detail 0.38 -> 0.60, L1 down 3%; session 14); colorization and inpainting, whose inputs hold most
#: of the targets' detail, continued with DECODER_DETAIL (detail 0.67 -> 0.93 and 0.61 -> 0.80; session 13);
#: sketch2photo and maps-map2aerial continued with L1 on 8x8 and 4x4 block means (detail 0.41 -> 0.54 and
#: 0.52 -> 0.63, L1 +1% and +2%; session 14)
V3_CHANGES = MappingProxyType(
    {
        "maps-map2aerial": {"l1_scale": 4},
        "edges2handbags": {"lambda_l1": 10.0, "l1_scale": 8},
        "sketch2photo": {"l1_scale": 8},
        "colorization": DECODER_DETAIL,
        "inpainting": DECODER_DETAIL,
    }
)
#: the tasks whose zoo model is the v3 continuation (the others ship v2)
V3_TASKS = (
    "facades-labels2photo", "edges2shoes", "colorization", "maps-map2aerial", "edges2handbags", "inpainting",
    "sketch2photo",
)  # fmt: skip

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
        "num_threads", "channels_last", "matmul_convs", "compile", "no_data_cache", "push_to_hub", "hub_model_id",
        "hub_private",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Recipe:
    """One task's training recipe: train.py options (by argument name) that differ from train.py's defaults."""

    task: str
    version: str
    arguments: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.task}:{self.version}"


def _v2(task: str) -> Recipe:
    return Recipe(task, "v2", MappingProxyType({**ZOO_V2, **V2_CHANGES[task]}))


def _v3(task: str) -> Recipe:
    arguments = {**ZOO_V2, **V2_CHANGES[task], **V3_CONTINUATION, **V3_CHANGES.get(task, {})}
    arguments["init_from"] = f"model_zoo/{task}"
    return Recipe(task, "v3", MappingProxyType(arguments))


RECIPES: dict[str, Recipe] = {
    r.name: r for r in [*(_v2(task) for task in V2_CHANGES), *(_v3(task) for task in V3_TASKS)]
}


def recipe_versions(task: str) -> list[str]:
    """The versions registered for a task, oldest first (v2 before v10)."""
    versions = [r.version for r in RECIPES.values() if r.task == task]
    return sorted(versions, key=lambda v: (len(v), v))


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


__all__ = ["RECIPES", "RUN_OPTIONS", "ZOO_RUN", "Recipe", "get_recipe", "recipe_versions"]
