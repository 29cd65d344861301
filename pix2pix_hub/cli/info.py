"""`pix2pix-hub info MODEL`: config, parameter count, receptive field or input multiple, and the card's summary."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Pix2PixHubError

if TYPE_CHECKING:
    from ..models import Pix2PixHubModel


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="describe a model: config, parameters, receptive field, card")
    parser.add_argument("model", help="task name, model folder, or Hub repo id")
    parser.set_defaults(func=run)


def model_class_for(config: dict) -> type[Pix2PixHubModel]:
    """Which network a config describes: discriminators have `n_layers`, generators `num_downs`."""
    from ..models import PatchGANDiscriminator, Pix2PixGenerator

    return PatchGANDiscriminator if "n_layers" in config else Pix2PixGenerator


def fetch(source: str, filename: str) -> Path | None:
    """A file of a model folder or Hub repo, or None if it has none."""
    from huggingface_hub import hf_hub_download

    if os.path.isdir(source):
        path = Path(source) / filename
        return path if path.is_file() else None
    try:
        return Path(hf_hub_download(source, filename))
    except Exception:  # noqa: BLE001 - any Hub failure just means "not available" for an optional file
        return None


def describe(source: str) -> str:
    """The text `info` prints for a model folder or repo."""
    from huggingface_hub import ModelCard, constants

    from ..models.hub_model import locate_model

    source = locate_model(source, "model")
    config_file = fetch(source, constants.CONFIG_NAME)
    if config_file is None:
        raise Pix2PixHubError(f"{source}: no config.json; not a pix2pix_hub model folder or repo.")
    config = json.loads(config_file.read_text())
    model = model_class_for(config).from_pretrained(source)
    facts = model.card_facts()
    lines = [f"model:       {source}", f"class:       {type(model).__name__} ({model.role})"]
    lines.append(f"parameters:  {facts['num_parameters']:,}")
    if "receptive_field" in facts:
        lines.append(f"receptive field: {facts['receptive_field']}x{facts['receptive_field']}")
    if "min_input_size" in facts:
        lines.append(f"input sides: multiples of {facts['min_input_size']} (the pipeline pads any size)")
    lines.append("config:")
    lines += [f"  {key}: {value}" for key, value in sorted(config.items())]
    card_file = fetch(source, "README.md")
    if card_file is not None:
        card = ModelCard.load(card_file)
        body = [line for line in card.text.splitlines() if line.strip()]
        lines.append("card:")
        lines += [f"  {line}" for line in body[:12]]
        data = card.data.to_dict()
        lines += [f"  {key}: {data[key]}" for key in ("license", "datasets", "pipeline_tag") if data.get(key)]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    print(describe(args.model))
    return 0
