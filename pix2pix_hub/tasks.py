"""The task registry: every task of the paper, with its data, direction, input kind, Hub repo id and zoo folder.

Training, model cards, the zoo, evaluation and the Space read this table instead of repeating names. A task names
registry entries for the rest: its datasets (`pix2pix_hub.paired_datasets`) and its input kind
(`pix2pix_hub.input_kinds`). Kept free of heavy imports: `pix2pix-hub tasks` reads it.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import Pix2PixHubError
from .metadata import HUB_NAMESPACE
from .paired_datasets import eval_split_of

#: the bundled models, in Hub layout, one folder per task (`model_zoo/<task>/`)
ZOO_DIR = Path(__file__).resolve().parent.parent / "model_zoo"
#: the weights file of a model folder; a zoo folder with it is a bundled model
WEIGHTS_FILE = "model.safetensors"

#: where `dataset` names are looked up, first hit wins: $PIX2PIX_HUB_DATA, ./datasets, ../shared/datasets
DATA_ENV_VAR = "PIX2PIX_HUB_DATA"


@dataclass(frozen=True)
class Task:
    """One image-to-image task of the paper."""

    name: str
    description: str
    #: pix2pix side-by-side dataset folder names (A|B), empty when no data is available here
    datasets: tuple[str, ...]
    #: AtoB or BtoA: which half of each pair is the input
    direction: str
    #: name of the input kind in `pix2pix_hub.input_kinds.INPUT_KINDS`: how inputs are made, drawn and served
    input_kind: str
    output_kind: str
    #: palette name in `pix2pix_hub.palettes` for label-map inputs or outputs
    palette: str | None = None
    #: the paper's measure for this task, by name in `pix2pix_hub.measures.MEASURES`: "fcn" (labels -> photo),
    #: "labels" (photo -> labels) or "image"
    evaluation: str = "image"
    #: why a task has no data or model here, shown by the CLI and the Space
    note: str = ""

    @property
    def hub_repo_id(self) -> str:
        """Default Hub repo id of the task's zoo model."""
        return f"{HUB_NAMESPACE}/{self.name}"

    @property
    def zoo_dir(self) -> Path:
        """Local folder of the bundled model (may not exist yet)."""
        return ZOO_DIR / self.name

    @property
    def eval_split(self) -> str:
        """Evaluation split of the task's first dataset (see `eval_split_of` for the others)."""
        return eval_split_of(self.datasets[0]) if self.datasets else "val"

    @property
    def has_data(self) -> bool:
        return bool(self.datasets)

    @property
    def bundled(self) -> bool:
        """Whether a model for the task is bundled here (`model_zoo/<task>/` with config and weights)."""
        return all((self.zoo_dir / name).is_file() for name in ("config.json", WEIGHTS_FILE))

    @property
    def api_name(self) -> str:
        """Name of the task's API endpoint in the Space (`-` is not allowed there)."""
        return self.name.replace("-", "_")


_PHOTO_DATASETS = ("facades", "cityscapes", "maps", "edges2shoes", "edges2handbags")

TASKS: dict[str, Task] = {
    t.name: t
    for t in [
        Task(
            "facades-labels2photo",
            "Architectural label map -> facade photo (CMP Facades)",
            ("facades",),
            "BtoA",
            "label_map",
            "photo",
            palette="facades",
            evaluation="fcn",
        ),
        Task(
            "cityscapes-labels2photo",
            "Semantic label map -> street photo (Cityscapes)",
            ("cityscapes",),
            "BtoA",
            "label_map",
            "photo",
            palette="cityscapes",
            evaluation="fcn",
        ),
        Task(
            "cityscapes-photo2labels",
            "Street photo -> semantic label map (Cityscapes)",
            ("cityscapes",),
            "AtoB",
            "photo",
            "label_map",
            palette="cityscapes",
            evaluation="labels",
        ),
        Task("maps-map2aerial", "Map tile -> aerial photo (Google Maps, NYC)", ("maps",), "BtoA", "map", "photo"),
        Task("maps-aerial2map", "Aerial photo -> map tile (Google Maps, NYC)", ("maps",), "AtoB", "photo", "map"),
        Task("edges2shoes", "Edge map -> shoe photo (UT Zappos50K)", ("edges2shoes",), "AtoB", "edges", "photo"),
        Task(
            "edges2handbags", "Edge map -> handbag photo (iGAN Amazon)", ("edges2handbags",), "AtoB", "edges", "photo"
        ),
        Task(
            "sketch2photo",
            "Hand-drawn sketch -> photo of a shoe or handbag (edges with stroke augmentation)",
            ("edges2shoes", "edges2handbags"),
            "AtoB",
            "sketch",
            "photo",
        ),
        Task(
            "colorization",
            "Grayscale photo -> colour photo",
            _PHOTO_DATASETS,
            "AtoB",
            "grayscale",
            "photo",
        ),
        Task(
            "inpainting",
            "Photo with a masked hole -> completed photo",
            _PHOTO_DATASETS,
            "AtoB",
            "masked_photo",
            "photo",
        ),
        Task(
            "day2night",
            "Daytime photo -> night photo (Laffont et al. transient attributes)",
            (),
            "AtoB",
            "photo",
            "photo",
            note="No day/night data is available here; train it on your own pairs with train/train.py.",
        ),
        Task(
            "thermal2color",
            "Thermal image -> colour photo (KAIST multispectral)",
            (),
            "AtoB",
            "photo",
            "photo",
            note="No thermal/colour data is available here; train it on your own pairs with train/train.py.",
        ),
    ]
}


def get_task(name: str) -> Task:
    """Look a task up by name; an unknown name suggests the nearest one and lists the known ones."""
    try:
        return TASKS[name]
    except KeyError:
        nearest = nearest_task(name)
        hint = f" (did you mean {nearest!r}?)" if nearest else ""
        raise Pix2PixHubError(f"unknown task {name!r}{hint}; known tasks: {', '.join(TASKS)}") from None


def nearest_task(name: str) -> str | None:
    """The task whose name is closest to `name` (or to its part after a `namespace/`), for a "did you mean"."""
    matches = difflib.get_close_matches(str(name).rsplit("/", 1)[-1], TASKS, n=1, cutoff=0.75)
    return matches[0] if matches else None


def bundled_model_for(repo_id: str) -> Path | None:
    """The zoo folder bundled here that holds the model of zoo repo `repo_id` (`pix2pix-hub/<task>`), or None."""
    task = next((t for t in TASKS.values() if t.hub_repo_id == repo_id), None)
    return task.zoo_dir if task is not None and task.bundled else None


def data_roots() -> list[Path]:
    """Folders searched for dataset names, in order."""
    roots = [Path(os.environ[DATA_ENV_VAR])] if os.environ.get(DATA_ENV_VAR) else []
    return roots + [Path("datasets"), ZOO_DIR.parent.parent / "shared" / "datasets", Path("../shared/datasets")]


def resolve_dataset_source(data: str | os.PathLike) -> str | Path:
    """An existing folder as given, a bare name (e.g. 'facades') as its folder under the data roots, else a Hub
    dataset id unchanged."""
    if os.path.exists(data) or "/" in str(data):
        return Path(data) if os.path.exists(data) else str(data)
    return find_dataset_dir(str(data))


def find_dataset_dir(name: str) -> Path:
    """Resolve a dataset name (e.g. 'facades') to its folder, or say where it was looked for."""
    for root in data_roots():
        if (root / name).is_dir():
            return root / name
    searched = ", ".join(str(r) for r in data_roots())
    raise Pix2PixHubError(f"dataset {name!r} not found in {searched}; set ${DATA_ENV_VAR} to the folder holding it.")
