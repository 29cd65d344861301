"""Score finished train.py runs of zoo tasks on their eval split, as a markdown table (docs/zoo.md's recipe table).

    python train/zoo/score_runs.py runs/recipes/*/*          # each RUN_DIR is OUTPUT_DIR of a train.py run
    python train/zoo/score_runs.py --shipped edges2handbags  # the shipped model_zoo folder, for comparison
    python train/zoo/score_runs.py --as_served --shipped colorization  # as the Space shows it (input's brightness kept)

The task, length and training wall time (over all resumed parts) come from the run's last checkpoint.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pix2pix_hub.evaluation.metrics import METRIC_DESCRIPTIONS
from pix2pix_hub.models import Pix2PixGenerator
from pix2pix_hub.tasks import get_task
from pix2pix_hub.training.checkpoints import latest_checkpoint, read_checkpoint_state
from pix2pix_hub.zoo import EVAL_PAIRS, evaluate_task

COLUMNS = tuple(METRIC_DESCRIPTIONS)


def run_facts(run_dir: Path) -> dict:
    """Task, steps, batch size and training minutes of a run, from its last checkpoint's record (checkpoints of
    train.py before the run record have no wall time)."""
    checkpoint = latest_checkpoint(run_dir / "checkpoints")
    state = read_checkpoint_state(checkpoint) if checkpoint else {}
    args = state.get("args", {})
    seconds = state.get("wall_time_s")
    return {
        "task": args.get("task"),
        "steps": args.get("max_train_steps"),
        "batch": args.get("batch_size"),
        "minutes": round(seconds / 60, 1) if seconds is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="*", type=Path)
    parser.add_argument("--shipped", nargs="*", default=[], help="Also score these tasks' model_zoo folders.")
    parser.add_argument("--max_samples", type=int, default=EVAL_PAIRS, help="Held-out pairs per dataset.")
    parser.add_argument(
        "--as_served", action="store_true", help="Score outputs as the Space shows them (the input's known part kept)."
    )
    args = parser.parse_args()
    rows = []
    for name in args.shipped:
        task = get_task(name)
        rows.append(({"task": name, "steps": "shipped", "batch": "", "minutes": ""}, "shipped", task.zoo_dir))
    for run_dir in args.run_dirs:
        if (run_dir / "model.safetensors").is_file():
            rows.append((run_facts(run_dir), run_dir.parent.name, run_dir))
    print("| task | recipe | steps x batch | minutes | " + " | ".join(COLUMNS) + " |")
    print("|---|---|---|---|" + "---|" * len(COLUMNS))
    for facts, recipe, folder in rows:
        metrics = evaluate_task(
            Pix2PixGenerator.from_pretrained(folder), facts["task"], args.max_samples, as_served=args.as_served
        )["all"]
        steps = f"{facts['steps']} x {facts['batch']}" if facts["batch"] else facts["steps"]
        values = " | ".join(f"{metrics[key]:.3f}" if key in metrics else "-" for key in COLUMNS)
        print(f"| {facts['task']} | {recipe} | {steps} | {facts['minutes'] or ''} | {values} |", flush=True)
        if recipe != "shipped":
            (folder / "scores.json").write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
