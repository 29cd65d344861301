"""The model zoo: export a training run into `model_zoo/<task>/` (fp16 weights, config, card), evaluate it at 256x256
on the task's held-out pairs, and push every zoo folder to a Hub namespace.

`train/zoo/train_task.sh TASK` trains and calls `train/zoo/export.py`, which uses this module.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .data import PairedTransform, load_paired_dataset
from .errors import Pix2PixHubError
from .evaluation.metrics import METRIC_DISPLAY, PER_IMAGE_METRICS, ImageScores, headline_metrics
from .images import pil_to_tensor, tensor_to_pil
from .input_kinds import eval_input, get_input_kind
from .measures import get_measure
from .models import Pix2PixGenerator
from .models.hub_model import DISCRIMINATOR_SUBFOLDER
from .paired_datasets import eval_split_of
from .paper_results import paper_result
from .quantization import ONNX_DIR
from .task_data import task_sources
from .tasks import TASKS, WEIGHTS_FILE, ZOO_DIR, Task, find_dataset_dir, get_task
from .training.metrics import score_generator

#: the files a zoo folder holds: the evaluation and the card's facts as data beside the card (the Space and
#: `pix2pix-hub zoo list` read these, never the rendered README); the onnx/ folder is made by `pix2pix-hub
#: export-web` (never committed), which keeps its figures for the card in ONNX_CHECK_FILE (committed)
METRICS_FILE = "metrics.json"
FACTS_FILE = "model_facts.json"
ONNX_CHECK_FILE = "onnx_check.json"
ZOO_FILES = (
    "config.json",
    WEIGHTS_FILE,
    "README.md",
    "samples.png",
    METRICS_FILE,
    FACTS_FILE,
    ONNX_CHECK_FILE,
    f"{DISCRIMINATOR_SUBFOLDER}/*",
    f"{ONNX_DIR}/*",
)
#: all zoo weights together must stay below this (the repository stays light)
ZOO_BUDGET_BYTES = 80 * 1024 * 1024
#: the discriminators shipped beside the generators (for --init_from), all together, outside the generators' budget
DISCRIMINATORS_BUDGET_BYTES = 6 * 1024 * 1024
#: the collection's description on the Hub
TASKS_SUMMARY = "pix2pix (Isola et al., CVPR 2017) generators for every task of the paper with data, by pix2pix_hub"
#: the zoo's evaluation resolution: the paper's 256x256, the size the Space serves
EVAL_SIZE = 256
#: held-out pairs per dataset that the zoo's metrics are measured on (the first ones of the eval split)
EVAL_PAIRS = 100


def zoo_tasks() -> list[Task]:
    """The tasks that have a zoo folder with weights now."""
    return [task for task in TASKS.values() if task.bundled]


def zoo_size_bytes() -> int:
    """Total size of the zoo's weight files: every task's generator and the evaluation's segmenters."""
    return sum(path.stat().st_size for path in ZOO_DIR.glob(f"*/{WEIGHTS_FILE}"))


def discriminators_size_bytes() -> int:
    """Total size of the zoo's discriminator weights (shipped for training, outside the generators' budget)."""
    return sum(path.stat().st_size for path in ZOO_DIR.glob(f"*/{DISCRIMINATOR_SUBFOLDER}/{WEIGHTS_FILE}"))


def eval_batches(task: Task, dataset: str, max_samples: int | None = EVAL_PAIRS, size: int = EVAL_SIZE) -> list[dict]:
    """The first `max_samples` pairs of the dataset's eval split as the task sees them (inputs by its kind's
    `eval_input`), resized to `size`: batches of 8 `{"input", "target"}` tensors in [-1, 1]."""
    direction = next(source.direction for source in task_sources(task) if source.dataset == dataset)
    pairs = load_paired_dataset(find_dataset_dir(dataset), eval_split_of(dataset), direction=direction)
    transform = PairedTransform(size, size, train=False)
    count = len(pairs) if max_samples is None else min(max_samples, len(pairs))
    batches = []
    for start in range(0, count, 8):
        rows = [pairs[i] for i in range(start, min(start + 8, count))]
        tensors = [
            transform(eval_input(task, row["input"], row["target"], start + k), row["target"])
            for k, row in enumerate(rows)
        ]
        batches.append({key: torch.stack([t[key] for t in tensors]) for key in ("input", "target")})
    return batches


def served(task: Task, inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
    """Outputs as the Space serves them: the input's known part kept where the task's kind has one (colorization
    keeps the input's brightness, inpainting the pixels outside the hole); tensors in [-1, 1]."""
    keep = get_input_kind(task.input_kind).keep_known
    if keep is None:  # nothing to restore: the outputs as they are, not rounded through 8-bit images
        return outputs
    return torch.stack(
        [
            pil_to_tensor(keep(tensor_to_pil(i), tensor_to_pil(o)).convert("RGB"))
            for i, o in zip(inputs, outputs, strict=True)
        ]
    )


@torch.no_grad()
def evaluate_task(
    generator: Pix2PixGenerator,
    task: Task | str,
    max_samples: int | None = EVAL_PAIRS,
    size: int = EVAL_SIZE,
    as_served: bool = False,
) -> dict[str, dict[str, float]]:
    """Image metrics at `size` on the eval split of each of the task's datasets (the first `max_samples` pairs
    of each), plus all of them together under "all"; `as_served` scores the outputs as the Space shows them."""
    task = get_task(task) if isinstance(task, str) else task
    if not task.has_data:
        raise Pix2PixHubError(f"task {task.name!r} has no evaluation data here: {task.note}")
    postprocess = functools.partial(served, task) if as_served else None
    scores = {
        name: score_generator(generator, eval_batches(task, name, max_samples, size), postprocess=postprocess)
        for name in task.datasets
    }
    results = {name: part.compute() for name, part in scores.items()}
    results["all"] = ImageScores.merged(list(scores.values())).compute()
    return results


def cast_weights(source: str | os.PathLike, target: str | os.PathLike, dtype: torch.dtype = torch.float16) -> None:
    """Write `source`'s safetensors weights to `target` with floating-point tensors cast to `dtype` (the zoo ships
    fp16: half the bytes, the same outputs to the eye)."""
    tensors = {k: v.to(dtype) if v.is_floating_point() else v for k, v in load_file(source).items()}
    save_file(tensors, target, metadata={"format": "pt"})


def export_to_zoo(
    run_dir: str | os.PathLike,
    task: Task | str,
    card: str,
    output_dir: str | os.PathLike | None = None,
    dtype: torch.dtype = torch.float16,
) -> Path:
    """Copy a training run's generator into the zoo folder: config.json, the weights cast to `dtype`, the given
    card text as README.md and the run's samples.png (made from drawn inputs only); returns the folder."""
    task = get_task(task) if isinstance(task, str) else task
    run_dir = Path(run_dir)
    output_dir = Path(output_dir) if output_dir is not None else task.zoo_dir
    if not (run_dir / WEIGHTS_FILE).is_file():
        raise Pix2PixHubError(f"{run_dir} has no {WEIGHTS_FILE}; finish the training run first (train/zoo/).")
    output_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / "config.json", output_dir / "config.json")
    cast_weights(run_dir / WEIGHTS_FILE, output_dir / WEIGHTS_FILE, dtype)
    if (run_dir / "samples.png").is_file():
        shutil.copyfile(run_dir / "samples.png", output_dir / "samples.png")
    (output_dir / "README.md").write_text(card)
    if (run_dir / DISCRIMINATOR_SUBFOLDER / WEIGHTS_FILE).is_file():
        export_discriminator(run_dir, output_dir, dtype=dtype)
    return output_dir


def export_discriminator(
    run_dir: str | os.PathLike, zoo_folder: str | os.PathLike, note: str = "", dtype: torch.dtype = torch.float16
) -> Path:
    """Copy a run's discriminator (OUTPUT_DIR/discriminator) into `zoo_folder`/discriminator, weights cast to
    `dtype`, with a short card: what training continues from (`--init_from`); `note` says how it was made."""
    source = Path(run_dir) / DISCRIMINATOR_SUBFOLDER
    target = Path(zoo_folder) / DISCRIMINATOR_SUBFOLDER
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "config.json", target / "config.json")
    cast_weights(source / WEIGHTS_FILE, target / WEIGHTS_FILE, dtype)
    task_name = Path(zoo_folder).name
    (target / "README.md").write_text(
        f"# Discriminator of the `{task_name}` zoo model\n\n"
        "The conditional PatchGAN that goes with the generator one folder up, in fp16. It is shipped so that "
        "training can continue from the model's state, e.g. fine-tuning on your own pairs:\n\n"
        f"    accelerate launch train/train.py --task {task_name} --init_from model_zoo/{task_name} ...\n\n"
        "Load it with `PatchGANDiscriminator.from_pretrained(...)`." + (f"\n\n{note}" if note else "") + "\n"
    )
    return target


def read_metrics(task: Task | str, folder: str | os.PathLike | None = None) -> dict | None:
    """The zoo evaluation stored next to a zoo folder's card (model_zoo/<task>/metrics.json, or `folder`'s), or
    None."""
    task = get_task(task) if isinstance(task, str) else task
    path = Path(folder if folder is not None else task.zoo_dir) / METRICS_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def card_section(card: str, heading: str) -> str:
    """The text under a `## heading` of a model card, up to the next heading of the same or a higher level."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^#{{1,2}} |\Z)", card, flags=re.M | re.S)
    return match.group(1).strip() if match else ""


@dataclass(frozen=True)
class ModelFacts:
    """What a zoo card and its metrics.json say about a model, for people deciding how far to trust it."""

    #: the card's training lines: data, optimizer steps and epochs, wall time and hardware
    training: list[str]
    #: L1, PSNR and SSIM at 256x256 on held-out pairs ("all" of metrics.json), empty when not evaluated
    metrics: dict[str, float]
    #: the paper's own measure as the zoo table prints it (see `paper_measure_cell`), "-" when there is none
    paper_measure: str
    #: the card's comparison with the paper (its "**Paper:**" paragraph)
    against_paper: str
    #: the card's "What the outputs look like" section
    outputs_look_like: str
    #: the card's first prose paragraph
    summary: str = ""


def card_summary(card: str, max_chars: int = 400) -> str:
    """First prose paragraph of a model card (after the front matter and headings), shortened for the UI."""
    text = re.sub(r"\A---\n.*?\n---\n", "", card, flags=re.S)
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if paragraph and not paragraph.startswith(("#", "<", "|", "```", "!", "-", "*")):
            flat = " ".join(paragraph.split())
            return flat if len(flat) <= max_chars else flat[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return ""


def model_facts_from_card(card: str, arguments: dict, recipe: str | None) -> dict:
    """The facts a zoo card states, as data (written at export time beside the card, as `FACTS_FILE`): its summary,
    training lines, comparison with the paper, what the outputs look like, and the run's recipe and arguments."""
    paper = re.search(r"^\*\*Paper:\*\* (.*)$", card_section(card, "Evaluation"), flags=re.M)
    return {
        "summary": card_summary(card),
        "training": [
            line.removeprefix("- ")
            for line in card_section(card, "Training").splitlines()
            if line.startswith(("- Dataset:", "- Steps:", "- Wall time:"))
        ],
        "against_paper": paper.group(1).strip() if paper else "",
        "outputs_look_like": card_section(card, "What the outputs look like"),
        "recipe": recipe,
        "arguments": arguments,
    }


def write_model_facts(folder: str | os.PathLike, facts: dict) -> Path:
    """Write a zoo folder's `FACTS_FILE`."""
    path = Path(folder) / FACTS_FILE
    path.write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_model_facts_file(folder: str | os.PathLike) -> dict | None:
    """A zoo folder's card facts (`FACTS_FILE`), or None when it has none."""
    path = Path(folder) / FACTS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def read_model_facts(task: Task | str, folder: str | os.PathLike | None = None) -> ModelFacts | None:
    """The facts of a zoo model from its folder's `FACTS_FILE` and `METRICS_FILE` (model_zoo/<task>/, or `folder`,
    e.g. a Hub download); None without a facts file."""
    task = get_task(task) if isinstance(task, str) else task
    folder = Path(folder if folder is not None else task.zoo_dir)
    facts = read_model_facts_file(folder)
    if facts is None:
        return None
    metrics = read_metrics(task, folder) or {}
    return ModelFacts(
        training=list(facts["training"]),
        metrics={k: v for k, v in metrics.get("all", {}).items() if k in (*PER_IMAGE_METRICS, "num_images")},
        paper_measure=paper_measure_cell(task, metrics),
        against_paper=facts["against_paper"],
        outputs_look_like=facts["outputs_look_like"],
        summary=facts.get("summary", ""),
    )


def measure_scores(task: Task, measure: dict[str, float]) -> tuple[list[float], list[float] | None] | None:
    """A zoo model's accuracies by the paper's measure (per-pixel, per-class, IoU) from its stored `paper_measure`,
    and the same segmenter's on the real photos where it has them; None when the measure is not stored."""
    keys = get_measure(task.evaluation).keys
    if not keys or not all(key in measure for key in keys):
        return None
    real = [measure[f"real_{key}"] for key in keys] if all(f"real_{key}" in measure for key in keys) else None
    return [measure[key] for key in keys], real


def paper_measure_cell(task: Task, metrics: dict) -> str:
    """The paper's own measure for the task (FCN-score or label accuracy: per-pixel / per-class / IoU) as stored by
    the zoo export, with the segmenter's score of the real photos (its ceiling) and the paper's L1+cGAN figure."""
    scores = measure_scores(task, metrics.get("paper_measure", {}))
    if scores is None:
        return "-"
    ours, real = scores

    def triple(values: list[float]) -> str:
        return " / ".join(f"{v:.2f}" for v in values)

    name = get_measure(task.evaluation).title
    notes = []
    if real is not None:
        notes.append(f"real photos {triple(real)}")
    paper = paper_result(task.name, "L1+cGAN")
    if paper and paper.measure == task.evaluation:
        notes.append(f"paper {triple(paper.values)}")
    return f"{name} {triple(ours)}" + (f" ({'; '.join(notes)})" if notes else "")


def zoo_table() -> str:
    """The zoo as a markdown table (task, repo id, size, metrics at 256x256, the paper's measure, card link) for
    the README."""
    names = [name for name, _ in METRIC_DISPLAY.values()]
    lines = [
        f"| task | Hub repo id | size | {' | '.join(names)} | paper's measure | card |",
        "|---|---|---|" + "---|" * len(names) + "---|---|",
    ]
    missing = " | ".join("-" for _ in names)
    for task in TASKS.values():
        weights = task.zoo_dir / WEIGHTS_FILE
        if not task.bundled:
            why = "no data here: train on your own pairs" if not task.has_data else "not trained yet"
            lines.append(f"| {task.name} | {task.hub_repo_id} | - | {missing} | - | {why} |")
            continue
        metrics = read_metrics(task) or {}
        m = metrics.get("all", {})
        scores = " | ".join(value for _, value in headline_metrics(m)) if m else missing
        card = f"[card](model_zoo/{task.name}/README.md)"
        lines.append(
            f"| {task.name} | {task.hub_repo_id} | {weights.stat().st_size / 2**20:.1f} MiB | {scores} | "
            f"{paper_measure_cell(task, metrics)} | {card} |"
        )
    return "\n".join(lines)
