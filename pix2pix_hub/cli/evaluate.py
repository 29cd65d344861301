"""`pix2pix-hub evaluate DATA --model MODEL | --real -o OUT`: the paper's metrics on a paired split, with a page."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..defaults import BACKEND_CHOICES, DIRECTIONS
from ..tasks import TASKS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a generator (or the real targets) on a paired split: L1/PSNR/SSIM, label accuracy, FCN-score",
    )
    parser.add_argument("data", help="pix2pix A|B folder, dataset name (e.g. cityscapes) or Hub dataset id")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="generator: task name (its zoo model), model folder or Hub repo id")
    source.add_argument("--real", action="store_true", help="score the real targets (the paper's ground-truth row)")
    parser.add_argument("--split", help="split to score (default: the task's eval split, else val)")
    parser.add_argument("--direction", choices=DIRECTIONS, help="which half is the input (default: the task's)")
    parser.add_argument(
        "--task", choices=sorted(TASKS), help="registry task: metrics, palette and direction (default: from DATA)"
    )
    parser.add_argument("--batch-size", type=int, default=8, help="pairs per forward pass")
    parser.add_argument("--max-images", type=int, help="score only the first N pairs")
    parser.add_argument("--segmenter", help="FCN-score segmenter folder or Hub id (default: the bundled one)")
    parser.add_argument("--save-images", help="also write every output as OUT_IMAGES/<name>.png")
    parser.add_argument("--paper-mode", action="store_true", help="dropout and batch statistics at test time")
    parser.add_argument("--backend", choices=BACKEND_CHOICES, default="auto", help="inference backend (see translate)")
    parser.add_argument("-o", "--output", required=True, help="folder for metrics.json and index.html")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..evaluation import evaluate  # torch and the segmenter load only when the command runs

    # the options named alike here and in evaluate() pass straight through
    same_name = (
        "split",
        "direction",
        "task",
        "real",
        "batch_size",
        "save_images",
        "segmenter",
        "max_images",
        "backend",
    )
    metrics = evaluate(
        args.data,
        args.model,
        output_dir=args.output,
        mode="paper" if args.paper_mode else "deterministic",
        **{name: getattr(args, name) for name in same_name},
    )
    print(json.dumps(metrics, indent=2))
    print(f"wrote {Path(args.output) / 'metrics.json'} and {Path(args.output) / 'index.html'}")
    return 0
