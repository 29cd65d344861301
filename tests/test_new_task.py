"""Adding a task touches only the registries (and, optionally, its card prose): a task, dataset, input kind and recipe
defined here are listed by `pix2pix-hub tasks`, train with `train/train.py --recipe`, export a zoo card with
train/zoo/export.py and are served by the Space."""

from __future__ import annotations

import contextlib
import io
import shlex
from collections.abc import Iterator
from dataclasses import replace

import pytest
from accelerate.state import AcceleratorState
from conftest import REPO_ROOT, draw_pair
from gradio_client import Client, handle_file
from huggingface_hub import constants
from PIL import Image

from pix2pix_hub.cli import main as cli_main
from pix2pix_hub.input_kinds import INPUT_KINDS, draw_input
from pix2pix_hub.models import Pix2PixGenerator
from pix2pix_hub.paired_datasets import DATASETS, PairedDataset
from pix2pix_hub.recipes import RECIPES, ZOO_V2, Recipe
from pix2pix_hub.space.app import build_app
from pix2pix_hub.space.models import ModelStore
from pix2pix_hub.tasks import TASKS, Task
from pix2pix_hub.training.arguments import learned
from pix2pix_hub.training.card import read_card_facts
from pix2pix_hub.zoo import evaluate_task, export_to_zoo

DATASET = PairedDataset(
    "drawnpairs",
    photo_half="B",
    photos="drawn photos",
    subject="buildings",
    reference="pairs drawn by tests/test_new_task.py",
    terms="Drawn by the test: no terms.",
    paper_training="none (a test dataset)",
)
TASK = Task(
    "drawn-labels2photo",
    "Drawn label map -> drawn photo (a task defined by a test)",
    (DATASET.name,),
    "AtoB",
    "drawn_label_map",
    "photo",
    palette="facades",
)
#: a new input kind: a label map by another name, made, drawn and served as the registry's label maps are
INPUT_KIND = replace(INPUT_KINDS["label_map"], name="drawn_label_map")
RECIPE = Recipe(TASK.name, "v1", {**ZOO_V2, "lambda_l1": 50.0})  # the zoo's recipe at lambda 50


@pytest.fixture
def registered(tmp_path, monkeypatch) -> Iterator[Task]:
    """The test's dataset (drawn pairs under $PIX2PIX_HUB_DATA) and task, in the registries."""
    for split, count in (("train", 4), ("val", 2)):
        (tmp_path / "data" / DATASET.name / split).mkdir(parents=True)
        for i in range(count):
            pair = Image.new("RGB", (128, 64))
            for k, half in enumerate(draw_pair(64, seed=i + 10 * (split == "val"))):
                pair.paste(half, (64 * k, 0))
            pair.save(tmp_path / "data" / DATASET.name / split / f"{i}.png")
    monkeypatch.setenv("PIX2PIX_HUB_DATA", str(tmp_path / "data"))
    monkeypatch.setitem(DATASETS, DATASET.name, DATASET)
    monkeypatch.setitem(TASKS, TASK.name, TASK)
    monkeypatch.setitem(INPUT_KINDS, INPUT_KIND.name, INPUT_KIND)
    monkeypatch.setitem(RECIPES, RECIPE.name, RECIPE)
    for folder in ("train", "train/zoo"):
        monkeypatch.syspath_prepend(str(REPO_ROOT / folder))
    monkeypatch.chdir(tmp_path)
    AcceleratorState._reset_state(reset_partial_state=True)  # train.py runs in this process, after other tests' runs
    yield TASK
    AcceleratorState._reset_state(reset_partial_state=True)


def test_a_task_added_to_the_registries_is_listed_trained_exported_and_served(registered, tmp_path):
    task = registered
    listing = io.StringIO()
    with contextlib.redirect_stdout(listing):
        assert cli_main(["tasks"]) == 0
    assert task.name in listing.getvalue()

    from train import main as train_main
    from train import parse_args

    run_dir = tmp_path / "runs" / task.name
    tiny = ["--load_size", "72", "--crop_size", "64", "--ngf", "8", "--ndf", "8", "--max_train_steps", "4"]
    quiet = ["--report_to", "none", "--num_threads", "1", "--validation_split", "none", "--checkpointing_steps", "4"]
    train_main(parse_args(["--recipe", task.name, "--output_dir", str(run_dir), *tiny, *quiet]))
    assert "drawn-labels2photo" in (run_dir / "README.md").read_text()

    import export

    generator = Pix2PixGenerator.from_pretrained(run_dir)
    metrics = evaluate_task(generator, task, max_samples=2)
    card = export.build_card(task, run_dir, metrics, {}, generator)
    zoo = tmp_path / "zoo"
    export_to_zoo(run_dir, task, card, output_dir=zoo / task.name)
    for expected in (
        task.description,
        f"train/zoo/train_task.sh {task.name}",
        DATASET.terms,
        "## Evaluation",
        f"{metrics['all']['l1']:.4f}",
        "4 optimizer steps",
        f'Pix2PixPipeline.from_pretrained("{task.name}")',
    ):
        assert expected in card, expected

    # the card's reproduce line (the task's recipe through train_task.sh, the run's changes in EXTRA_ARGS) repeats
    # what the run learned from
    run_args = read_card_facts(run_dir)["arguments"]
    assert run_args["recipe"] == RECIPE.name
    env = dict(word.split("=", 1) for word in shlex.split(export.reproduce_line(run_args)) if "=" in word)
    again = vars(parse_args(["--recipe", env["RECIPE"], *env["EXTRA_ARGS"].split()]))
    assert learned(again) == learned(run_args)
    assert "No validation split was used" not in card and str(tmp_path) not in card
    assert f"Dataset: `{DATASET.name}`" in card  # this machine's dataset folder -> the dataset's name

    draw_input(task.name, 96, 1).save(tmp_path / "drawing.png")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(constants, "HF_HUB_OFFLINE", True)
        demo = build_app(ModelStore(zoo, use_hub=False), tasks=[task])
        demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, share=False, quiet=True)
        try:
            output = Client(demo.local_url, verbose=False).predict(
                handle_file(tmp_path / "drawing.png"), api_name=f"/{task.api_name}"
            )
        finally:
            demo.close()
    with Image.open(output) as image:
        assert image.size == (96, 96) and image.mode == "RGB"
