"""`pix2pix-hub build-web OUT`: the in-browser page as a static Hugging Face Space folder (docs/web.md)."""

from __future__ import annotations

import argparse

from ..tasks import ZOO_DIR


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("build-web", help="write the in-browser page as a static Space folder")
    parser.add_argument("output", help="folder to write (new or empty)")
    parser.add_argument(
        "--zoo-dir", default=str(ZOO_DIR), help="folder whose <task>/onnx/ files say which tasks the page offers"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..web.build import build_static

    out = build_static(args.output, args.zoo_dir)
    print(f"wrote the static Space to {out}; publish it with: hf upload <namespace>/<space> {out} . --repo-type space")
    return 0
