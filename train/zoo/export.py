"""Evaluate a finished zoo training run at 256x256 and export it to model_zoo/TASK (fp16 weights, config, card).

    python train/zoo/export.py facades-labels2photo --run_dir runs/facades-labels2photo

The card is train.py's card with the zoo's evaluation, the paper's figures, the data's terms, a summary of the
training log and the command that reproduces the run.
"""

from __future__ import annotations

import argparse
import json
import re
import warnings
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard
from PIL import Image

from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.evaluation import evaluate
from pix2pix_hub.evaluation.report import SCORE_KEYS
from pix2pix_hub.evaluation.segmenter import PAPER_GROUND_TRUTH_SCORES
from pix2pix_hub.metadata import NON_COMMERCIAL_DATASETS, NON_COMMERCIAL_LICENSE
from pix2pix_hub.models import Pix2PixGenerator
from pix2pix_hub.tasks import Task, eval_split_of, find_dataset_dir, get_task
from pix2pix_hub.training.card import SAMPLES_FILE, sample_grid
from pix2pix_hub.training.metrics import METRIC_DESCRIPTIONS
from pix2pix_hub.zoo import EVAL_SIZE, evaluate_task, export_to_zoo, zoo_size_bytes

#: what the paper (Isola et al., CVPR 2017) reports for each task, quoted in the card next to this model's metrics
PAPER_FIGURES = {
    "cityscapes-labels2photo": "FCN-score of the paper's 256x256 U-Net with L1+cGAN after 200 epochs on all 2975 "
    "images (Table 1): per-pixel accuracy 0.66, per-class accuracy 0.23, class IoU 0.17 (real photos: 0.80, 0.26, "
    "0.21).",
    "cityscapes-photo2labels": "Label accuracy of the paper's L1+cGAN model (Table 6): per-pixel accuracy 0.83, "
    "per-class accuracy 0.36, class IoU 0.29 (L1 alone: 0.86, 0.42, 0.35).",
    "maps-map2aerial": "The paper reports only a perceptual study (Table 4): 18.9% +- 2.5% of its L1+cGAN aerial "
    "photos were taken for real by Mechanical Turk workers.",
    "maps-aerial2map": "The paper reports only a perceptual study (Table 4): 6.1% +- 1.3% of its L1+cGAN maps were "
    "taken for real.",
    "colorization": "The paper's colorization (ImageNet, Table 5) fooled 22.5% +- 1.6% of Mechanical Turk workers; "
    "it trained on far more photos, so no figure here is comparable.",
}
#: the paper's training length per dataset (its appendix 6.2), for the gap this short run leaves
PAPER_TRAINING = {
    "facades": "200 epochs on all 400 facades pairs, batch 1",
    "cityscapes": "200 epochs on all 2975 cityscapes pairs, batch 1",
    "maps": "200 epochs on all 1096 maps pairs, batch 1",
    "edges2shoes": "15 epochs on all 50k edges2shoes pairs, batch 4",
    "edges2handbags": "15 epochs on all 137k edges2handbags pairs, batch 4",
}
PAPER_TASK_TRAINING = {
    "colorization": "colorization trained on ImageNet (1.2M images, about 6 epochs, batch 4)",
    "inpainting": "none for inpainting (its other models trained for 15 to 200 epochs on the full datasets)",
}
NO_PAPER_FIGURE = "The paper shows this task qualitatively only; it gives no figure to compare with."

#: what a person sees in the outputs (the drawn samples, and held-out pairs looked at but not committed), per task
OBSERVATIONS = {
    "facades-labels2photo": "Plausible, blurry facades that follow the label layout: framed windows with sills, "
    "cornices and balconies where the labels put them, ochre and grey plaster, a sky above; fine texture is "
    "smeared and the shop floor is vague. No checkerboard: this model uses the resize-convolution decoder. The "
    "same recipe with the paper's transposed convolutions, trained for the same 2500 steps, scores the same "
    "(L1 0.369, FCN-score 0.61 / 0.31 / 0.22) but covers every facade in a fine grid with dirty streaks and "
    "blotchy skies (docs/zoo.md).",
    "edges2shoes": "Brown leather shoes that fill the outline, with laces, straps and seams drawn along the edges "
    "and a sole; no checkerboard (resize-convolution decoder). Colour is almost always brown with blue-grey "
    "highlights whatever the real shoe's (purple and black shoes come out brown), and material detail is smeared. "
    "Better than the 400-step run it replaced (L1 0.209 -> 0.192, SSIM 0.678 -> 0.726), a dark fill with a smear "
    "below the sole.",
    "cityscapes-labels2photo": "Dark, green-grey street scenes laid out by the labels: road with kerb lines, "
    "facades, tree masses, gaps of sky and car shapes where the labels put them. No fine checkerboard "
    "(resize-convolution decoder), but a blocky texture with vertical streaks on the facades, no real colours, and "
    "people and signs as smudges. The transposed-convolution run of the same 3000 steps scored L1 0.275 and "
    "FCN-score 0.81 / 0.28 / 0.23 (this one: 0.270 and 0.78 / 0.31 / 0.24) with a grid over the whole image.",
    "cityscapes-photo2labels": "Label maps whose big regions are right: road, sidewalk, buildings, vegetation, sky "
    "and the ego car's bonnet. Cars come out as blue blobs, but dark road shadows are also painted as cars; poles, "
    "signs and people become noisy speckles of off-palette colours, and building areas show a fine checkerboard "
    "grid (the evaluation snaps each pixel to the nearest class colour). Label accuracy rose from 0.70 / 0.29 / "
    "0.23 at 400 steps to 0.76 / 0.39 / 0.28.",
    "edges2handbags": "Dark leather handbags that fill the outline, with straps, seams and buckles following the "
    "edges and soft highlights; no checkerboard (resize-convolution decoder). Colour is nearly always dark grey-"
    "brown with magenta or red patches, so white and tan bags come out dark, and details inside the bag smear. "
    "Better than the 400-step run it replaced (L1 0.374 -> 0.274, SSIM 0.509 -> 0.604), which filled every bag "
    "with one greyish tone.",
    "maps-map2aerial": "Aerial-photo texture laid out by the map: streets as dark lines, blocks filled with bright "
    "rooftop clutter, canals as dark channels. Mostly grey, with little colour (parks are not green, water is not "
    "blue) and a coarse blocky texture up close. Its L1 is a little worse than the 400-step run's (0.252 -> 0.267) "
    "because it now draws rooftop detail where that run drew a flat dark average; SSIM rose (0.174 -> 0.210).",
    "sketch2photo": "Smooth, dark leather-like shoes and bags that fill the sketch's outline, with no checkerboard "
    "(resize-convolution decoder). The strokes come out as raised seams with speckled highlights along them, and "
    "nearly every object is dark grey-brown with reddish patches whatever its real colour (a white bag and a red "
    "sneaker come out dark); paper mode adds bright blotches to large flat areas. The transposed-convolution run "
    "of 4000 steps scored the same (L1 0.248, SSIM 0.609 against 0.247, 0.625 here) with a grid over every object.",
    "colorization": "Sharp copies of the grayscale input in muted, mostly plausible colours: beige and ochre facades, "
    "brown leather shoes, green-grey trees and aerial blocks; strong colours are missed (a yellow taxi stays white, "
    "a red shoe comes out brown) and dark objects get a green-grey cast. In paper mode (dropout on) aerial photos "
    "get white blotches. Better than the 400-step run it replaced, which added almost no colour (L1 0.094 -> "
    "0.077, SSIM 0.73 -> 0.83). The Space keeps the input's own brightness and takes only the colour from it.",
    "inpainting": "Keeps the photo outside the hole, softened and with a slight green-grey colour cast, and fills "
    "the hole with a repetitive checkered texture in roughly the surrounding tones: no structure (windows, edges, "
    "straps) is continued into it, so the hole stays plainly visible. Pasting the output into the hole only "
    "(keeping the input's own pixels elsewhere) removes the colour cast. Better than the 400-step run it replaced "
    "(L1 0.145 -> 0.103), which also desaturated the whole image.",
    "maps-aerial2map": "Pale map background with faint white street lines that follow the direction of the photo's "
    "street grid, broken and not always at the streets' exact positions; parks and water rarely get their "
    "colours. With dropout on (paper mode), and on inputs unlike aerial photos such as the drawn samples, it "
    "hallucinates a honeycomb of white lines. Better than the 1000-step run it replaced (blank tiles; L1 0.088 -> "
    "0.079) but far from a usable map.",
}
DATA_TERMS = {
    "facades": "CMP Facade Database (Tylecek and Sara, GCPR 2013): follow its release terms.",
    "cityscapes": "Cityscapes (Cordts et al., CVPR 2016): **non-commercial use only** under its terms of use.",
    "maps": "Google Maps imagery of New York City scraped by the pix2pix authors: covered by Google's terms; "
    "**non-commercial research use only**.",
    "edges2shoes": "UT Zappos50K (Yu and Grauman, CVPR 2014) photos with HED edges by the pix2pix authors: "
    "research use.",
    "edges2handbags": "Amazon handbag photos collected for iGAN (Zhu et al., ECCV 2016) with HED edges by the pix2pix "
    "authors: research use.",
}
PHOTO_HALVES = {
    "facades": "facade photos (A)",
    "cityscapes": "street photos (A)",
    "maps": "aerial photos (A)",
    "edges2shoes": "shoe photos (B)",
    "edges2handbags": "handbag photos (B)",
}


def paper_measure(task: Task, run_dir: Path, max_samples: int) -> dict[str, float]:
    """The paper's measure for the task (FCN-score, label accuracy) by `pix2pix_hub.evaluation`, on the same held-out
    pairs; empty when the task has none or it cannot be computed yet (e.g. no bundled segmenter)."""
    if task.evaluation not in SCORE_KEYS:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = evaluate(task.datasets[0], str(run_dir), task=task.name, max_images=max_samples, progress=False)
        except Pix2PixHubError as exc:
            print(f"{task.name}: the paper's measure could not be computed: {exc}")
            return {}
        measure = {key: float(result[key]) for key in SCORE_KEYS[task.evaluation] if key in result}
        if measure and task.evaluation == "fcn":  # the segmenter's score on the real photos: the ceiling
            real = evaluate(task.datasets[0], task=task.name, real=True, max_images=max_samples, progress=False)
            measure.update({f"real_{key}": float(real[key]) for key in SCORE_KEYS["fcn"]})
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


def data_section(task: Task) -> str:
    """Which data the model saw and the data's terms."""
    if task.derived_from_photos:
        used = ", ".join(f"{name} {PHOTO_HALVES[name]}" for name in task.datasets)
        what = (
            f"The train split's photo halves of every local dataset ({used}), collected by "
            "`train/zoo/prepare_data.py photos` into one photo|photo folder; the input is made from the photo on "
            f"the fly ({task.input_kind}, `pix2pix_hub.augment` / `pix2pix_hub.training.data.PAIR_MAKERS`)."
        )
    elif task.input_kind == "sketch":
        what = (
            "The train splits of edges2shoes and edges2handbags together (`train/zoo/prepare_data.py sketch2photo`, "
            "symlinks), with every edge map roughened on the fly to look like hand strokes "
            "(`pix2pix_hub.augment.sketchify`: thickened strokes, elastic wobble, dropped segments, blur)."
        )
    else:
        what = f"The train split of `{task.datasets[0]}`, direction `{task.direction}`."
    terms = "\n".join(f"- {DATA_TERMS[name]}" for name in task.datasets)
    return f"## Data\n\n{what} The subsets are described in the datasets' README.\n\n{terms}\n"


def _ratio(metrics: dict[str, float], key: str) -> str:
    return f"{metrics[key]:.2f}" if key in metrics else "-"


def evaluation_section(task: Task, metrics: dict[str, dict[str, float]], measure: dict[str, float]) -> str:
    """Markdown table of L1/PSNR/SSIM per dataset, the paper's figure and what is pending."""
    rows = "\n".join(
        f"| {name} | {eval_split_of(name) if name != 'all' else 'all'} | {m['num_images']:.0f} | {m['l1']:.4f} | "
        f"{m['psnr']:.2f} | {m['ssim']:.4f} | {_ratio(m, 'detail_ratio')} | {_ratio(m, 'colour_ratio')} |"
        for name, m in metrics.items()
        if name != "all" or len(metrics) > 2
    )
    paper_training = PAPER_TASK_TRAINING.get(task.name) or "; ".join(PAPER_TRAINING[name] for name in task.datasets)
    meanings = "\n".join(f"- {name}: {text}" for name, text in METRIC_DESCRIPTIONS.items())
    pending = ""
    if measure:
        names = {
            "pixel_accuracy": "per-pixel accuracy",
            "class_accuracy": "per-class accuracy",
            "class_iou": "class IoU",
        }
        values = ", ".join(
            f"{names[key.removeprefix('fcn_')]} {value:.2f}"
            for key, value in measure.items()
            if key in names or key.startswith("fcn_")
        )
        if "real_fcn_pixel_accuracy" in measure:
            paper_ceiling = PAPER_GROUND_TRUTH_SCORES.get(task.palette)
            values += (
                " (the same segmenter on the real photos: "
                + ", ".join(
                    f"{measure[f'real_fcn_{key}']:.2f}" for key in ("pixel_accuracy", "class_accuracy", "class_iou")
                )
                + "; the model's scores are relative to these"
                + (
                    f", as the paper's are to its {', '.join(f'{v:.2f}' for v in paper_ceiling)})"
                    if paper_ceiling
                    else "; the paper has no FCN-score for this dataset)"
                )
            )
        what = (
            "FCN-score (the project's segmenter standing in for the paper's FCN-8s)"
            if task.evaluation == "fcn"
            else ("label accuracy (outputs decoded to the nearest palette colour)")
        )
        pending = f"**This model's {what}**, first 100 `{eval_split_of(task.datasets[0])}` pairs: {values}. "
    elif task.evaluation == "fcn":
        pending = "The paper's FCN-score (a segmenter run on the outputs) is not computed for this card yet. "
    elif task.evaluation == "labels":
        pending = (
            "The paper's label accuracy (per-pixel, per-class, IoU after palette decoding) is not computed for "
            "this card yet. "
        )
    gap = (
        "The gap to the paper is the difference of the two lines above (the paper scored its whole val split)."
        if measure and task.name in PAPER_FIGURES
        else "L1, PSNR and SSIM reward blur and are not the paper's measures, so there is no like-for-like gap."
    )
    return (
        f"## Evaluation\n\nMeasured by `train/zoo/export.py` at {EVAL_SIZE}x{EVAL_SIZE} (the whole image resized, "
        "deterministic mode: dropout off, running batch-norm statistics) on the first 100 held-out pairs of each "
        "dataset; derived inputs (grayscale, masked, sketched) are made with fixed seeds.\n\n"
        "| dataset | split | pairs | L1 | PSNR (dB) | SSIM | detail ratio | colour ratio |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"{rows}\n\n{meanings}\n\n**Paper:** {PAPER_FIGURES.get(task.name, NO_PAPER_FIGURE)} {pending}"
        f"{gap} The gap is mostly training length: this model trained for minutes on shared CPU cores (see "
        f"Training), the paper's: {paper_training}, on a GPU. Judge it by the samples too.\n"
    )


def build_card(
    task: Task, run_dir: Path, metrics: dict[str, dict[str, float]], measure: dict[str, float] | None = None
) -> str:
    """train.py's card with the zoo sections in place of its (empty) validation section."""
    card = ModelCard.load(run_dir / "README.md")
    command = (run_dir / "command.txt").read_text().strip() if (run_dir / "command.txt").is_file() else ""
    command = command.replace(f"{Path.cwd()}/", "")  # this machine's checkout -> repository-relative paths
    steps = re.search(r"--max_train_steps (\d+)", command)
    output = re.search(r"--output_dir (\S+)", command)
    upsampling = re.search(r"--upsampling (\S+)", command)
    env = f"UPSAMPLING={upsampling.group(1)} " if upsampling and upsampling.group(1) != "transposed" else ""
    env += f"STEPS={steps.group(1)} " if steps else ""
    env += (
        f"RUNS_DIR={Path(output.group(1)).parent} " if output and Path(output.group(1)).parent != Path("runs") else ""
    )
    reproduce = (
        f"## Reproduce\n\n```bash\n{env}train/zoo/train_task.sh {task.name}\n```\n\nwhich ran (resumable; rerun to go "
        f"on from the last checkpoint):\n\n```bash\n{command}\n```\n\nTraining log: {log_summary(run_dir)}\n"
    )
    zoo = "\n".join(
        [
            f"This is the `{task.name}` model of the pix2pix_hub zoo (`model_zoo/{task.name}/`, fp16 weights that "
            "load into the fp32 modules). **It is a short CPU run, far from the paper's training: treat it as a "
            "working demo, not a reproduction.**\n",
            data_section(task),
            "## What the outputs look like\n\n"
            + OBSERVATIONS.get(task.name, "Not yet inspected by a person; see the samples below.")
            + "\n",
            evaluation_section(task, metrics, measure or {}),
            reproduce,
        ]
    )
    text = card.text
    marker = "## Training"
    text = text.replace(marker, zoo + "\n" + marker, 1) if marker in text else text + "\n" + zoo
    text = text.replace("### Validation\n\nNo validation split was used.\n", "", 1)
    text = text.replace(
        'model = Pix2PixGenerator.from_pretrained("path/to/this/folder")',
        f'model = Pix2PixGenerator.from_pretrained("{task.hub_repo_id}")  # or the model_zoo/{task.name} folder\n\n'
        f'from pix2pix_hub.pipeline import Pix2PixPipeline\npipe = Pix2PixPipeline.from_pretrained("{task.name}")',
    )
    for name in DATA_TERMS:  # dataset paths of this machine -> dataset names
        text = text.replace(str(find_dataset_dir(name).resolve()), name).replace(str(find_dataset_dir(name)), name)
    card.text = text
    card.data.model_name = task.hub_repo_id
    if NON_COMMERCIAL_DATASETS & set(task.datasets):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task")
    parser.add_argument("--run_dir", type=Path, help="The train.py output folder (default: runs/TASK).")
    parser.add_argument("--max_samples", type=int, default=100, help="Held-out pairs per dataset.")
    parser.add_argument(
        "--card_only",
        action="store_true",
        help="Only rewrite the zoo folder's card from its metrics.json (after editing OBSERVATIONS); no evaluation.",
    )
    args = parser.parse_args()
    task = get_task(args.task)
    run_dir = args.run_dir or Path("runs") / task.name
    if args.card_only:
        metrics = json.loads((task.zoo_dir / "metrics.json").read_text())
        measure = metrics.pop("paper_measure", {})
        (task.zoo_dir / "README.md").write_text(build_card(task, run_dir, metrics, measure))
        print(f"rewrote {task.zoo_dir / 'README.md'}")
        return
    generator = Pix2PixGenerator.from_pretrained(run_dir)
    metrics = evaluate_task(generator, task, max_samples=args.max_samples)
    grid = sample_grid(generator, task, EVAL_SIZE)  # drawn inputs at the size the Space serves, halved to stay small
    grid.resize((grid.width // 2, grid.height // 2), Image.LANCZOS).save(run_dir / SAMPLES_FILE, optimize=True)
    measure = paper_measure(task, run_dir, args.max_samples)
    folder = export_to_zoo(run_dir, task, build_card(task, run_dir, metrics, measure))
    (folder / "metrics.json").write_text(json.dumps({**metrics, "paper_measure": measure}, indent=2) + "\n")
    print(json.dumps({"task": task.name, "folder": str(folder), "metrics": metrics["all"]}))
    print(f"zoo weights now {zoo_size_bytes() / 2**20:.1f} MB in total")


if __name__ == "__main__":
    main()
