"""The evaluation's outputs: OUT/metrics.json and OUT/index.html, a self-contained page (images inline) with the
metrics next to the paper's, per-class scores, and input | output | target rows: the first pairs, the worst, the best.
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..measures import get_measure
from ..paper_results import score_rows


@dataclass
class ImageRecord:
    """One evaluated pair: its per-image scores and JPEG thumbnails of input, output and target for the page."""

    name: str
    scores: dict[str, float]
    thumbnails: tuple[bytes, bytes, bytes] = field(repr=False)


METRICS_FILE = "metrics.json"
REPORT_FILE = "index.html"

FIRST_ROWS = 8
EXTREME_ROWS = 4

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
th { background: #f3f3f3; }
.pairs img { width: 256px; height: auto; display: block; }
.pairs td { vertical-align: top; }
.caption { font-size: 0.85em; color: #555; }
"""


def _img(data: bytes, alt: str) -> str:
    return f'<img src="data:image/jpeg;base64,{base64.b64encode(data).decode()}" alt="{html.escape(alt)}">'


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return html.escape("-" if value is None else str(value))


def _pairs_table(title: str, records: list[ImageRecord]) -> str:
    rows = []
    for r in records:
        caption = ", ".join(f"{k} {v:.3f}" for k, v in r.scores.items())
        cells = "".join(
            f"<td>{_img(data, f'{r.name} {part}')}</td>"
            for data, part in zip(r.thumbnails, ("input", "output", "target"), strict=True)
        )
        rows.append(f'<tr>{cells}<td><b>{html.escape(r.name)}</b><div class="caption">{caption}</div></td></tr>')
    return (
        f'<h2>{html.escape(title)}</h2>\n<table class="pairs"><tr><th>input</th><th>output</th><th>target</th>'
        f"<th>pair</th></tr>\n" + "\n".join(rows) + "\n</table>"
    )


def render_report(metrics: dict[str, Any], per_class: dict[str, Any] | None, records: list[ImageRecord]) -> str:
    """The HTML page as a string."""
    kind = metrics.get("evaluation", "image")
    title = f"{metrics['model']} on {metrics['dataset']}/{metrics['split']} ({metrics['direction']})"
    parts = [
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>pix2pix evaluation: {html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>",
        f"<h1>pix2pix evaluation: {html.escape(title)}</h1>",
        "<h2>Metrics</h2><table><tr><th>metric</th><th>value</th></tr>",
        *(f"<tr><td>{html.escape(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in metrics.items()),
        "</table>",
    ]
    measure = get_measure(kind)
    if measure.per_class:
        rows = [("this run", *(metrics[k] for k in measure.keys))] + score_rows(metrics.get("task") or "")
        heading = measure.title[:1].upper() + measure.title[1:]
        parts.append(
            f"<h2>{heading} next to the paper</h2><table><tr><th></th><th>per-pixel acc.</th><th>per-class acc."
            "</th><th>class IoU</th></tr>"
            + "".join(
                f"<tr><td>{html.escape(r[0])}</td>" + "".join(f"<td>{v:.3f}</td>" for v in r[1:]) + "</tr>"
                for r in rows
            )
            + "</table>"
        )
        if measure.needs_segmenter:
            parts.append(
                "<p>The FCN-score here uses this project's small segmenter, not the paper's FCN-8s: compare runs "
                "with each other and with the real photos' score (<code>--real</code>), not with the paper's "
                "absolute numbers.</p>"
            )
    if per_class:
        parts.append("<h2>Per class</h2><table><tr><th>class</th><th>accuracy</th><th>IoU</th></tr>")
        parts += [
            f"<tr><td>{html.escape(name)}</td><td>{_fmt(acc)}</td><td>{_fmt(iou)}</td></tr>"
            for name, acc, iou in zip(per_class["classes"], per_class["accuracy"], per_class["iou"], strict=True)
        ]
        parts.append("</table>")
    key, higher_is_better = get_measure(kind).ranking
    scored = [r for r in records if not math.isnan(r.scores[key])]  # an all-void label map has no accuracy
    ranked = sorted(scored, key=lambda r: r.scores[key], reverse=higher_is_better)
    parts.append(_pairs_table(f"First {min(FIRST_ROWS, len(records))} pairs", records[:FIRST_ROWS]))
    parts.append(_pairs_table(f"Worst {min(EXTREME_ROWS, len(records))} by {key}", ranked[::-1][:EXTREME_ROWS]))
    parts.append(_pairs_table(f"Best {min(EXTREME_ROWS, len(records))} by {key}", ranked[:EXTREME_ROWS]))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(
    output_dir: Path, metrics: dict[str, Any], per_class: dict[str, Any] | None, records: list[ImageRecord]
) -> None:
    """Write OUT/metrics.json (metrics, per-class and per-image scores) and OUT/index.html."""
    output_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        **metrics,
        "per_class": per_class,
        "per_image": [{"name": r.name, **r.scores} for r in records],
    }
    (output_dir / METRICS_FILE).write_text(json.dumps(payload, indent=2) + "\n")
    (output_dir / REPORT_FILE).write_text(render_report(metrics, per_class, records))
