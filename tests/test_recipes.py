"""The recipe registry (pix2pix_hub/recipes.py) and the task data (pix2pix_hub/task_data.py): every task trains on the
right pairs from `train/train.py --task`, `--recipe TASK` repeats each shipped model's recorded arguments, the GPU
script's commands carry every per-task setting, and the zoo's facts are read from JSON."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from accelerate.state import AcceleratorState
from conftest import REPO_ROOT
from test_training import run_env

from pix2pix_hub.drawing import HOLE_COLOUR
from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.recipes import RECIPES, get_recipe, recipe_versions
from pix2pix_hub.tasks import TASKS
from pix2pix_hub.training.arguments import learned, parse_args, reproduce_line, train_defaults
from pix2pix_hub.training.zoo_command import main as zoo_command_main
from pix2pix_hub.zoo import FACTS_FILE, read_model_facts, read_model_facts_file, zoo_tasks

SHIPPED = [task for task in zoo_tasks() if read_model_facts_file(task.zoo_dir)]


@pytest.mark.parametrize("task", SHIPPED, ids=lambda t: t.name)
def test_recipe_of_a_task_repeats_its_shipped_models_recorded_arguments(task):
    recorded = read_model_facts_file(task.zoo_dir)
    assert recorded["recipe"] == get_recipe(task.name).name  # a task's newest recipe is the one its model ships
    parsed = learned(vars(parse_args(["--recipe", task.name])))
    defaults = train_defaults(task.name)
    # every recorded value, and train.py's default for options added after the model was trained
    assert parsed == {key: recorded["arguments"].get(key, defaults[key]) for key in parsed}


def test_recipe_flags_override_and_unknown_versions_are_refused(capsys):
    args = parse_args(["--recipe", "sketch2photo:v2", "--lambda_l1", "50", "--ngf", "8"])
    assert (args.task, args.recipe, args.lambda_l1, args.ngf, args.max_train_steps) == (
        "sketch2photo", "sketch2photo:v2", 50.0, 8, 20000
    )  # fmt: skip
    with pytest.raises(SystemExit):
        parse_args(["--recipe", "edges2shoes:v9"])
    assert "its versions: v2, v3" in capsys.readouterr().err
    with pytest.raises(Pix2PixHubError, match="did you mean 'edges2shoes'"):
        get_recipe("edge2shoes")


def test_zoo_command_scales_batch_and_refuses_a_folder_of_other_settings(tmp_path, capsys):
    assert zoo_command_main(["edges2handbags:v2", "--output_dir", str(tmp_path), "--batch_size", "16"]) == 0
    args = parse_args(capsys.readouterr().out.split())
    assert (args.batch_size, args.max_train_steps, args.num_threads) == (16, 2500, 1)  # the same 40,000 images
    assert zoo_command_main(["edges2handbags:v2", "--output_dir", str(tmp_path), "--batch_size", "16",
                             "--max_train_steps", "2"]) == 0  # fmt: skip
    assert parse_args(capsys.readouterr().out.split()).max_train_steps == 1  # 4 images: one step of 16, not zero
    assert zoo_command_main(["edges2handbags:v2", "--task", "day2night", "--output_dir", str(tmp_path)]) == 0
    assert parse_args(capsys.readouterr().out.split()).task == "day2night"  # the recipe on another task
    checkpoint = tmp_path / "checkpoints" / "checkpoint-250"
    checkpoint.mkdir(parents=True)
    saved = {**vars(parse_args(["--recipe", "edges2handbags:v2"])), "lambda_l1": 25.0}
    (checkpoint / "training_state.json").write_text(json.dumps({"global_step": 250, "args": saved}))
    assert zoo_command_main(["edges2handbags:v2", "--output_dir", str(tmp_path)]) == 2
    assert "lambda_l1 25.0 (now 100.0)" in capsys.readouterr().err
    assert zoo_command_main(["edges2handbags:v2", "--output_dir", str(tmp_path), "--", "--lambda_l1", "25"]) == 0


def test_versions_sort_as_numbers(monkeypatch):
    for version in ("v10", "v9"):
        monkeypatch.setitem(RECIPES, f"edges2shoes:{version}", replace(RECIPES["edges2shoes:v3"], version=version))
    assert recipe_versions("edges2shoes") == ["v2", "v3", "v9", "v10"]


def gpu_dry_run(tmp_path: Path, version: str) -> dict[str, list[str]]:
    """train_gpu.sh --dry-run's command per task: the train.py arguments train_task.sh would run."""
    env = run_env({"PYTHON": sys.executable, "WORK": str(tmp_path), "RECIPE_VERSION": version})
    proc = subprocess.run(
        ["bash", "train/zoo/train_gpu.sh", "--dry-run"], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    lines = (line.split(": ", 1) for line in proc.stdout.splitlines())
    return {task: command.split(" train/train.py ", 1)[1].split() for task, command in lines}


def test_train_gpu_dry_run_prints_each_shipped_recipe_at_gpu_batch(tmp_path):
    runs = {version: gpu_dry_run(tmp_path, version) for version in ("v2", "v3")}
    assert set(runs["v2"]) == {name for name, task in TASKS.items() if task.has_data}
    assert set(runs["v3"]) == {r.task for r in RECIPES.values() if r.version == "v3"}
    for task in SHIPPED:
        recipe = read_model_facts_file(task.zoo_dir)["recipe"]
        gpu = learned(vars(parse_args(runs[recipe.split(":")[1]][task.name])))
        shipped = learned(vars(parse_args(["--recipe", recipe])))
        images = shipped["batch_size"] * shipped["max_train_steps"]
        assert gpu["batch_size"] * gpu["max_train_steps"] == images and gpu["batch_size"] == 16
        assert {k: v for k, v in gpu.items() if k not in ("batch_size", "max_train_steps")} == {
            k: v for k, v in shipped.items() if k not in ("batch_size", "max_train_steps")
        }, task.name


def test_reproduce_line_names_the_recipe_and_the_runs_changes():
    arguments = {**vars(parse_args(["--recipe", "maps-aerial2map"])), "lambda_l1": 10.0, "output_dir": "runs/x/t"}
    arguments.pop("recipe")  # an older run: the closest recipe is found from its arguments
    assert reproduce_line(arguments) == (
        'RECIPE=maps-aerial2map:v2 EXTRA_ARGS="--lambda_l1=10.0" RUNS_DIR=runs/x train/zoo/train_task.sh maps-aerial2map'
    )


def first_batch(task: str, batch_size: int = 8) -> dict:
    sys.path.insert(0, str(REPO_ROOT / "train"))
    try:
        from train import load_data, resolve_data
    finally:
        sys.path.remove(str(REPO_ROOT / "train"))
    args = parse_args(["--task", task, "--batch_size", str(batch_size), "--load_size", "64", "--crop_size", "64"])
    task_entry, dataset, direction = resolve_data(args)
    assert dataset is None  # the task's own datasets, nothing built on disk
    pairs, loader, _, _ = load_data(args, task_entry, dataset, direction, 1)
    return {"batch": next(iter(loader)), "sources": set(pairs.pairs.sources())}


@pytest.mark.slow
def test_derived_and_multi_dataset_tasks_train_on_the_right_pairs():
    """`--task` alone reads every dataset the task names, with the inputs its kind makes (issue 29)."""
    colour = first_batch("colorization")
    assert colour["sources"] == set(TASKS["colorization"].datasets)
    x, y = colour["batch"]["input"], colour["batch"]["target"]
    assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 1], x[:, 2])  # grayscale inputs
    assert not torch.equal(y[:, 0], y[:, 1])  # colour photos as targets, not label maps or edges
    assert set(colour["batch"]["source"]) <= set(TASKS["colorization"].datasets)

    holes = first_batch("inpainting")
    hole = torch.tensor(HOLE_COLOUR, dtype=torch.float32)[:, None, None] / 127.5 - 1
    assert holes["sources"] == set(TASKS["inpainting"].datasets)
    assert all(((image - hole).abs().amax(0) < 0.02).any() for image in holes["batch"]["input"])  # every one has a hole

    sketches = first_batch("sketch2photo", batch_size=16)
    assert sketches["sources"] == {"edges2shoes", "edges2handbags"}
    assert set(sketches["batch"]["source"]) == {"edges2shoes", "edges2handbags"}


@pytest.mark.slow
def test_accelerate_launch_task_alone_trains_colorization_on_every_photo_dataset(tmp_path):
    accelerate = str(Path(sys.executable).with_name("accelerate"))
    command = [accelerate, "launch", "--num_processes", "1", str(REPO_ROOT / "train" / "train.py")]
    command += ["--task", "colorization", "--max_train_steps", "2", "--ngf", "8", "--ndf", "8", "--load_size", "64"]
    command += ["--crop_size", "64", "--validation_split", "none", "--report_to", "none", "--output_dir", "run"]
    proc = subprocess.run(command, cwd=tmp_path, env=run_env({"HF_HOME": str(tmp_path / "hf")}), capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    sources = " + ".join(TASKS["colorization"].datasets)
    assert f"Dataset: `{sources}`" in (tmp_path / "run" / "README.md").read_text()
    AcceleratorState._reset_state(reset_partial_state=True)


def test_zoo_facts_come_from_json_not_the_rendered_card(tmp_path):
    task = SHIPPED[0]
    folder = tmp_path / task.name
    folder.mkdir()
    for name in (FACTS_FILE, "metrics.json"):
        shutil.copy(task.zoo_dir / name, folder / name)
    facts = read_model_facts(task, folder)  # no README.md in the folder
    assert facts == read_model_facts(task) and facts.training and facts.metrics
    assert any(line.startswith("Dataset:") for line in facts.training)
    assert read_model_facts(task, tmp_path) is None  # no facts file: nothing made up


def test_cards_and_facts_name_source_datasets_not_local_folders():
    for task in SHIPPED:
        for name in ("README.md", FACTS_FILE):
            text = (task.zoo_dir / name).read_text()
            assert "runs/data" not in text and "prepare_data" not in text, (task.name, name)


def package_imports() -> dict[str, set[str]]:
    """Module -> the package modules it imports (anywhere in the file, relative imports resolved)."""
    root = REPO_ROOT / "pix2pix_hub"
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                targets |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def test_no_package_module_imports_a_module_that_imports_it_back():
    graph = package_imports()
    pairs = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets if a in graph[b]})
    assert pairs == []


def test_every_recipe_names_a_registry_task_and_train_py_options():
    options = set(train_defaults("facades-labels2photo"))
    for recipe in RECIPES.values():
        assert recipe.task in TASKS and set(recipe.arguments) <= options, recipe.name


def test_task_sources_read_photos_as_targets_and_follow_a_given_direction():
    from pix2pix_hub.paired_datasets import DATASETS
    from pix2pix_hub.task_data import task_sources

    # inputs made from photos: every dataset read with its photo half as the target, whatever --direction says
    for source in task_sources(TASKS["inpainting"], "AtoB"):
        assert source.direction == DATASETS[source.dataset].photo_direction
    assert [s.direction for s in task_sources(TASKS["maps-map2aerial"])] == ["BtoA"]
    assert [s.direction for s in task_sources(TASKS["maps-map2aerial"], "AtoB")] == ["AtoB"]  # --direction flips it
