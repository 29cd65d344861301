"""train/train.py and pix2pix_hub.training: a few-step run, exact resume after SIGKILL, the model folder and card,
push to the local Hub server, checkpoint atomicity and faults."""

from __future__ import annotations

import dataclasses
import errno
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import REPO_ROOT, draw_pair, local_hub_env, run_python
from PIL import Image
from safetensors.torch import load_file

from pix2pix_hub.errors import Pix2PixHubError
from pix2pix_hub.training import Objective, discriminator_loss, latest_checkpoint, list_checkpoints, save_checkpoint
from pix2pix_hub.training.checkpoints import STATE_FILE, check_architecture, remove_temporary_checkpoints
from pix2pix_hub.training.schedule import LinearDecaySchedule

TRAIN_SCRIPT = REPO_ROOT / "train" / "train.py"
HUB_REPO = "tester/tiny-pix2pix"
#: a tiny, fast run: 64x64 crops of 72x72 drawn pairs, 6-level U-Net of width 8
TINY_ARGS = [
    "--load_size", "72", "--crop_size", "64", "--ngf", "8", "--ndf", "8", "--max_train_steps", "16",
    "--checkpointing_steps", "4", "--validation_steps", "8", "--report_to", "none", "--num_threads", "1",
]  # fmt: skip


def make_pairs(root: Path) -> Path:
    """train: 5 drawn pairs and one truncated file between them (header readable, data not); val: 2 pairs."""
    for split, count in (("train", 6), ("val", 2)):
        (root / split).mkdir(parents=True)
        for i in range(count):
            a, b = draw_pair(72, seed=i + (100 if split == "val" else 0))
            pair = Image.new("RGB", (144, 72))
            pair.paste(a, (0, 0))
            pair.paste(b, (72, 0))
            pair.save(root / split / f"{i + 1}.png")
    corrupt = root / "train" / "3.png"
    corrupt.write_bytes(corrupt.read_bytes()[:200])
    return root


def train_command(data: Path, output_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(TRAIN_SCRIPT),
        "--dataset",
        str(data),
        "--output_dir",
        str(output_dir),
        *TINY_ARGS,
        *extra,
    ]


def run_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1", **(extra or {})}


def run_training(data: Path, output_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    """train.py on the tiny settings in a subprocess, offline; the caller checks the outcome."""
    command = train_command(data, output_dir, *extra)
    return subprocess.run(command, env=run_env(), capture_output=True, text=True, timeout=300)


def read_log(output_dir: Path) -> dict[int, dict]:
    lines = (output_dir / "logs" / "train_log.jsonl").read_text().splitlines()
    return {entry["step"]: entry for entry in map(json.loads, lines)}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_pairs(tmp_path_factory.mktemp("data") / "pairs")


@pytest.fixture(scope="module")
def hub_run_env(hub_server, tmp_path_factory) -> dict[str, str]:
    """`local_hub_env` shared by the module's runs (the push test reads what the reference run pushed)."""
    return local_hub_env(hub_server, tmp_path_factory.mktemp("hf_home"))


@pytest.fixture(scope="module")
def finished_run(data, hub_run_env, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One uninterrupted tiny run that also pushes to the local Hub server; the reference for the resume test."""
    output_dir = tmp_path_factory.mktemp("runs") / "reference"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **hub_run_env}
    command = train_command(data, output_dir, "--push_to_hub", "--hub_model_id", HUB_REPO)
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return output_dir, proc


def test_run_writes_a_hub_folder_with_card_and_metrics(finished_run):
    output_dir, proc = finished_run
    for name in ("config.json", "model.safetensors", "README.md", "samples.png"):
        assert (output_dir / name).is_file(), name
    assert (output_dir / "discriminator" / "config.json").is_file()
    assert [p.name for p in list_checkpoints(output_dir / "checkpoints")] == [
        "checkpoint-4",
        "checkpoint-8",
        "checkpoint-12",
        "checkpoint-16",
    ]
    summary = json.loads((output_dir / "logs" / "summary.json").read_text())
    assert summary["global_step"] == 16
    assert summary["metrics"]["num_images"] == 2 and math.isfinite(summary["metrics"]["psnr"])
    # the truncated pair was skipped with a warning, counted, and training went on
    assert summary["skipped_pairs"] == 1
    assert "3.png" in proc.stderr and "skipping an unreadable training pair" in proc.stderr
    card = (output_dir / "README.md").read_text()
    for expected in ("## Training", "direction `AtoB`", "16 optimizer steps", "| psnr |", "`--crop_size` | `64`"):
        assert expected in card, expected
    assert "1 unreadable training pair(s) were skipped" in card and "@inproceedings{isola2017image" in card
    assert "model-index" in card and "samples.png" in card
    assert Image.open(output_dir / "samples.png").size == (128, 256)  # 4 rows of (drawn input, output) at 64x64
    log = read_log(output_dir)
    assert sorted(log) == list(range(1, 17))
    assert all(math.isfinite(entry["loss_d"]) and math.isfinite(entry["loss_g_l1"]) for entry in log.values())
    assert log[16]["lr"] < log[1]["lr"] == pytest.approx(2e-4)  # constant, then linear decay


def test_saved_generator_loads_strictly_and_translates(finished_run):
    from pix2pix_hub.models import Pix2PixGenerator
    from pix2pix_hub.pipeline import Pix2PixPipeline

    output_dir, _ = finished_run
    generator = Pix2PixGenerator.from_pretrained(output_dir)
    assert generator.num_downs == 6
    output = Pix2PixPipeline(generator, precision="fp32")(draw_pair(64)[0]).image
    assert output.size == (64, 64)


def test_push_lands_on_the_hub_and_loads_in_a_fresh_process(finished_run, hub_run_env):
    output_dir, _ = finished_run
    result = run_python(
        f"""
import json
import torch
from huggingface_hub import hf_hub_download
from safetensors.torch import load_file
from pix2pix_hub.models import PatchGANDiscriminator, Pix2PixGenerator
g = Pix2PixGenerator.from_pretrained("{HUB_REPO}")
local = load_file("{output_dir}/model.safetensors")
same = all(torch.equal(v, local[k]) for k, v in g.state_dict().items())
card = open(hf_hub_download("{HUB_REPO}", "README.md")).read()
d_config = json.load(open(hf_hub_download("{HUB_REPO}", "discriminator/config.json")))
try:
    hf_hub_download("{HUB_REPO}", "checkpoints/checkpoint-16/training_state.json")
    has_checkpoints = True
except Exception:
    has_checkpoints = False
print(json.dumps({{"same": same, "training": "## Training" in card, "ndf": d_config["ndf"],
                   "checkpoints": has_checkpoints}}))
""",
        hub_run_env,
    )
    assert result == {"same": True, "training": True, "ndf": 8, "checkpoints": False}


def test_resume_after_sigkill_reproduces_the_uninterrupted_losses(data, finished_run, tmp_path):
    reference_dir, _ = finished_run
    output_dir = tmp_path / "killed"
    proc = subprocess.Popen(
        train_command(data, output_dir), env=run_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 240
    while latest_checkpoint(output_dir / "checkpoints") is None and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    resumed_from = int(latest_checkpoint(output_dir / "checkpoints").name.split("-")[1])
    assert resumed_from < 16
    # a save interrupted by a kill leaves only a temporary folder, which resume ignores and removes
    leftover = output_dir / "checkpoints" / ".tmp-checkpoint-99"
    leftover.mkdir()
    (leftover / "model.safetensors").write_bytes(b"half")
    with (output_dir / "logs" / "train_log.jsonl").open("a") as log:
        log.write('{"step": 15, "loss_d": 0.')  # a line cut short by the kill

    resumed = run_training(data, output_dir, "--resume_from_checkpoint", "latest")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resumed from {output_dir / 'checkpoints' / f'checkpoint-{resumed_from}'}" in resumed.stderr
    assert not leftover.exists()
    expected, got = read_log(reference_dir), read_log(output_dir)
    assert sorted(got) == sorted(expected) == list(range(1, 17))
    for step in expected:
        for key in ("loss_d", "loss_g_gan", "loss_g_l1", "lr"):
            assert got[step][key] == pytest.approx(expected[step][key], rel=1e-5, abs=1e-6), (step, key)


def test_resume_from_another_architecture_is_refused_clearly(data, finished_run, tmp_path):
    reference_dir, _ = finished_run
    checkpoint = reference_dir / "checkpoints" / "checkpoint-8"
    proc = run_training(data, tmp_path / "other", "--ngf", "16", "--resume_from_checkpoint", str(checkpoint))
    assert proc.returncode == 2
    assert "another architecture" in proc.stderr and "generator.ngf: checkpoint 8, this run 16" in proc.stderr


def test_resume_with_more_steps_follows_the_new_schedule(data, finished_run, tmp_path):
    """Extending a finished 16-step run to 24 steps: the learning rate follows the 24-step schedule, never below 0."""
    reference_dir, _ = finished_run
    checkpoint = reference_dir / "checkpoints" / "checkpoint-16"
    command = train_command(data, tmp_path / "longer", "--resume_from_checkpoint", str(checkpoint))
    command[command.index("--max_train_steps") + 1] = "24"
    proc = subprocess.run(command, env=run_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = read_log(tmp_path / "longer")
    expected = LinearDecaySchedule(total_steps=24, constant_fraction=0.5)
    for step in range(17, 25):
        assert log[step]["lr"] == pytest.approx(2e-4 * expected(step - 1)), step
        assert log[step]["lr"] > 0
    # the change is said, with the rates, and the card tells both schedules apart
    assert "this run's learning-rate schedule differs from the checkpoint's" in proc.stderr
    assert "the rate of step 17 goes from 0 to 0.000123" in proc.stderr
    card = (tmp_path / "longer" / "README.md").read_text()
    assert "constant for 12 steps (2 epochs), then linear to zero over 12 steps (2 epochs)" in card
    assert "steps 1-16 followed an earlier schedule (lr 0.0002, constant for 8 steps (1.33 epochs)" in card


def test_card_and_log_state_the_run_that_happened(finished_run):
    """The schedule that ran (not the 100+100-epoch default), epochs without false rounding, a start-up summary and
    a final 'saved to' line."""
    output_dir, proc = finished_run
    card = (output_dir / "README.md").read_text()
    assert "16 optimizer steps, 2.67 epochs" in card
    assert "constant for 8 steps (1.33 epochs), then linear to zero over 8 steps (1.33 epochs)" in card
    assert "100 epochs" not in card
    assert "split 'train', 6 pairs, direction AtoB" in proc.stderr
    assert "steps: 16 (2.67 epochs of 6 steps" in proc.stderr and f"output folder: {output_dir}" in proc.stderr
    assert f"pushes to {HUB_REPO} at the end" in proc.stderr
    assert f"saved to {output_dir} after 16 steps; pushed to {HUB_REPO}" in proc.stderr


def test_resume_from_the_final_checkpoint_gives_the_uninterrupted_weights_and_total_wall_time(
    data, finished_run, tmp_path
):
    """A run killed after its final checkpoint but before its model folder: resuming trains no extra step, gives the
    uninterrupted run's weights, and the card's wall time adds the earlier parts'."""
    reference_dir, _ = finished_run
    output_dir = tmp_path / "killed-at-the-end"
    shutil.copytree(reference_dir / "checkpoints" / "checkpoint-16", output_dir / "checkpoints" / "checkpoint-16")
    shutil.copytree(reference_dir / "logs", output_dir / "logs", ignore=shutil.ignore_patterns("summary.json"))
    state_file = output_dir / "checkpoints" / "checkpoint-16" / STATE_FILE
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "wall_time_s": 3600.0}))  # an hour spent before the kill
    proc = run_training(data, output_dir, "--resume_from_checkpoint", "latest")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(read_log(output_dir)) == list(range(1, 17))
    expected, got = load_file(reference_dir / "model.safetensors"), load_file(output_dir / "model.safetensors")
    assert got.keys() == expected.keys() and all(torch.equal(got[k], expected[k]) for k in expected)
    assert "- Wall time: 1h 00m" in (output_dir / "README.md").read_text()
    assert json.loads(state_file.read_text())["wall_time_s"] > 3600  # the final checkpoint adds this part's time


def test_a_push_that_cannot_happen_fails_before_the_first_step(data, tmp_path):
    """Offline with --push_to_hub, or an output folder that cannot be written: refused at once, no training."""
    output_dir = tmp_path / "offline"
    command = train_command(data, output_dir, "--push_to_hub", "--hub_model_id", "me/maps")
    proc = subprocess.run(command, env=run_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "--push_to_hub me/maps: offline mode is on (HF_HUB_OFFLINE=1)" in proc.stderr
    assert "nothing was trained" in proc.stderr and "Traceback" not in proc.stderr
    assert not (output_dir / "checkpoints").exists() and not (output_dir / "logs" / "train_log.jsonl").exists()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = run_training(data, blocker / "run")
    assert proc.returncode == 2
    assert f"{blocker / 'run'}: the output folder cannot be written" in proc.stderr and "Traceback" not in proc.stderr


def test_help_shows_the_defaults(capsys):
    sys.path.insert(0, str(TRAIN_SCRIPT.parent))
    try:
        from train import parse_args
    finally:
        sys.path.remove(str(TRAIN_SCRIPT.parent))
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for expected in ("(default: 286)", "(default: 0.0002)", "(default: l1+cgan)", "(default: 100)"):
        assert expected in text, expected
    assert "(default: None)" not in text and "(default: False)" not in text


def test_latest_checkpoint_ignores_temporary_and_incomplete_folders(tmp_path):
    for step in (5, 10):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / STATE_FILE).write_text("{}")
    (tmp_path / "checkpoint-20").mkdir()  # no state file: not a finished checkpoint
    (tmp_path / ".tmp-checkpoint-30").mkdir()
    assert latest_checkpoint(tmp_path).name == "checkpoint-10"
    remove_temporary_checkpoints(tmp_path)
    assert not (tmp_path / ".tmp-checkpoint-30").exists()
    assert latest_checkpoint(tmp_path / "missing") is None


def test_full_disk_at_checkpoint_keeps_the_previous_one(tmp_path, monkeypatch):
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=True)
    model = accelerator.prepare(torch.nn.Linear(2, 2))
    state = {"architecture": {}}
    first = save_checkpoint(accelerator, tmp_path, 1, state, total_limit=None)
    assert first is not None and (first / STATE_FILE).is_file()

    def full_disk(output_dir, **kwargs):
        Path(output_dir, "model.safetensors").write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(accelerator, "save_state", full_disk)
    assert save_checkpoint(accelerator, tmp_path, 2, state, total_limit=None) is None
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint-1"]
    assert latest_checkpoint(tmp_path) == first
    del model


def test_total_limit_keeps_the_newest_checkpoints(tmp_path):
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=True)
    for step in (1, 2, 3):
        save_checkpoint(accelerator, tmp_path, step, {"architecture": {}}, total_limit=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["checkpoint-2", "checkpoint-3"]


def test_check_architecture_names_the_difference():
    saved = {"generator": {"ngf": 8, "norm": "batch"}, "discriminator": None}
    check_architecture("ckpt", saved, {"generator": {"ngf": 8, "norm": "batch"}, "discriminator": None})
    with pytest.raises(Pix2PixHubError, match="generator.norm: checkpoint 'batch', this run 'instance'"):
        check_architecture("ckpt", saved, {"generator": {"ngf": 8, "norm": "instance"}, "discriminator": None})


def test_discriminator_loss_is_halved_and_objectives_parse():
    logits = torch.zeros(1, 1, 4, 4)  # p = 0.5 everywhere: BCE = log 2 for real and for fake
    assert discriminator_loss(logits, logits).item() == pytest.approx(math.log(2))
    assert discriminator_loss(logits, logits, "lsgan").item() == pytest.approx(0.5)  # (1 + 0) / 2
    paper = Objective()
    assert paper.uses_gan and paper.uses_l1 and paper.conditional and paper.lambda_l1 == 100
    assert not Objective("l1").uses_gan and not Objective("gan").conditional and not Objective("cgan").uses_l1
    with pytest.raises(ValueError, match="objective must be one of"):
        Objective("l2")


def test_jitter_depends_on_seed_epoch_and_index_only(side_by_side_dir):
    from pix2pix_hub.data import PairedTransform, load_paired_dataset
    from pix2pix_hub.training.data import TrainingPairs

    dataset = TrainingPairs(load_paired_dataset(side_by_side_dir), PairedTransform(80, 64), seed=3)
    first = dataset[2]["input"]
    torch.manual_seed(123)  # the global RNG (dropout's) neither changes the crop nor is consumed by it
    state = torch.get_rng_state()
    assert torch.equal(dataset[2]["input"], first)
    assert torch.equal(torch.get_rng_state(), state)
    dataset.set_epoch(1)
    assert not torch.equal(dataset[2]["input"], first)


def test_pair_makers_by_input_kind():
    from pix2pix_hub.augment import grayscale_input
    from pix2pix_hub.input_kinds import pair_maker_for
    from pix2pix_hub.tasks import get_task

    assert pair_maker_for(None) is None and pair_maker_for(get_task("facades-labels2photo")) is None
    assert pair_maker_for(get_task("colorization")) is grayscale_input
    gray, photo = grayscale_input(*draw_pair(16))
    assert (
        gray.mode == "RGB" and len(set(gray.getpixel((3, 3)))) == 1 and photo.getpixel((3, 3)) != gray.getpixel((3, 3))
    )
    unknown_kind = dataclasses.replace(get_task("colorization"), name="thermal", input_kind="thermal")
    with pytest.raises(Pix2PixHubError, match="no pair maker for 'thermal'.*INPUT_KINDS"):
        pair_maker_for(unknown_kind)


def test_schedule_is_constant_then_linear_to_zero():
    schedule = LinearDecaySchedule(total_steps=200, constant_fraction=0.5)
    assert [schedule(s) for s in (0, 99)] == [1.0, 1.0]
    assert schedule(100) == pytest.approx(1 - 1 / 101) and schedule(199) == pytest.approx(1 / 101)
    assert schedule(200) == 0.0 and schedule(500) == 0.0  # past the end: stopped, never negative


def test_paper_defaults():
    sys.path.insert(0, str(TRAIN_SCRIPT.parent))
    try:
        from train import build_models, parse_args
    finally:
        sys.path.remove(str(TRAIN_SCRIPT.parent))
    args = parse_args(["--dataset", "facades"])
    assert (args.batch_size, args.learning_rate, args.adam_beta1, args.adam_beta2) == (1, 2e-4, 0.5, 0.999)
    assert (args.load_size, args.crop_size, args.lambda_l1, args.objective) == (286, 256, 100.0, "l1+cgan")
    assert (args.n_epochs, args.n_epochs_decay, args.receptive_field, args.gan_mode) == (100, 100, 70, "vanilla")
    generator, discriminator = build_models(args, Objective())
    assert generator.num_downs == 8 and discriminator.receptive_field == 70
    args = parse_args(["--dataset", "x", "--objective", "l1+gan", "--receptive_field", "1", "--crop_size", "64"])
    generator, discriminator = build_models(args, Objective("l1+gan"))
    assert generator.num_downs == 6 and discriminator.receptive_field == 1
    assert discriminator.model[0].in_channels == 3  # unconditional: D sees the output alone


@pytest.mark.slow
def test_two_process_data_parallel_run_on_cpu(data, tmp_path):
    accelerate = shutil.which("accelerate", path=str(Path(sys.executable).parent))
    output_dir = tmp_path / "ddp"
    command = [
        accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
        "--dynamo_backend", "no", str(TRAIN_SCRIPT), "--dataset", str(data), "--output_dir", str(output_dir),
        "--load_size", "72", "--crop_size", "64", "--ngf", "8", "--ndf", "8", "--max_train_steps", "4",
        "--checkpointing_steps", "2", "--report_to", "none",
    ]  # fmt: skip
    # `--cpu` alone runs one process; torchrun's launcher (--multi_gpu) plus ACCELERATE_USE_CPU gives gloo on CPU
    proc = subprocess.run(
        command, env=run_env({"ACCELERATE_USE_CPU": "true"}), capture_output=True, text=True, timeout=400
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    card = (output_dir / "README.md").read_text()
    assert "2 images per step (batch 1 x 2 process(es)" in card
    assert (output_dir / "checkpoints" / "checkpoint-2" / "random_states_1.pkl").is_file()


def test_checkpoint_of_the_lambdalr_train_py_still_resumes(data, finished_run, tmp_path):
    """Checkpoints written before the schedule became a function of the step hold one LambdaLR state per optimizer
    and no schedule in training_state.json; they resume onto the same losses."""
    reference_dir, _ = finished_run
    old = tmp_path / "old" / "checkpoints" / "checkpoint-8"
    shutil.copytree(reference_dir / "checkpoints" / "checkpoint-8", old)
    for index in range(2):
        torch.save({"last_epoch": 8, "_last_lr": [2e-4]}, old / f"custom_checkpoint_{index}.pkl")
    state = json.loads((old / STATE_FILE).read_text())
    for key in ("schedule", "schedule_history", "wall_time_s"):
        state.pop(key, None)
    (old / STATE_FILE).write_text(json.dumps(state))
    proc = run_training(data, tmp_path / "old", "--resume_from_checkpoint", "latest")
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected, got = read_log(reference_dir), read_log(tmp_path / "old")
    for step in range(9, 17):
        assert got[step]["loss_g_l1"] == pytest.approx(expected[step]["loss_g_l1"], rel=1e-5), step
    assert len(list((tmp_path / "old" / "checkpoints" / "checkpoint-16").glob("custom_checkpoint_*.pkl"))) == 0
