"""`pix2pix-hub translate MODEL INPUT... -o OUT`: run a generator over files and folders."""

from __future__ import annotations

import argparse
import sys

from ..defaults import BACKEND_CHOICES, DEFAULT_BATCH_SIZE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("translate", help="translate images with a model (task name, folder or Hub id)")
    parser.add_argument("model", help="task name (its bundled zoo model), model folder, or Hub repo id")
    parser.add_argument("inputs", nargs="+", help="image files and/or folders of images")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="folder for the outputs: one PNG per input, named after it (never over an input); with a single "
        "input, an image file name (out.png, out.jpg: the format from the suffix)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="images per forward pass (same-size images batch)"
    )
    parser.add_argument(
        "--paper-mode", action="store_true", help="dropout and batch statistics at test time, as the paper"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for --paper-mode's dropout")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, ... (default: cuda if available)")
    parser.add_argument(
        "--backend", choices=BACKEND_CHOICES, default="auto", help="inference backend (auto: the fastest, timed once)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..pipeline import Pix2PixPipeline, expand_inputs

    files = expand_inputs(args.inputs)
    pipe = Pix2PixPipeline.from_pretrained(
        args.model, device=args.device, batch_size=args.batch_size, backend=args.backend
    )
    written = pipe.translate_folder(
        files, args.output, mode="paper" if args.paper_mode else "deterministic", seed=args.seed
    )
    print(f"backend: {pipe.backend_choice.describe() if pipe.backend_choice else 'torch (paper mode)'}")
    print(f"wrote {len(written)} image{'s' if len(written) != 1 else ''} to {args.output}")
    skipped = len(set(files)) - len(written)
    if skipped:
        print(
            f"pix2pix-hub translate: {skipped} of {len(set(files))} inputs could not be read and were skipped "
            "(listed above); fix or remove them and run again.",
            file=sys.stderr,
        )
        return 1
    return 0
