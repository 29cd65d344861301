"""Base class of every pix2pix_hub network: Hub metadata declared once, strict loading, clear load errors."""

from __future__ import annotations

import inspect
import json
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

import torch
from huggingface_hub import ModelCard, PyTorchModelHubMixin, constants, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HFValidationError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
)
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from ..card_files import card_template
from ..errors import Pix2PixHubError
from ..metadata import CITATION, HUB_NAMESPACE, HUB_TAGS, LIBRARY_NAME, LICENSE, PAPER_URL, PIPELINE_TAG, REPO_URL
from ..tasks import TASKS, bundled_model_for, nearest_task

logger = logging.getLogger(__name__)

MODEL_CARD_TEMPLATE = card_template("model_card.md")
#: where a model folder (zoo, Hub repo, train.py's OUTPUT_DIR) keeps its discriminator
DISCRIMINATOR_SUBFOLDER = "discriminator"


class Pix2PixHubModel(
    nn.Module,
    PyTorchModelHubMixin,
    library_name=LIBRARY_NAME,
    license=LICENSE,
    pipeline_tag=PIPELINE_TAG,
    tags=list(HUB_TAGS),
    repo_url=REPO_URL,
    paper_url=PAPER_URL,
    docs_url=REPO_URL + "#readme",
    model_card_template=MODEL_CARD_TEMPLATE,
):
    """`nn.Module` + `PyTorchModelHubMixin`: `save_pretrained` writes safetensors, config.json and a model card.

    Unlike the plain mixin, loading is strict (every tensor must match the config) and a folder without
    config.json, an unknown config key or a missing weight file is a `Pix2PixHubError`, not a silent default.
    """

    #: one-line role shown in the card and in `pix2pix-hub info`
    role: ClassVar[str] = "network"

    def card_facts(self) -> dict[str, Any]:
        """Derived architecture facts for the card and `info` (parameter count and class-specific extras)."""
        return {"num_parameters": sum(p.numel() for p in self.parameters())}

    def generate_model_card(self, *args, **kwargs) -> ModelCard:
        """Fill the card template with the config, derived facts and the citation; kwargs override.

        A model loaded from a folder or repo that has a card keeps that card (its training facts, metrics or
        conversion provenance) when saved or pushed again without new card arguments.
        """
        loaded_card = getattr(self, "_loaded_card", None)
        if loaded_card is not None and not args and not kwargs:
            return ModelCard(loaded_card.content)
        facts = {
            "model_class": type(self).__name__,
            "role": self.role,
            "config_json": json.dumps(self._hub_mixin_config or {}, indent=2, sort_keys=True),
            "citation": CITATION,
            **self.card_facts(),
        }
        return super().generate_model_card(*args, **{**facts, **kwargs})

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, **kwargs):  # type: ignore[override]
        """Load a model folder or Hub repo id strictly; bad folders and unreachable repos raise `Pix2PixHubError`.

        A zoo repo id (`pix2pix-hub/<task>`) falls back to its bundled `model_zoo/<task>/` when the Hub cannot be
        reached, and a mistyped task name gets a "did you mean".
        """
        source = locate_model(str(pretrained_model_name_or_path), cls.__name__, kwargs)
        try:
            return super().from_pretrained(source, **kwargs)
        except HFValidationError as exc:
            raise Pix2PixHubError(f"{source}: neither a model folder nor a valid Hub repo id ({exc}).") from exc
        except (RepositoryNotFoundError, LocalEntryNotFoundError) as exc:
            raise unreachable_error(source, exc) from exc

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        config: dict | None = None,
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs,
    ):
        if config is None:
            raise Pix2PixHubError(f"{model_id}: no config.json was found, so the architecture is unknown.")
        known = set(inspect.signature(cls.__init__).parameters) - {"self"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise Pix2PixHubError(
                f"{model_id}: config.json has keys {unknown} that {cls.__name__} does not take "
                f"(it takes {sorted(known)}). Is this folder a different model class, or from a newer version?"
            )
        try:
            model = cls(**model_kwargs)
        except (TypeError, ValueError) as exc:
            raise Pix2PixHubError(f"{model_id}: config.json does not describe a valid {cls.__name__}: {exc}") from exc

        if os.path.isdir(model_id):
            weights_file = os.path.join(model_id, constants.SAFETENSORS_SINGLE_FILE)
            if not os.path.isfile(weights_file):
                raise Pix2PixHubError(f"{weights_file}: missing; the folder has a config but no weights.")
        else:
            try:
                weights_file = hf_hub_download(
                    repo_id=model_id,
                    filename=constants.SAFETENSORS_SINGLE_FILE,
                    revision=revision,
                    cache_dir=cache_dir,
                    force_download=force_download,
                    token=token,
                    local_files_only=local_files_only,
                )
            except EntryNotFoundError as exc:
                raise Pix2PixHubError(f"{model_id}: the repo has no {constants.SAFETENSORS_SINGLE_FILE}.") from exc
        try:
            state_dict = load_file(weights_file, device=str(map_location))
        except (SafetensorError, OSError) as exc:
            raise Pix2PixHubError(f"{weights_file}: not a readable safetensors file ({exc}).") from exc
        load_state_dict_checked(model, state_dict, weights_file, strict=strict)
        card_file = Path(weights_file).with_name("README.md")
        if card_file.is_file():
            model._loaded_card = ModelCard.load(card_file)
        model._source_dir = Path(weights_file).parent  # where its exported graphs may lie (pix2pix_hub.quantization)
        model.eval()
        return model


def task_model_source(name: str, class_name: str = "Pix2PixGenerator") -> str:
    """Where a task name's model lives: its bundled zoo folder (the discriminator/ inside it for
    `PatchGANDiscriminator`), else its zoo repo id on the Hub."""
    task = TASKS[name]
    if not task.bundled:
        return task.hub_repo_id
    if class_name == "PatchGANDiscriminator":
        folder = task.zoo_dir / DISCRIMINATOR_SUBFOLDER
        if not (folder / constants.CONFIG_NAME).is_file():
            raise Pix2PixHubError(
                f"{name}: the bundled model ships no discriminator ({folder} is missing); train one with "
                f"`accelerate launch train/train.py --task {name}`, or load a run's OUTPUT_DIR/{DISCRIMINATOR_SUBFOLDER}."
            )
        return str(folder)
    return str(task.zoo_dir)


def locate_model(source: str, class_name: str = "Pix2PixGenerator", hub_kwargs: dict | None = None) -> str:
    """Where to load `source` from: a model folder as given; a task name as its bundled zoo model (else its zoo
    repo id); a Hub repo id as given when its config.json can be fetched, else, for a zoo repo id
    (`pix2pix-hub/<task>`), the same model bundled in `model_zoo/<task>/` (with a one-line notice). A missing folder,
    a mistyped task name or an unreachable repo is a `Pix2PixHubError`."""
    if source in TASKS and not os.path.isdir(source):
        source = task_model_source(source, class_name)
    check_model_source(source, class_name)
    if os.path.isdir(source):
        return source
    nearest = nearest_task(source)
    if nearest and "/" not in source:
        raise Pix2PixHubError(
            f"{source}: no such task, model folder or Hub repo. Did you mean {nearest!r}? "
            "(`pix2pix-hub tasks` lists the tasks.)"
        )
    download_kwargs = {
        k: v for k, v in (hub_kwargs or {}).items() if k in ("revision", "cache_dir", "token", "local_files_only")
    }
    try:
        hf_hub_download(source, constants.CONFIG_NAME, **download_kwargs)
    except HFValidationError as exc:
        raise Pix2PixHubError(f"{source}: neither a model folder nor a valid Hub repo id ({exc}).") from exc
    except LocalEntryNotFoundError as exc:
        bundled = bundled_model_for(source) if download_kwargs.get("revision") is None else None
        if bundled is None:
            raise unreachable_error(source, exc) from exc
        logger.warning("%s: the Hub cannot be reached; using the same model bundled in %s", source, bundled)
        return str(bundled)
    except (RepositoryNotFoundError, EntryNotFoundError) as exc:
        raise unreachable_error(source, exc) from exc
    return source


def unreachable_error(source: str, exc: Exception) -> Pix2PixHubError:
    """The error for a repo id that could not be loaded: not found, or not cached while the Hub is unreachable;
    with the nearest task name when the id looks like a mistyped zoo repo."""
    nearest = nearest_task(source) if source.startswith(f"{HUB_NAMESPACE}/") else None
    typed = source.split("/", 1)[-1]
    hint = f" Did you mean {HUB_NAMESPACE}/{nearest} (task {nearest!r})?" if nearest and nearest != typed else ""
    if isinstance(exc, LocalEntryNotFoundError):
        return Pix2PixHubError(
            f"{source}: not in the local cache and the Hub cannot be reached (offline mode is "
            f"{'on' if constants.HF_HUB_OFFLINE else 'off'}). Download it once while online, or give a local "
            f"folder.{hint}"
        )
    if isinstance(exc, EntryNotFoundError):
        return Pix2PixHubError(f"{source}: the repo has no {constants.CONFIG_NAME}; not a pix2pix_hub model.")
    return Pix2PixHubError(f"{source}: no such repo on {constants.ENDPOINT}; check the id and your token.{hint}")


def check_model_source(source: str, class_name: str = "Pix2PixGenerator") -> None:
    """Refuse early a local path that is missing or is not a saved model folder (no config.json)."""
    looks_local = os.path.exists(source) or source.startswith((".", "/", "~")) or source.count("/") > 1
    if looks_local and not os.path.isdir(source):
        raise Pix2PixHubError(
            f"{source}: no such model folder. Give a folder written by save_pretrained "
            "(config.json + model.safetensors) or a Hub repo id such as 'org/name'."
        )
    if os.path.isdir(source) and not os.path.isfile(os.path.join(source, constants.CONFIG_NAME)):
        raise Pix2PixHubError(
            f"{source}: not a {class_name} folder (no config.json). Save one with "
            f"{class_name}.save_pretrained(folder), or convert a reference checkpoint with `pix2pix-hub convert`."
        )


def load_state_dict_checked(
    model: nn.Module, state_dict: dict[str, torch.Tensor], source: str, strict: bool = True
) -> None:
    """`load_state_dict` whose failure names the file and says which keys or shapes disagree with the config."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    wrong_shape = sorted(k for k in set(own) & set(state_dict) if own[k].shape != state_dict[k].shape)
    if wrong_shape or (strict and (missing or unexpected)):
        details = []
        if wrong_shape:
            k = wrong_shape[0]
            details.append(
                f"{len(wrong_shape)} tensors of the wrong shape (e.g. {k}: file {tuple(state_dict[k].shape)}, "
                f"model {tuple(own[k].shape)})"
            )
        if strict and missing:
            details.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if strict and unexpected:
            details.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        raise Pix2PixHubError(
            f"{source}: the weights do not match {type(model).__name__} as configured: {'; '.join(details)}. "
            "The config.json beside them must be the one they were saved with."
        )
    model.load_state_dict(state_dict, strict=strict)
