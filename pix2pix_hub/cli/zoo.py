"""`pix2pix-hub zoo`: list the bundled models (model_zoo/), push them all to a Hub namespace, and build their Hub
collection."""

from __future__ import annotations

import argparse

from ..metadata import HUB_NAMESPACE
from ..tasks import TASKS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("zoo", help="list the bundled zoo models or push them to the Hub")
    actions = parser.add_subparsers(dest="zoo_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every task: bundled model, size, metrics at 256x256")
    listing.add_argument("--markdown", action="store_true", help="Print the zoo table of the README instead.")
    listing.set_defaults(func=run_list)
    push = actions.add_parser("push", help="upload every model_zoo/<task>/ folder to <namespace>/<task>")
    push.add_argument("--namespace", default=HUB_NAMESPACE, help=f"Hub user or organisation (default {HUB_NAMESPACE}).")
    push.add_argument("--tasks", nargs="+", choices=sorted(TASKS), help="Push only these tasks (default: all).")
    push.add_argument("--private", action="store_true", help="Create the repos as private.")
    push.add_argument("--token", help="Hub token (default: the logged-in one or $HF_TOKEN).")
    push.set_defaults(func=run_push)
    collection = actions.add_parser(
        "collection", help="build the Hub collection of the zoo: the paper, every <namespace>/<task> model, the Space"
    )
    collection.add_argument(
        "--namespace", default=HUB_NAMESPACE, help=f"Hub user or organisation (default {HUB_NAMESPACE})."
    )
    collection.add_argument(
        "--tasks", nargs="+", choices=sorted(TASKS), help="Only these tasks' models (default: all)."
    )
    collection.add_argument(
        "--space", help="The Space's repo id, added to the collection (e.g. pix2pix-hub/pix2pix-hub)."
    )
    collection.add_argument("--private", action="store_true", help="Create the collection as private.")
    collection.add_argument("--token", help="Hub token (default: the logged-in one or $HF_TOKEN).")
    collection.set_defaults(func=run_collection)


def run_list(args: argparse.Namespace) -> int:
    from ..evaluation.metrics import headline_metrics
    from ..zoo import WEIGHTS_FILE, paper_measure_cell, read_metrics, zoo_size_bytes, zoo_table

    if args.markdown:
        print(zoo_table())
        return 0
    for task in TASKS.values():
        if not task.bundled:
            print(f"{task.name:26} -  {'no data here' if not task.has_data else 'not trained yet'}")
            continue
        stored = read_metrics(task) or {}
        scores = "  ".join(f"{name} {value}" for name, value in headline_metrics(stored.get("all", {})))
        measure = paper_measure_cell(task, stored)  # the paper's own measure (pix2pix_hub/measures.py), if any
        scores += f"  {measure}" if measure != "-" else ""
        print(f"{task.name:26} {(task.zoo_dir / WEIGHTS_FILE).stat().st_size / 2**20:5.1f} MiB  {scores}")
    print(f"total {zoo_size_bytes() / 2**20:.1f} MiB")
    return 0


def run_collection(args: argparse.Namespace) -> int:
    from ..publish import push_collection

    print(push_collection(args.namespace, args.tasks, args.space, private=args.private, token=args.token))
    return 0


def run_push(args: argparse.Namespace) -> int:
    from ..publish import push_zoo

    for task, url in push_zoo(args.namespace, args.tasks, private=args.private, token=args.token).items():
        print(f"{task}: {url}")
    return 0
