"""The `train/train.py` arguments of a zoo run: a recipe (`pix2pix_hub.recipes`), the zoo's run options
(`ZOO_RUN`) and the run's changes, checked against what its folder already holds. `train/zoo/train_task.sh` runs
what this prints, one argument per line:

    python -m pix2pix_hub.training.zoo_command edges2shoes --output_dir runs/edges2shoes
    python -m pix2pix_hub.training.zoo_command edges2shoes:v2 --output_dir runs/gpu/edges2shoes --batch_size 16
    python -m pix2pix_hub.training.zoo_command edges2handbags:v2 --task day2night --output_dir runs/day2night \
        -- --dataset path/to/pairs
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from ..errors import Pix2PixHubError
from ..recipes import ZOO_RUN, get_recipe
from .arguments import as_flags, learned, parse_args


def zoo_arguments(
    recipe_name: str,
    output_dir: str | Path,
    *,
    task: str | None = None,
    batch_size: int | None = None,
    max_train_steps: int | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    """train.py's arguments for a zoo run of `recipe_name` into `output_dir`: `max_train_steps` is the length at
    the recipe's batch size, which `batch_size` rescales to see as many images (rounded up); `task` trains the
    recipe on another task; `extra` flags come last and win."""
    recipe = get_recipe(recipe_name)
    full = vars(parse_args(["--recipe", recipe.name]))
    steps = max_train_steps or full["max_train_steps"]
    changes: dict[str, Any] = {"task": task if task and task != recipe.task else None}
    if batch_size and batch_size != full["batch_size"]:
        changes["batch_size"] = batch_size
        steps = math.ceil(steps * full["batch_size"] / batch_size)
    if steps != full["max_train_steps"]:
        changes["max_train_steps"] = steps
    run = ["--recipe", recipe.name, "--output_dir", str(output_dir), *as_flags(dict(ZOO_RUN)), *as_flags(changes)]
    return run + list(extra or [])


def saved_arguments(output_dir: str | Path) -> tuple[str, dict[str, Any]] | None:
    """What a run folder already holds, and the arguments it ran with: its newest checkpoint, else its finished
    run's facts; None for a new folder."""
    from .checkpoints import latest_checkpoint, read_checkpoint_state

    output_dir = Path(output_dir)
    checkpoint = latest_checkpoint(output_dir / "checkpoints")
    if checkpoint is not None:
        return str(checkpoint), read_checkpoint_state(checkpoint)["args"]
    facts = output_dir / "logs" / "card_facts.json"
    if facts.is_file():
        return str(output_dir), json.loads(facts.read_text())["arguments"]
    return None


def check_run_folder(output_dir: str | Path, arguments: list[str]) -> None:
    """Refuse a folder that holds a run of other learned arguments (length, lambda, width, ...): resuming it would
    mix two recipes, and a finished one would be taken for this one."""
    saved = saved_arguments(output_dir)
    if saved is None:
        return
    where, old = saved
    new = learned(vars(parse_args(arguments)))
    # options added to train.py after the saved run was made are not in its record
    differ = {key: (old[key], value) for key, value in new.items() if key in old and old[key] != value}
    if differ:
        listed = ", ".join(f"{key} {was!r} (now {now!r})" for key, (was, now) in differ.items())
        raise Pix2PixHubError(
            f"{where} belongs to a run with other settings: {listed}. Resume it with its own settings, or train "
            "this one in a new folder (RUNS_DIR=runs/other)."
        )


def main(argv: list[str] | None = None) -> int:
    """Print the train.py arguments of a zoo run, one per line; exit 2 with the reason when it must not run."""
    parser = argparse.ArgumentParser(
        description="Print the train.py arguments of a zoo recipe's run, one per line; flags after -- are added."
    )
    parser.add_argument("recipe", help="task or task:version (pix2pix_hub/recipes.py)")
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--task", help="Train the recipe on this task instead of its own (e.g. on your own pairs).")
    parser.add_argument("--batch_size", type=int, help="Another batch size, the same number of images seen.")
    parser.add_argument("--max_train_steps", type=int, help="Another length, at the recipe's batch size.")
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    try:
        arguments = zoo_arguments(
            args.recipe,
            args.output_dir,
            task=args.task,
            batch_size=args.batch_size,
            max_train_steps=args.max_train_steps,
            extra=argv[split + 1 :],
        )
        check_run_folder(args.output_dir, arguments)
    except Pix2PixHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
