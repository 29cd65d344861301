"""`pix2pix-hub` command line: one module per subcommand, each with `register(subparsers)` setting `func`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ..errors import Pix2PixHubError

#: subcommand modules of this package, in the order `--help` lists them
COMMAND_MODULES = [
    "translate",
    "info",
    "tasks",
    "prepare_dataset",
    "export_onnx",
    "export_web",
    "convert",
    "demo",
    "build_web",
    "zoo",
    "evaluate",
]


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """`--help` that shows each option's default, except the unset (None) and off (False) ones."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.default == argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="pix2pix-hub", description="pix2pix models, data and tools on the Hub.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the subcommand; a `Pix2PixHubError` becomes one readable line and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Pix2PixHubError as exc:
        print(f"pix2pix-hub {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
