"""The card `prepare-dataset` writes: which column is which half, how the images are stored, split sizes, the
licence and the citations, from the task registry and the project's metadata."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import datasets
from huggingface_hub import DatasetCard, DatasetCardData

from .defaults import DEFAULT_COLUMNS
from .input_kinds import get_input_kind
from .metadata import CITATION
from .paired_datasets import DATASETS, NON_COMMERCIAL_LICENSE, is_non_commercial
from .tasks import TASKS

UNKNOWN_LICENSE = "unknown"


def halves_text(name: str, source_b: Any = None, columns: tuple[str, str] = DEFAULT_COLUMNS) -> str:
    """Where `imageA` and `imageB` come from, and what they show when the registry knows the dataset."""
    if source_b is not None:
        origin = f"`imageA`: the files of `{name}`; `imageB`: the same-named files of `{Path(str(source_b)).name}`"
    elif list(columns) != list(DEFAULT_COLUMNS):
        origin = f"`imageA`: the source's `{columns[0]}` column; `imageB`: its `{columns[1]}` column"
    else:
        origin = "`imageA`: the left half (A) of each source image; `imageB`: the right half (B)"
    tasks = [t for t in TASKS.values() if t.datasets[:1] == (name,) and not get_input_kind(t.input_kind).from_photos]
    if not tasks:
        return origin + "."
    first = tasks[0]
    kind_a, kind_b = (
        (first.input_kind, first.output_kind) if first.direction == "AtoB" else (first.output_kind, first.input_kind)
    )
    used = ", ".join(f"`{t.name}` ({t.direction}: {t.input_kind} -> {t.output_kind})" for t in tasks)
    return f"{origin}. Here A is the {kind_a.replace('_', ' ')} and B the {kind_b.replace('_', ' ')}; tasks: {used}."


def license_metadata(name: str, license: str | None) -> dict[str, str]:
    """The card's licence fields: the one given, else the registry's non-commercial terms, else 'unknown'."""
    if license:
        return {"license": license}
    return dict(NON_COMMERCIAL_LICENSE) if is_non_commercial({name}) else {"license": UNKNOWN_LICENSE}


def write_dataset_card(
    output_dir: str | os.PathLike,
    source: Any,
    dataset_dict: datasets.DatasetDict,
    *,
    source_b: Any = None,
    columns: tuple[str, str] = DEFAULT_COLUMNS,
    license: str | None = None,
) -> Path:
    """Write OUTPUT_DIR/README.md for a prepared paired dataset; returns its path."""
    name = Path(str(source)).name
    metadata = {
        **license_metadata(name, license),
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in dataset_dict],
            }
        ],
        "tags": ["pix2pix", "image-to-image"],
        "task_categories": ["image-to-image"],
    }
    counts = "\n".join(f"| {s} | {len(d)} |" for s, d in dataset_dict.items())
    terms = metadata["license"] if metadata["license"] != "other" else metadata.get("license_name", "other")
    licence_text = (
        f"`{terms}`. The images keep their source's terms; check them before sharing or commercial use."
        if metadata["license"] != UNKNOWN_LICENSE
        else "not known to the converter: set `license` in this card to the source's terms before sharing."
    )
    reference = DATASETS[name].reference if name in DATASETS else None
    text = f"""---
{DatasetCardData(**metadata).to_yaml()}
---

# Paired images for pix2pix: {name}

Converted by `pix2pix-hub prepare-dataset` from `{name}`. Columns: `imageA`, `imageB` (images) and `name` (the
source file name).

- Halves: {halves_text(name, source_b, columns)}
- Storage: JPEG sources stay JPEG (the halves of a side-by-side JPEG are encoded with the source's own quantization
  tables and subsampling, so quality and size match it); other images are PNG; files of two-folder sources are
  copied byte for byte.

| split | pairs |
|---|---|
{counts}

## License

{licence_text}

## Citation

{f"Source data: {reference}." if reference else "Cite the source of the images as its authors ask."} The paired
A|B layout is that of pix2pix:

```bibtex
{CITATION}
```
"""
    path = Path(output_dir) / "README.md"
    DatasetCard(text).save(path)
    return path
