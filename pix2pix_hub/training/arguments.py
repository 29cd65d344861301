"""`train/train.py`'s command line: the flags, their defaults (the paper's) and `--recipe`, which makes a zoo
recipe's options the defaults. In the package so that the zoo's export and tests read the same defaults."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..cli import DefaultsHelpFormatter
from ..data import DIRECTIONS
from ..errors import Pix2PixHubError
from ..models.discriminator import RECEPTIVE_FIELDS
from ..models.generator import UPSAMPLING
from ..models.layers import NORMS
from ..recipes import RUN_OPTIONS, Recipe, get_recipe, recipe_versions
from ..tasks import TASKS
from .diffaugment import POLICIES, parse_policy
from .fast_paths import AUTO_CHOICES, MIXED_PRECISION_CHOICES
from .losses import GAN_MODES, OBJECTIVES

DESCRIPTION = "Train pix2pix (Isola et al., CVPR 2017) on any paired dataset or registry task with Accelerate."
#: receptive field of the PatchGAN -> its number of strided layers (the paper's ablation, table 3)
N_LAYERS_FOR_FIELD = {field: n_layers for n_layers, field in RECEPTIVE_FIELDS.items()}


def build_parser() -> argparse.ArgumentParser:
    """train.py's parser, every default the paper's."""
    parser = argparse.ArgumentParser(description=DESCRIPTION, formatter_class=DefaultsHelpFormatter)
    data = parser.add_argument_group("data")
    data.add_argument(
        "--recipe",
        metavar="TASK[:VERSION]",
        help="A zoo recipe (pix2pix_hub/recipes.py): its task and training options become the defaults, so any flag "
        "still overrides them; TASK alone is the version its zoo model ships.",
    )
    data.add_argument(
        "--task",
        choices=sorted(TASKS),
        help="Registry task: sets the dataset, direction and validation split defaults and names the card.",
    )
    data.add_argument(
        "--dataset",
        help="A pix2pix A|B folder (e.g. ../shared/datasets/facades), its name under the data roots (facades), "
        "a local dataset folder or a Hub dataset id with two image columns. Default: the task's first dataset.",
    )
    data.add_argument("--dataset_b", help="Folder of B images paired by file name with the A images in --dataset.")
    data.add_argument("--column_a", default="imageA", help="Image column holding A (Hub/local datasets).")
    data.add_argument("--column_b", default="imageB", help="Image column holding B (Hub/local datasets).")
    data.add_argument("--direction", choices=DIRECTIONS, help="AtoB: A is the input. Default: the task's, else AtoB.")
    data.add_argument("--train_split", default="train", help="Split to train on.")
    data.add_argument(
        "--validation_split",
        default="auto",
        help="Split for validation metrics: a name, 'auto' (the task's eval split, else val/validation/test when "
        "present) or 'none'.",
    )
    data.add_argument(
        "--max_validation_samples", type=int, help="Validate on at most this many pairs (default: the whole split)."
    )
    data.add_argument("--load_size", type=int, default=286, help="Resize both images to this side before cropping.")
    data.add_argument("--crop_size", type=int, default=256, help="Random crop side, the training resolution.")
    data.add_argument("--no_flip", action="store_true", help="Turn off the random horizontal flip.")
    data.add_argument("--num_workers", type=int, default=0, help="Data loader worker processes.")

    model = parser.add_argument_group("model")
    model.add_argument("--generator", choices=("unet", "encoder-decoder"), default="unet", help="G architecture.")
    model.add_argument("--ngf", type=int, default=64, help="Generator width (channels of its first layer).")
    model.add_argument(
        "--num_downs",
        type=int,
        help="U-Net levels; default: log2(crop_size) capped at 8 (a 1x1 bottleneck, the paper's unet_256 at 256).",
    )
    model.add_argument("--no_dropout", action="store_true", help="Remove G's dropout (the paper's only noise).")
    model.add_argument(
        "--upsampling",
        choices=UPSAMPLING,
        default="transposed",
        help="G's decoder: the paper's transposed convolutions, or resize + 3x3 conv (no checkerboard artefacts).",
    )
    model.add_argument(
        "--subpixel_levels",
        type=int,
        default=0,
        help="With --upsampling resize: the outermost N decoder doublings as sub-pixel convolutions (3x3 conv to 4x "
        "channels + pixel shuffle), started equal to the resize-convolutions but free to learn pixel-level detail; "
        "with --init_from it converts the loaded generator's (the same outputs at the first step).",
    )
    model.add_argument(
        "--input_skip",
        action="store_true",
        help="Add a 3x3 convolution of the input to G's output layer, zero at first (global residual learning): "
        "detail the input holds at full resolution reaches the output; with --init_from it is added to the loaded G.",
    )
    model.add_argument(
        "--input_skip_lr_scale",
        type=float,
        default=1.0,
        help="The input skip's learning rate over G's: it starts at zero, and at G's rate its 3x3 weights grow to "
        "about 0.05 in 6,000 steps, too little to carry the input's detail.",
    )
    model.add_argument(
        "--receptive_field",
        type=int,
        choices=sorted(N_LAYERS_FOR_FIELD),
        default=70,
        help="PatchGAN receptive field: 1 (PixelGAN), 16, 34, 70 (paper default), 142 or 286 (ImageGAN).",
    )
    model.add_argument("--ndf", type=int, default=64, help="Discriminator width.")
    model.add_argument("--norm", choices=NORMS, default="batch", help="Normalisation in G and D.")
    model.add_argument(
        "--spectral_norm", action="store_true", help="Spectral normalisation of D's convolutions (Miyato et al. 2018)."
    )
    model.add_argument(
        "--init_from",
        help="Start G (and D, from its discriminator/ subfolder, where present) from a model folder, a zoo task name, "
        "a Hub repo id or a finished run's OUTPUT_DIR; their configs set the architecture. Optimizers and the "
        "schedule start fresh (fine-tuning).",
    )

    objective = parser.add_argument_group("objective and optimisation")
    objective.add_argument(
        "--objective", choices=OBJECTIVES, default="l1+cgan", help="Loss (the paper's ablations, table 1)."
    )
    objective.add_argument("--lambda_l1", type=float, default=100.0, help="Weight of the L1 term.")
    objective.add_argument(
        "--l1_scale",
        type=int,
        default=1,
        help="Measure L1 between output and target averaged over N x N blocks (1: per pixel, the paper's): texture "
        "finer than a block is then left to D instead of being blurred to L1's mean.",
    )
    objective.add_argument(
        "--l1_chroma_weight",
        type=float,
        default=1.0,
        help="Weight (0-1) of colour against luminance in the L1 term, for RGB outputs (1: plain L1, the paper's): "
        "a colour the input leaves open is then chosen by D instead of L1's grayish median.",
    )
    objective.add_argument("--gan_mode", choices=GAN_MODES, default="vanilla", help="vanilla (BCE) or lsgan.")
    objective.add_argument("--batch_size", type=int, default=1, help="Images per step per process.")
    objective.add_argument("--learning_rate", type=float, default=2e-4, help="Adam learning rate of G and D.")
    objective.add_argument(
        "--learning_rate_d",
        type=float,
        help="D's own learning rate (TTUR, Heusel et al. 2017); default: --learning_rate.",
    )

    remedies = parser.add_argument_group("data-efficient adversarial training (all off by default: the paper's recipe)")
    remedies.add_argument(
        "--diffaugment",
        type=policy_argument,
        default="",
        metavar="POLICY",
        help=f"Augment the pairs D sees, real and fake alike, in D's and G's step (DiffAugment, Zhao et al. 2020): "
        f"comma-separated {','.join(POLICIES)}. Translation and cutout move condition and image together.",
    )
    remedies.add_argument(
        "--diffaugment_p", type=float, default=1.0, help="Probability of each augmentation per sample (fixed)."
    )
    remedies.add_argument(
        "--ada_target",
        type=float,
        help="Adapt the augmentation probability instead (ADA, Karras et al. 2020): raise it while the share of real "
        "patches D calls real exceeds this target (0.6 in ADA), lower it otherwise; starts at 0.",
    )
    remedies.add_argument(
        "--feature_matching",
        type=float,
        default=0.0,
        help="Weight of D feature matching in G's loss (pix2pixHD, Wang et al. 2018, uses 10); 0 turns it off.",
    )
    remedies.add_argument(
        "--r1_gamma", type=float, default=0.0, help="R1 penalty weight on D's gradient at real pairs; 0 turns it off."
    )
    remedies.add_argument(
        "--r1_interval", type=int, default=16, help="Apply the R1 penalty every N D steps (lazy, scaled by N)."
    )
    remedies.add_argument(
        "--freeze_generator",
        action="store_true",
        help="Train D alone against the --init_from generator (G unchanged): fits a discriminator to a finished "
        "model whose own was not kept, so training can continue from it.",
    )
    objective.add_argument("--adam_beta1", type=float, default=0.5, help="Adam beta1.")
    objective.add_argument("--adam_beta2", type=float, default=0.999, help="Adam beta2.")
    objective.add_argument("--n_epochs", type=int, default=100, help="Epochs at the initial learning rate.")
    objective.add_argument("--n_epochs_decay", type=int, default=100, help="Epochs of linear decay to zero.")
    objective.add_argument(
        "--max_train_steps",
        type=int,
        help="Total optimizer steps; overrides the epoch counts (the schedule keeps their constant/decay ratio).",
    )
    objective.add_argument("--gradient_accumulation_steps", type=int, default=1, help="Batches per optimizer step.")
    objective.add_argument(
        "--mixed_precision",
        choices=MIXED_PRECISION_CHOICES,
        default="auto",
        help="Autocast precision. auto: on a CPU with native bf16 (AVX512-BF16, AMX) the faster of bf16 and fp32 as "
        "measured for this configuration, bf16 on GPUs that have it, else fp32 (or what `accelerate launch "
        "--mixed_precision` set); 'no' turns it off.",
    )
    objective.add_argument("--use_ema", action="store_true", help="Keep an EMA of G's weights and save that.")
    objective.add_argument("--ema_decay", type=float, default=0.999, help="EMA decay per step.")
    objective.add_argument("--seed", type=int, default=0, help="Seed of weights, data order, jitter and dropout.")

    run = parser.add_argument_group("run")
    run.add_argument("--output_dir", help="Model folder to write (default: runs/<task or dataset name>).")
    run.add_argument("--checkpointing_steps", type=int, default=500, help="Save a resumable checkpoint every N steps.")
    run.add_argument("--checkpoints_total_limit", type=int, help="Keep only the newest N checkpoints.")
    run.add_argument(
        "--resume_from_checkpoint", help="'latest' or a checkpoint folder; resumes exactly where it stopped."
    )
    run.add_argument(
        "--validation_steps", type=int, default=1000, help="Validate every N steps (and always at the end)."
    )
    run.add_argument("--report_to", default="tensorboard", help="Trackers: tensorboard, wandb, all or none.")
    run.add_argument(
        "--num_threads",
        type=int,
        help="torch CPU threads per process (default: the CPUs available divided among processes; "
        "`accelerate launch` would otherwise leave 1).",
    )
    run.add_argument(
        "--channels_last",
        choices=AUTO_CHOICES,
        default="auto",
        help="NHWC memory layout for G and D. auto: on a CPU where measured faster for this configuration, else "
        "with bf16 on GPUs and AMX CPUs.",
    )
    run.add_argument(
        "--matmul_convs",
        choices=AUTO_CHOICES,
        default="auto",
        help="Run the convolutions of small feature maps (up to 16x16; 8x8 transposed) as matmuls, which read the deep "
        "layers' weights in place. auto: on a CPU where measured faster for this configuration.",
    )
    run.add_argument(
        "--compile",
        choices=AUTO_CHOICES,
        default="auto",
        nargs="?",
        const="yes",
        help="torch.compile G and D (inductor). auto: on a CPU where its measured saving over the run's steps exceeds "
        "its compile time (timed only for runs of 30 min or more); off on GPUs.",
    )
    run.add_argument(
        "--no_data_cache",
        action="store_true",
        help="Decode images every epoch instead of once (the cache holds ~0.4 MB per 256x256 pair in memory).",
    )
    run.add_argument("--push_to_hub", action="store_true", help="Upload OUTPUT_DIR (without checkpoints) at the end.")
    run.add_argument("--hub_model_id", help="Repo id to push to (default: the task's zoo repo id).")
    run.add_argument("--hub_private", action="store_true", help="Create the Hub repo as private.")
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line flags; the defaults are the paper's (facades: 200 epochs, batch 1, 286 -> 256 jitter), or the
    recipe's where `--recipe` names one."""
    parser = build_parser()
    known, _ = parser.parse_known_args(argv)
    if known.recipe:
        try:
            recipe = get_recipe(known.recipe)
        except Pix2PixHubError as exc:
            parser.error(str(exc))
        parser.set_defaults(task=recipe.task, **recipe.arguments)
    args = parser.parse_args(argv)
    if known.recipe:
        args.recipe = recipe.name  # recorded in full: task:version

    if args.task is None and args.dataset is None:
        parser.error("give --recipe, --task or --dataset")
    if args.crop_size > args.load_size:
        parser.error(f"--crop_size {args.crop_size} is larger than --load_size {args.load_size}")
    if args.subpixel_levels < 0:
        parser.error(f"--subpixel_levels must be 0 or more, got {args.subpixel_levels}")
    if args.l1_scale < 1:
        parser.error(f"--l1_scale must be 1 (per pixel) or more (the block size), got {args.l1_scale}")
    if not 0.0 <= args.l1_chroma_weight <= 1.0:
        parser.error(
            f"--l1_chroma_weight must be within 0 (luminance only) and 1 (plain L1), got {args.l1_chroma_weight}"
        )
    if args.subpixel_levels and args.upsampling != "resize" and not args.init_from:
        parser.error("--subpixel_levels converts resize-convolutions: add --upsampling resize")
    if args.freeze_generator and not args.init_from:
        parser.error("--freeze_generator needs --init_from: the generator to fit a discriminator to")
    if args.push_to_hub and args.hub_model_id is None and args.task is None:
        parser.error("--push_to_hub needs --hub_model_id (or --task, whose zoo repo id is the default)")
    return args


def train_defaults(task: str) -> dict[str, Any]:
    """train.py's arguments for `--task task` and nothing else."""
    return vars(parse_args(["--task", task]))


def learned(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments that say what a run learns (all but `RUN_OPTIONS`: where and how it runs)."""
    return {key: value for key, value in arguments.items() if key not in RUN_OPTIONS}


def closest_recipe(arguments: dict[str, Any]) -> Recipe | None:
    """The task's recipe whose learned arguments a run's equal (a run of v2 with v3's changes is v3), else the one it
    recorded (`--recipe`), else the one it differs least from."""
    candidates = [get_recipe(f"{arguments['task']}:{v}") for v in recipe_versions(str(arguments.get("task")))]
    run = learned(arguments)

    def differences(recipe: Recipe) -> int:
        full = learned(vars(parse_args(["--recipe", recipe.name])))
        return sum(run.get(key) != value for key, value in full.items() if key in run)

    counts = {recipe.name: differences(recipe) for recipe in candidates}  # each recipe parsed once
    exact = [recipe for recipe in candidates if counts[recipe.name] == 0]
    if exact:
        return exact[-1]
    if arguments.get("recipe"):
        return get_recipe(str(arguments["recipe"]))
    return min(candidates, key=lambda recipe: counts[recipe.name]) if candidates else None


def reproduce_line(arguments: dict[str, Any]) -> str:
    """The command that repeats a run from its recorded arguments: its zoo recipe through train/zoo/train_task.sh
    with the flags the run changed in EXTRA_ARGS, or train.py with every flag that differs from its defaults."""
    recipe = closest_recipe(arguments)
    task = str(arguments["task"])
    base = vars(parse_args(["--recipe", recipe.name])) if recipe else train_defaults(task)
    changed = as_flags(
        joined=True, arguments={k: v for k, v in learned(arguments).items() if k in base and v != base[k]}
    )
    if recipe is None:
        return f"accelerate launch train/train.py --task {task} {' '.join(changed)}".rstrip()
    runs_dir = Path(str(arguments["output_dir"])).parent if arguments.get("output_dir") else Path("runs")
    # a run outside the checkout (a GPU machine's scratch folder) reproduces into the default folder
    where = f"RUNS_DIR={runs_dir} " if runs_dir != Path("runs") and not runs_dir.is_absolute() else ""
    extra = f'EXTRA_ARGS="{" ".join(changed)}" ' if changed else ""
    return f"RECIPE={recipe.name} {extra}{where}train/zoo/train_task.sh {task}"


def as_flags(arguments: dict[str, Any], joined: bool = False) -> list[str]:
    """train.py flags for option values: `--name value` (`--name=value` with `joined`, one word each, as EXTRA_ARGS
    needs), a bare `--name` for True; False and None are a flag's absence, which a command line cannot say over a
    recipe, so they are left out."""
    flags: list[str] = []
    for key, value in arguments.items():
        if value is True:
            flags.append(f"--{key}")
        elif value is not False and value is not None:
            flags += [f"--{key}={value}"] if joined else [f"--{key}", str(value)]
    return flags


def policy_argument(text: str) -> str:
    """--diffaugment's value, checked and normalised ('color, cutout' -> 'color,cutout')."""
    try:
        return ",".join(parse_policy(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
