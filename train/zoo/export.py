"""Evaluate a finished zoo training run at 256x256 and export it to model_zoo/TASK (fp16 weights, config, card).

    python train/zoo/export.py facades-labels2photo --run_dir runs/facades-labels2photo

The card is rendered once from variables: the run's facts (OUTPUT_DIR/logs/card_facts.json, written by train.py),
the zoo's evaluation, the registries (datasets' terms, the paper's results) and the task's prose
(model_cards/tasks/TASK.md), through the templates in model_cards/.
"""

from __future__ import annotations

import argparse
import json
import re
import warnings
from pathlib import Path

import jinja2
from huggingface_hub import EvalResult
from PIL import Image

from pix2pix_hub.card_files import MODEL_CARDS_DIR, card_template
from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.evaluation import evaluate
from pix2pix_hub.evaluation.metrics import METRIC_DESCRIPTIONS
from pix2pix_hub.measures import get_measure
from pix2pix_hub.models import Pix2PixGenerator
from pix2pix_hub.paired_datasets import DATASETS, NON_COMMERCIAL_LICENSE, eval_split_of, is_non_commercial
from pix2pix_hub.paper_results import (
    PAPER_RESULTS,
    describe_scores,
    format_values,
    ground_truth_scores,
    reaches_paper,
)
from pix2pix_hub.tasks import Task, find_dataset_dir, get_task
from pix2pix_hub.training.arguments import closest_recipe, learned, reproduce_line
from pix2pix_hub.training.card import SAMPLES_FILE, generator_card, read_card_facts, sample_grid
from pix2pix_hub.web_export import web_section
from pix2pix_hub.zoo import (
    EVAL_PAIRS,
    EVAL_SIZE,
    FACTS_FILE,
    METRICS_FILE,
    evaluate_task,
    export_to_zoo,
    measure_scores,
    model_facts_from_card,
    write_model_facts,
    zoo_size_bytes,
)

NO_PAPER_FIGURE = "The paper shows this task qualitatively only; it gives no figure to compare with."
NOT_INSPECTED = "Not yet inspected by a person; see the samples below."


def paper_measure(task: Task, run_dir: Path, max_samples: int) -> dict[str, float]:
    """The paper's measure for the task (FCN-score, label accuracy) by `pix2pix_hub.evaluation`, on the same held-out
    pairs; empty when the task has none or it cannot be computed yet (e.g. no bundled segmenter)."""
    keys = get_measure(task.evaluation).keys
    if not keys:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = evaluate(task.datasets[0], str(run_dir), task=task.name, max_images=max_samples, progress=False)
        except Pix2PixHubError as exc:
            print(f"{task.name}: the paper's measure could not be computed: {exc}")
            return {}
        measure = {key: float(result[key]) for key in keys if key in result}
        if measure and get_measure(task.evaluation).needs_segmenter:  # the segmenter on the real photos: the ceiling
            real = evaluate(task.datasets[0], task=task.name, real=True, max_images=max_samples, progress=False)
            measure.update({f"real_{key}": float(real[key]) for key in keys})
    return measure


def log_summary(run_dir: Path) -> str:
    """Mean losses over the first and last 20 logged steps, from logs/train_log.jsonl."""
    path = run_dir / "logs" / "train_log.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    keys = [k for k in rows[0] if k.startswith("loss")]

    def mean(part: list[dict]) -> str:
        return ", ".join(f"{k} {sum(r[k] for r in part) / len(part):.3f}" for k in keys)

    return (
        f"{len(rows)} steps logged. Mean of the first 20 steps: {mean(rows[:20])}. "
        f"Mean of the last 20 steps: {mean(rows[-20:])}."
    )


def task_prose(task: Task) -> dict[str, str]:
    """The task's own card prose (model_cards/tasks/TASK.md) rendered, one flowing paragraph per `## ` heading;
    empty for a task without a file."""
    path = MODEL_CARDS_DIR / "tasks" / f"{task.name}.md"
    if not path.is_file():
        return {}
    photo_halves = ", ".join(
        f"{name} {DATASETS[name].photos} ({DATASETS[name].photo_half})" for name in task.datasets if name in DATASETS
    )
    text = jinja2.Template(path.read_text(encoding="utf-8"), undefined=jinja2.StrictUndefined).render(
        task=task,
        photo_halves=photo_halves,
        paper={r.method: r for r in PAPER_RESULTS if r.task == task.name},
        scores=lambda r: describe_scores(r.values),
        values=lambda r: format_values(r.values),
        fooled=lambda r: f"{r.values[0]:.1f}% +- {r.values[1]:.1f}%",
    )
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {heading.strip(): " ".join(body.split()) for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


def reaches_paper_row(task: Task, measure: dict[str, float]) -> bool:
    """Whether the model's own score by the paper's measure reaches the paper's L1+cGAN row (paper_results)."""
    scores = measure_scores(task, measure)
    return scores is not None and reaches_paper(task.name, *scores)


def gap_text(measure: dict[str, float], paper_has_figure: bool, reached: bool) -> str:
    """How the model's own score stands against the paper's figure above it in the card."""
    if not (measure and paper_has_figure):
        return "L1, PSNR and SSIM reward blur and are not the paper's measures, so there is no like-for-like gap."
    if reached:
        return "The paper scored its whole val split."
    return "The gap to the paper is the difference of the two lines above (the paper scored its whole val split)."


def measured_text(task: Task, measure: dict[str, float], pairs: int) -> str:
    """This model's own score by the paper's measure, or what is not computed yet."""
    paper_measure = get_measure(task.evaluation)
    if not measure:
        return paper_measure.not_computed
    values = describe_scores([measure[key] for key in paper_measure.keys])
    if all(f"real_{key}" in measure for key in paper_measure.keys):
        ceiling = ground_truth_scores(task.palette)
        values += (
            f" (the same segmenter on the real photos: {format_values([measure[f'real_{k}'] for k in paper_measure.keys])}"
            "; the model's scores are relative to these"
            + (
                f", as the paper's are to its {format_values(ceiling)})"
                if ceiling
                else f"; the paper has no {paper_measure.title} for this dataset)"
            )
        )
    return f"**This model's {paper_measure.card_title}**, first {pairs} `{eval_split_of(task.datasets[0])}` pairs: {values}. "


def portable(text: str, task: Task) -> str:
    """This machine's checkout and dataset folders -> repository-relative paths and dataset names."""
    for name in task.datasets:
        folder = find_dataset_dir(name)
        text = text.replace(str(folder.resolve()), name).replace(str(folder), name)
    return text.replace(f"{Path.cwd()}/", "")


def zoo_sections(
    task: Task, run_dir: Path, facts: dict, metrics: dict[str, dict[str, float]], measure: dict[str, float]
) -> str:
    """The zoo card's own sections (model_cards/zoo_section.md): data and terms, what the outputs look like, the
    evaluation next to the paper, and how to reproduce the run."""
    prose = task_prose(task)
    paper_training = prose.get("Paper training") or "; ".join(DATASETS[name].paper_training for name in task.datasets)
    command = (run_dir / "command.txt").read_text().strip() if (run_dir / "command.txt").is_file() else ""
    template = jinja2.Template(card_template("zoo_section.md"), undefined=jinja2.StrictUndefined)
    reached = reaches_paper_row(task, measure)
    rendered = template.render(
        task=task,
        data_text=prose.get("Data") or f"The train split of `{task.datasets[0]}`, direction `{task.direction}`.",
        terms=[DATASETS[name].terms for name in task.datasets if name in DATASETS],
        observations=prose.get("What the outputs look like") or NOT_INSPECTED,
        eval_size=EVAL_SIZE,
        rows=[
            {"name": name, "split": eval_split_of(name) if name != "all" else "all", "m": m}
            for name, m in metrics.items()
            if name != "all" or len(metrics) > 2
        ],
        ratio=lambda m, key: f"{m[key]:.2f}" if key in m else "-",
        metric_descriptions=METRIC_DESCRIPTIONS,
        paper_text=prose.get("Paper") or NO_PAPER_FIGURE,
        measured=measured_text(task, measure, int(metrics[task.datasets[0]]["num_images"])),
        gap=gap_text(measure, "Paper" in prose, reached),
        length_note="It reaches the paper's L1+cGAN row by this measure with far less training:"
        if reached
        else "The gap is mostly training length:",
        paper_training=paper_training,
        reproduce=reproduce_line(facts["arguments"]),
        wall_time=facts["wall_time"],
        hardware=facts["hardware"],
        images_seen=f"{facts['global_step'] * facts['images_per_step']:,}",
        command=portable(command, task),
        log_summary=log_summary(run_dir),
    )
    # the ONNX files' figures, stored by `pix2pix-hub export-web` (onnx_check.json), so a re-render keeps them
    return rendered.rstrip("\n") + "\n\n" + finetune_section(task) + web_section(task)


#: the heading of the card section `finetune_section` renders (and `--finetune_section` replaces in place)
FINETUNE_HEADING = "## Continue training or fine-tune"


def finetune_section(task: Task) -> str:
    """How to continue training or fine-tune the zoo model from its shipped G and D (model_cards/finetune_section.md)
    with its recipe (pix2pix_hub/recipes.py), the architecture coming from the folder."""
    template = jinja2.Template(card_template("finetune_section.md"), undefined=jinja2.StrictUndefined)
    return template.render(task=task).rstrip("\n") + "\n\n"


def replace_finetune_section(card: str, section: str) -> str:
    """The card with its fine-tuning section replaced by `section`, or inserted before its training section."""
    start = card.find(FINETUNE_HEADING)
    if start >= 0:
        end = card.find("\n## ", start + len(FINETUNE_HEADING))
        return card[:start] + section + (card[end + 1 :] if end >= 0 else "")
    training = card.find("\n## Training")
    if training < 0:
        return card.rstrip("\n") + "\n\n" + section
    return card[: training + 1] + section + card[training + 1 :]


def build_card(
    task: Task,
    run_dir: Path,
    metrics: dict[str, dict[str, float]],
    measure: dict[str, float] | None = None,
    generator: Pix2PixGenerator | None = None,
) -> str:
    """The zoo card, rendered from the run's facts with the zoo sections before its training section."""
    facts = read_card_facts(run_dir)
    facts = {
        **facts,
        "dataset": portable(str(facts["dataset"]), task),
        "arguments": {k: portable(v, task) if isinstance(v, str) else v for k, v in facts["arguments"].items()},
    }
    generator = generator or Pix2PixGenerator.from_pretrained(run_dir)
    sections = zoo_sections(task, run_dir, facts, metrics, measure or {})
    card = generator_card(generator, facts, task.hub_repo_id, zoo_sections=sections, pipeline_task=task.name)
    card.data.model_name = task.hub_repo_id
    if is_non_commercial(task.datasets):
        for key, value in NON_COMMERCIAL_LICENSE.items():
            setattr(card.data, key, value)
    card.data.eval_results = [
        EvalResult(
            task_type="image-to-image",
            dataset_type=name,
            dataset_name=name,
            dataset_split=eval_split_of(name),
            metric_type=key,
            metric_value=round(float(m[key]), 4),
        )
        for name, m in metrics.items()
        if name != "all"
        for key in METRIC_DESCRIPTIONS
        if key in m
    ]
    return str(card)


def write_facts(folder: Path, card: str, run_dir: Path) -> None:
    """The zoo folder's card facts as data (FACTS_FILE: what the Space and `zoo list` show), with the run's recipe."""
    arguments = read_card_facts(run_dir)["arguments"]
    recipe = closest_recipe(arguments)
    write_model_facts(folder, model_facts_from_card(card, learned(arguments), recipe.name if recipe else None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task")
    parser.add_argument("--run_dir", type=Path, help="The train.py output folder (default: runs/TASK).")
    parser.add_argument("--max_samples", type=int, default=EVAL_PAIRS, help="Held-out pairs per dataset.")
    parser.add_argument(
        "--card_only",
        action="store_true",
        help="Only rewrite the zoo folder's card from its metrics.json (after editing model_cards/); no evaluation.",
    )
    parser.add_argument(
        "--finetune_section",
        action="store_true",
        help="Only write the card's fine-tuning section (after model_cards/finetune_section.md changed, or for a "
        "model whose run folder is not here), from the training arguments the card lists.",
    )
    args = parser.parse_args()
    task = get_task(args.task)
    run_dir = args.run_dir or Path("runs") / task.name
    if args.finetune_section:
        card_file = task.zoo_dir / "README.md"
        card = card_file.read_text()
        card_file.write_text(replace_finetune_section(card, finetune_section(task)))
        print(f"rewrote the fine-tuning section of {card_file}")
        return
    if args.card_only:
        metrics = json.loads((task.zoo_dir / METRICS_FILE).read_text())
        measure = metrics.pop("paper_measure", {})
        card = build_card(task, run_dir, metrics, measure)
        (task.zoo_dir / "README.md").write_text(card)
        write_facts(task.zoo_dir, card, run_dir)
        print(f"rewrote {task.zoo_dir / 'README.md'} and {FACTS_FILE}")
        return
    generator = Pix2PixGenerator.from_pretrained(run_dir)
    metrics = evaluate_task(generator, task, max_samples=args.max_samples)
    grid = sample_grid(generator, task, EVAL_SIZE)  # drawn inputs at the size the Space serves, halved to stay small
    grid.resize((grid.width // 2, grid.height // 2), Image.LANCZOS).save(run_dir / SAMPLES_FILE, optimize=True)
    measure = paper_measure(task, run_dir, args.max_samples)
    card = build_card(task, run_dir, metrics, measure, generator)
    folder = export_to_zoo(run_dir, task, card)
    write_facts(folder, card, run_dir)
    (folder / METRICS_FILE).write_text(json.dumps({**metrics, "paper_measure": measure}, indent=2) + "\n")
    print(json.dumps({"task": task.name, "folder": str(folder), "metrics": metrics["all"]}))
    print(f"zoo weights now {zoo_size_bytes() / 2**20:.1f} MiB in total")


if __name__ == "__main__":
    main()
