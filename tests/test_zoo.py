"""The model zoo: every model_zoo folder loads strictly and translates a drawn input sensibly, the zoo fits its size
budget, cards are honest, `pix2pix-hub zoo push` round-trips through the local Hub server, and the pair makers
behind the sketch and inpainting models make the inputs they promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO_ROOT, run_python
from huggingface_hub import ModelCard
from PIL import Image
from safetensors import safe_open

from pix2pix_hub.augment import masked_photo_input, sketch_input
from pix2pix_hub.drawing import HOLE_COLOUR, draw_edges, draw_scene
from pix2pix_hub.graph_cache import weights_hash
from pix2pix_hub.images import tensor_to_pil
from pix2pix_hub.input_kinds import INPUT_KINDS, draw_input, get_input_kind, pair_maker_for
from pix2pix_hub.models import PatchGANDiscriminator, Pix2PixGenerator
from pix2pix_hub.paired_datasets import DATASETS
from pix2pix_hub.pipeline import Pix2PixPipeline
from pix2pix_hub.tasks import TASKS
from pix2pix_hub.zoo import (
    DISCRIMINATORS_BUDGET_BYTES,
    WEIGHTS_FILE,
    ZOO_BUDGET_BYTES,
    discriminators_size_bytes,
    served,
    zoo_size_bytes,
    zoo_table,
    zoo_tasks,
)

ZOO = [task.name for task in zoo_tasks()]


def test_zoo_is_not_empty_and_every_folder_belongs_to_a_task_with_data():
    assert ZOO, "model_zoo/ holds no trained model"
    for name in ZOO:
        assert TASKS[name].has_data, f"{name} has a zoo model but no data to have trained it on"
    # model_zoo/ also holds the evaluation's segmenters (segmenter-<palette>/); every other folder is a task's model
    folders = {p.name for p in TASKS[ZOO[0]].zoo_dir.parent.iterdir() if p.is_dir()}
    generators = {name for name in folders if not name.startswith("segmenter-")}
    assert generators <= set(TASKS), f"zoo folders that are no registry task: {generators - set(TASKS)}"


def test_zoo_weights_fit_the_budget_in_half_precision():
    assert zoo_size_bytes() <= ZOO_BUDGET_BYTES
    for name in ZOO:
        with safe_open(TASKS[name].zoo_dir / WEIGHTS_FILE, framework="pt") as weights:
            dtypes = {weights.get_slice(key).get_dtype() for key in weights.keys()}
        assert dtypes <= {"F16", "BF16", "I64"}, f"{name}: {dtypes}"


@pytest.mark.parametrize("name", ZOO)
def test_zoo_model_loads_strictly_and_translates_a_drawn_input(name):
    task = TASKS[name]
    generator = Pix2PixGenerator.from_pretrained(task.zoo_dir)
    config = json.loads((task.zoo_dir / "config.json").read_text())
    # every registry task maps RGB to RGB (grayscale inputs are kept 3-channel)
    assert (config["in_channels"], config["out_channels"]) == (3, 3)
    assert all(p.dtype == torch.float32 for p in generator.parameters())
    pipe = Pix2PixPipeline(generator, precision="fp32")
    outputs = pipe([draw_input(name, 256, 0), draw_input(name, 256, 1)], output_type="np").images
    first, second = (np.asarray(o, dtype=np.float64) / 255.0 for o in outputs)
    assert first.shape == (256, 256, 3)
    assert np.isfinite(first).all()
    assert 0.02 < first.mean() < 0.98, "blank output"
    assert first.std() > 0.03, "constant output"
    assert np.abs(first - second).mean() > 0.01, "the output ignores its input"


@pytest.mark.parametrize("name", ZOO)
def test_zoo_model_ships_its_discriminator_and_says_how_to_continue_training(name):
    task = TASKS[name]
    discriminator = PatchGANDiscriminator.from_pretrained(task.zoo_dir / "discriminator")
    assert discriminator._hub_mixin_config["in_channels"] == 6  # conditional: (input, output) pairs
    with safe_open(task.zoo_dir / "discriminator" / WEIGHTS_FILE, framework="pt") as weights:
        assert {weights.get_slice(key).get_dtype() for key in weights.keys()} <= {"F16", "I64"}
    card = (task.zoo_dir / "README.md").read_text()
    assert "## Continue training or fine-tune" in card and f"--init_from=model_zoo/{name}" in card


def test_zoo_discriminators_stay_within_their_own_budget():
    assert discriminators_size_bytes() <= DISCRIMINATORS_BUDGET_BYTES


@pytest.mark.parametrize("name", ZOO)
def test_zoo_card_names_the_task_data_terms_metrics_and_command(name):
    task = TASKS[name]
    card = (task.zoo_dir / "README.md").read_text()
    metrics = json.loads((task.zoo_dir / "metrics.json").read_text())
    assert task.name in card and task.description in card
    assert f"train/zoo/train_task.sh {task.name}" in card
    assert "## Evaluation" in card and "**Paper:**" in card
    assert f"{metrics['all']['psnr']:.2f}" in card and f"{metrics['all']['l1']:.4f}" in card
    if {"cityscapes", "maps"} & set(task.datasets):
        assert "non-commercial" in card
    assert (task.zoo_dir / "samples.png").is_file()
    assert Image.open(task.zoo_dir / "samples.png").size[0] <= 1024


def test_zoo_list_and_push_round_trip_through_the_hub(hub_env):
    name = ZOO[0]
    listing = subprocess.run(
        [sys.executable, "-m", "pix2pix_hub", "zoo", "list"], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert listing.returncode == 0 and name in listing.stdout and "total" in listing.stdout
    push = subprocess.run(
        [sys.executable, "-m", "pix2pix_hub", "zoo", "push", "--namespace", "zoo-test", "--tasks", name],
        capture_output=True,
        text=True,
        env={**os.environ, **hub_env, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
    )
    assert push.returncode == 0, push.stderr[-2000:]
    assert f"zoo-test/{name}" in push.stdout
    code = f"""
import json, torch
import os
from huggingface_hub import hf_hub_download
from pix2pix_hub.models import PatchGANDiscriminator, Pix2PixGenerator
remote = Pix2PixGenerator.from_pretrained("zoo-test/{name}")
local = Pix2PixGenerator.from_pretrained({str(TASKS[name].zoo_dir)!r})
same = all(torch.equal(a, b) for a, b in zip(remote.state_dict().values(), local.state_dict().values()))
card = open(hf_hub_download("zoo-test/{name}", "README.md")).read()
metrics = json.load(open(hf_hub_download("zoo-test/{name}", "metrics.json")))
d_config = json.load(open(hf_hub_download("zoo-test/{name}", "discriminator/config.json")))
check = json.load(open(hf_hub_download("zoo-test/{name}", "onnx/quantization.json")))
files = {{f: os.path.getsize(hf_hub_download("zoo-test/{name}", f)) for f in ("onnx/model.onnx", "onnx/model_quantized.onnx")}}
print(json.dumps({{"same": same, "card_names_task": "{name}" in card, "metrics": metrics["all"], "d": d_config,
                  "files": files, "check": check}}))
"""
    result = run_python(code, hub_env)
    assert result["same"] and result["d"]["in_channels"] == 6  # the discriminator is pushed with the model
    assert result["card_names_task"]
    assert result["metrics"] == json.loads((TASKS[name].zoo_dir / "metrics.json").read_text())["all"]
    # the web files go with the model (made by the push when missing), with their check for these weights
    folder = TASKS[name].zoo_dir
    assert result["files"] == {f: (folder / f).stat().st_size for f in ("onnx/model.onnx", "onnx/model_quantized.onnx")}
    local = Pix2PixGenerator.from_pretrained(str(TASKS[name].zoo_dir))
    assert result["check"]["weights_hash"] == weights_hash(local)


def test_zoo_collection_lists_the_paper_every_model_and_the_space_once(hub_env):
    command = [sys.executable, "-m", "pix2pix_hub", "zoo", "collection", "--namespace", "zoo-test"]
    command += ["--tasks", *ZOO[:2], "--space", "zoo-test/pix2pix-hub"]
    env = {**os.environ, **hub_env, "PYTHONPATH": str(REPO_ROOT)}
    for _ in range(2):  # run twice: the same collection, no item twice
        made = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
        assert made.returncode == 0, made.stderr[-2000:]
    code = f"""
import json
from huggingface_hub import HfApi
slug = {made.stdout.strip().rsplit("/collections/", 1)[-1]!r}
items = [(i.item_type, i.item_id) for i in HfApi().get_collection(slug).items]
print(json.dumps(items))
"""
    items = [tuple(item) for item in run_python(code, hub_env)]
    assert items == [
        ("paper", "1611.07004"),
        *(("model", f"zoo-test/{t}") for t in ZOO[:2]),
        ("space", "zoo-test/pix2pix-hub"),
    ]


def test_zoo_cards_carry_the_hub_metadata():
    for name in ZOO:
        data = ModelCard.load(TASKS[name].zoo_dir / "README.md").data
        assert "arxiv:1611.07004" in data.tags, name
        assert data.datasets == [DATASETS[d].hub_id for d in TASKS[name].datasets], name
        assert data.base_model is None  # the zoo's models continue their own repo's earlier versions


def test_readme_zoo_table_is_the_current_one_with_the_papers_measures():
    readme = (REPO_ROOT / "README.md").read_text()
    table = readme.split("<!-- zoo table: pix2pix-hub zoo list --markdown -->\n", 1)[1].split("\n<!-- end zoo", 1)[0]
    assert table == zoo_table(), (
        "README zoo table is stale: paste `pix2pix-hub zoo list --markdown` between its markers"
    )
    row = next(line for line in table.splitlines() if line.startswith("| cityscapes-labels2photo |"))
    if "cityscapes-labels2photo" in ZOO:
        assert "FCN-score" in row and "paper 0.66 / 0.23 / 0.17" in row


def test_zoo_push_of_a_task_without_a_model_says_how_to_train_it(hub_env):
    missing = next((name for name, task in TASKS.items() if name not in ZOO), None)
    if missing is None:
        pytest.skip("every task has a zoo model")
    push = subprocess.run(
        [sys.executable, "-m", "pix2pix_hub", "zoo", "push", "--namespace", "zoo-test", "--tasks", missing],
        capture_output=True,
        text=True,
        env={**os.environ, **hub_env, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
    )
    assert push.returncode == 2
    assert missing in push.stderr and "train_task.sh" in push.stderr


def test_pair_makers_are_registered_for_every_derived_or_sketch_task():
    for task in TASKS.values():
        if get_input_kind(task.input_kind).from_photos or task.input_kind == "sketch":
            assert pair_maker_for(task) is INPUT_KINDS[task.input_kind].make_pair


def test_masked_photo_input_has_a_grey_hole_and_keeps_the_target():
    photo = draw_scene(128, seed=3)
    torch.manual_seed(0)
    inp, target = masked_photo_input(Image.new("RGB", (128, 128)), photo)
    assert target.tobytes() == photo.tobytes()
    hole = np.all(np.asarray(inp) == HOLE_COLOUR, axis=-1)
    assert 0.01 < hole.mean() < 0.4
    assert np.array_equal(np.asarray(inp)[~hole], np.asarray(photo)[~hole])
    torch.manual_seed(0)
    again, _ = masked_photo_input(Image.new("RGB", (128, 128)), photo)
    assert again.tobytes() == inp.tobytes()


def test_sketch_input_roughens_the_edges_but_keeps_a_dark_on_white_drawing():
    edges = draw_edges(256, seed=0)
    photo = draw_scene(256, seed=0)
    torch.manual_seed(1)
    sketches = [sketch_input(edges, photo) for _ in range(3)]
    ink_before = (np.asarray(edges.convert("L")) < 128).mean()
    for sketch, target in sketches:
        assert sketch.size == edges.size and sketch.mode == "RGB" and target is photo
        gray = np.asarray(sketch.convert("L"))
        assert (gray > 200).mean() > 0.8, "background must stay white"
        assert 0.3 * ink_before < (gray < 128).mean() < 6 * ink_before, "strokes lost or smeared"
        assert np.abs(gray.astype(int) - np.asarray(edges.convert("L"))).mean() > 0.5, "not augmented"
    assert sketches[0][0].tobytes() != sketches[1][0].tobytes()


def test_training_recipe_for_a_task_without_data_runs_on_your_own_pairs(side_by_side_dir, tmp_path):
    """day2night and thermal2color have no data here; docs/zoo.md's recipe (--task with --dataset) must work."""
    output = tmp_path / "day2night"
    command = [
        sys.executable,
        str(Path(REPO_ROOT) / "train" / "train.py"),
        "--task",
        "day2night",
        "--dataset",
        str(side_by_side_dir),
        "--output_dir",
        str(output),
        "--ngf",
        "8",
        "--ndf",
        "8",
        "--load_size",
        "64",
        "--crop_size",
        "64",
        "--max_train_steps",
        "2",
        "--report_to",
        "none",
        "--num_threads",
        "1",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    Pix2PixGenerator.from_pretrained(output)
    assert "day2night" in (output / "README.md").read_text()


def test_models_trained_on_non_commercial_data_say_so_in_their_card_metadata():
    from huggingface_hub import ModelCard

    from pix2pix_hub.metadata import LICENSE
    from pix2pix_hub.paired_datasets import NON_COMMERCIAL_LICENSE, is_non_commercial

    checked = 0
    for task in TASKS.values():
        if not (task.zoo_dir / "README.md").is_file():
            continue
        card = ModelCard.load(task.zoo_dir / "README.md")
        restricted = is_non_commercial(task.datasets)
        assert card.data.license == (NON_COMMERCIAL_LICENSE["license"] if restricted else LICENSE), task.name
        checked += restricted
    assert checked >= 4  # cityscapes x2, maps x2 (and the photo-derived tasks that use them)


def test_outputs_as_served_keep_the_inputs_known_part():
    # colorization as the Space shows it: the input's brightness, the model's colour; other kinds pass through
    gray = torch.linspace(-0.5, 0.5, 32).repeat(1, 3, 32, 1)  # mid-tones: a coloured pixel needs no clipping
    colour = torch.stack([torch.full((32, 32), 0.3), torch.full((32, 32), 0.0), torch.full((32, 32), -0.3)])[None]
    out = served(TASKS["colorization"], gray, colour)
    luma = np.asarray(tensor_to_pil(out[0]).convert("L"), dtype=float)
    assert np.abs(luma - np.asarray(tensor_to_pil(gray[0]).convert("L"), dtype=float)).max() <= 3
    assert (out[0, 0] - out[0, 2]).mean() > 0.2, "the output's colour (red over blue) is lost"
    assert torch.equal(served(TASKS["facades-labels2photo"], gray, colour), colour)


def test_fine_tuned_cards_name_their_base_model_and_datasets():
    from pix2pix_hub.training.card import base_model_of, card_datasets

    assert base_model_of("model_zoo/edges2shoes", "me/my-shoes") == "pix2pix-hub/edges2shoes"
    assert base_model_of("edges2shoes", None) == "pix2pix-hub/edges2shoes"
    assert base_model_of("someone/bags", "me/x") == "someone/bags"
    assert base_model_of("model_zoo/edges2shoes", "pix2pix-hub/edges2shoes") is None  # continues its own model
    assert base_model_of(None, "me/x") is None and base_model_of(str(REPO_ROOT), "me/x") is None  # a local folder
    task_run = {"task": "sketch2photo", "arguments": {"dataset": None}}
    assert card_datasets(task_run) == ["pix2pix-hub/edges2shoes", "pix2pix-hub/edges2handbags"]
    assert card_datasets({"task": None, "arguments": {"dataset": "user/pairs"}}) == ["user/pairs"]
    assert card_datasets({"task": None, "arguments": {"dataset": str(REPO_ROOT)}}) == []
