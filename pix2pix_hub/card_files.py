"""Where the model card templates and the zoo cards' per-task prose live: the checkout's top-level `model_cards/`
folder, shipped inside the wheel as `pix2pix_hub/model_cards/` (pyproject.toml's package-dir mapping)."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "model_cards"
#: the folder holding model_card.md, training_section.md, zoo_section.md and tasks/<task>.md
MODEL_CARDS_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parent.parent / "model_cards"


def card_template(name: str) -> str:
    """The text of a template in `MODEL_CARDS_DIR` (e.g. "model_card.md")."""
    return (MODEL_CARDS_DIR / name).read_text(encoding="utf-8")
