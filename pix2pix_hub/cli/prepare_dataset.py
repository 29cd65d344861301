"""`pix2pix-hub prepare-dataset SOURCE -o OUT`: any paired source as a Hub-ready parquet dataset."""

from __future__ import annotations

import argparse

from ..defaults import DEFAULT_COLUMNS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prepare-dataset", help="write paired images as a Hub-ready dataset (parquet + card), optionally push it"
    )
    parser.add_argument(
        "source", help="pix2pix A|B folder, dataset folder or Hub dataset id, or the A folder with --b-dir"
    )
    parser.add_argument("-o", "--output", required=True, help="output folder (data/<split>-*.parquet + README.md)")
    parser.add_argument("--b-dir", default=None, help="folder of B images paired with SOURCE's A images by file name")
    parser.add_argument("--splits", nargs="+", default=None, help="splits to convert (default: all split folders)")
    parser.add_argument("--column-a", default=DEFAULT_COLUMNS[0], help="image column holding A (dataset sources)")
    parser.add_argument("--column-b", default=DEFAULT_COLUMNS[1], help="image column holding B (dataset sources)")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", default=None, help="also push to this Hub dataset repo")
    parser.add_argument("--private", action="store_true", help="make the pushed dataset private")
    parser.add_argument(
        "--license",
        default=None,
        help="licence id for the card (e.g. cc-by-4.0); default: the registry's terms for known data, else unknown",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data import export_dataset

    result = export_dataset(
        args.source,
        args.output,
        splits=args.splits,
        source_b=args.b_dir,
        column_a=args.column_a,
        column_b=args.column_b,
        push_to_hub=args.push_to_hub,
        private=args.private or None,
        license=args.license,
    )
    for split, rows in result.items():
        print(f"{split}: {len(rows)} pairs")
    print(f"wrote {args.output}" + (f" and pushed to {args.push_to_hub}" if args.push_to_hub else ""))
    return 0
