"""`pix2pix-hub convert`: a pytorch-CycleGAN-and-pix2pix checkpoint -> a Hub model folder, no training flags needed."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert a pytorch-CycleGAN-and-pix2pix .pth checkpoint into a Hub model folder",
        description=(
            "Read a reference checkpoint (latest_net_G.pth or latest_net_D.pth) safely (tensors only), recognise "
            "the network from its weights (U-Net of any depth; basic, n_layers or pixel discriminator; any norm) "
            "and write config.json, model.safetensors and a model card to OUTPUT_DIR."
        ),
    )
    parser.add_argument("checkpoint", type=Path, help="reference .pth file, e.g. checkpoints/NAME/latest_net_G.pth")
    parser.add_argument("-o", "--output-dir", type=Path, required=True, help="folder to write the Hub model into")
    parser.add_argument("--task", default=None, help="task name to record in the card (see `pix2pix-hub tasks`)")
    parser.add_argument(
        "--dropout",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="generator dropout; the weights do not record it, so the default is the reference's pix2pix default (on)."
        " Use --no-dropout for a model trained with --no_dropout",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a conversion already in OUTPUT_DIR")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..convert import convert_checkpoint

    report = convert_checkpoint(
        args.checkpoint, args.output_dir, task=args.task, dropout=args.dropout, overwrite=args.overwrite
    )
    for line in report.summary_lines():
        print(line)
    print(f"Wrote {report.output_dir} (config.json, model.safetensors, README.md, conversion.json)")
    return 0
