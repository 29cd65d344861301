"""`pix2pix-hub demo`: start the Space's Gradio app locally (every task; bundled zoo models, else the Hub)."""

from __future__ import annotations

import argparse

from ..tasks import ZOO_DIR


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="start the Gradio app of the Space locally")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for the network)")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on")
    parser.add_argument(
        "--zoo-dir", default=str(ZOO_DIR), help="folder with one model folder per task (default: the bundled zoo)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..space.app import build_app
    from ..space.models import ModelStore

    demo = build_app(ModelStore(args.zoo_dir))
    demo.launch(server_name=args.host, server_port=args.port, share=False)
    return 0
