"""`pix2pix-hub demo`: start the Space's Gradio app locally (every task; bundled zoo models, else the Hub)."""

from __future__ import annotations

import argparse

from ..defaults import BACKEND_CHOICES
from ..tasks import ZOO_DIR


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="start the Gradio app of the Space locally")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for the network)")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on")
    parser.add_argument(
        "--zoo-dir", default=str(ZOO_DIR), help="folder with one model folder per task (default: the bundled zoo)"
    )
    parser.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="inference backend of every model (auto: torch at once, then the fastest, tuned in the background)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the app, serve at once on torch, and settle each model's fastest backend in the background."""
    import logging
    import threading

    from ..errors import Pix2PixHubError
    from ..space.app import build_app
    from ..space.models import ModelStore
    from ..tasks import TASKS
    from ..web.server import web_app_kwargs

    logging.getLogger("pix2pix_hub").setLevel(logging.INFO)  # the backend choices and cache hits, one line each
    store = ModelStore(args.zoo_dir, backend=args.backend)
    demo = build_app(store)
    try:
        demo.launch(
            server_name=args.host,
            server_port=args.port,
            share=False,
            prevent_thread_lock=True,
            app_kwargs=web_app_kwargs(args.zoo_dir),  # the in-browser page at /web/
        )
    except OSError as exc:  # the port is taken (another demo still running?) or the address is not this machine's
        raise Pix2PixHubError(
            f"cannot listen on {args.host}:{args.port} ({str(exc).splitlines()[0]}). Stop what uses the port, or pass "
            "--port with a free one."
        ) from exc
    if args.backend == "auto":
        threading.Thread(
            target=store.tune_backends, args=(list(TASKS.values()),), name="tune-backends", daemon=True
        ).start()
    demo.block_thread()
    return 0
