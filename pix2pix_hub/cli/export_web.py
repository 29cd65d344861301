"""`pix2pix-hub export-web [TASK ...]`: each zoo model's onnx/model.onnx and onnx/model_quantized.onnx (int8), checked
against torch on held-out inputs (`pix2pix_hub.web_export`)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export-web", help="write each zoo model's onnx/ folder (fp32 and int8 ONNX) for the browser and int8 backend"
    )
    parser.add_argument("tasks", nargs="*", metavar="TASK", help="Zoo tasks (default: every bundled one).")
    parser.add_argument("--force", action="store_true", help="Make the files again even where they are current.")
    parser.add_argument("--jobs", type=int, help="Tasks exported at once, one process each (default: CPU cores).")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time

    from ..web_export import export_zoo

    start = time.perf_counter()
    failed = []
    for result in export_zoo(args.tasks or None, force=args.force, jobs=args.jobs):
        what = "made" if result.made else "current, kept"
        print(f"{result.task}: {result.folder} ({what}, {result.seconds:.1f} s): {result.check.describe()}", flush=True)
        if not result.check.fp32_passed:
            failed.append(result.task)
    print(f"export-web: {time.perf_counter() - start:.1f} s in all")
    if failed:
        print(f"export-web: the fp32 file of {', '.join(failed)} does not match torch; do not publish it")
        return 1
    return 0
