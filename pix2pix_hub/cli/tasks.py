"""`pix2pix-hub tasks`: the task registry as a table."""

from __future__ import annotations

import argparse

from ..tasks import TASKS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tasks", help="list the tasks of the paper: data, direction, model")
    parser.set_defaults(func=run)


def table() -> str:
    """One row per task: name, input kind, data and direction, whether a bundled model exists, Hub repo id."""
    rows = [("task", "input", "data (direction)", "bundled model", "hub repo")]
    for task in TASKS.values():
        data = f"{'+'.join(task.datasets)} ({task.direction})" if task.has_data else "none here"
        bundled = "yes" if task.bundled else "no"
        rows.append((task.name, task.input_kind, data, bundled, task.hub_repo_id))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    print(table())
    return 0
