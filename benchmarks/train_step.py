"""Seconds per training step as users get them: `accelerate launch train/train.py` with its default fast paths
(`auto`) and with each path forced, against plain fp32 eager (`--mixed_precision no --channels_last no --compile
no`), side by side for the paper config and the zoo config.

    nice .venv/bin/python benchmarks/train_step.py                     # paper and zoo config, plain and auto
    nice .venv/bin/python benchmarks/train_step.py --variants all --rounds 3 --threads 1

Each launch is the real command for a full-length run (the paper's 200 facades epochs; the zoo recipe's 20,000
steps), so auto decides as it would for that run (path_probe: measured once per machine and configuration, stored;
torch.compile only where it pays over the run's length). The benchmark reads each step's wall time from the run's
logs/train_log.jsonl (`step_s`, data loading included, and `step_cpu_s`, the CPU time of the same span, which load
from other processes distorts least) and stops the launch after `--steps` timed steps beyond
`--warmup`. Before the timed rounds one `auto` launch per config lets auto measure and store its choice; that
launch's start-up time is printed. Launches alternate between the variants round by round, so that load from
other processes hits all alike; a variant's s/step is the median over rounds of each launch's median step time,
its ratio the median over rounds of that round's plain launch / its launch (paired: load that changes during the
run cancels out).
bf16 variants are skipped (with the reason printed) where the CPU only emulates bf16. The baseline and every variant
share what train.py always does (fused Adam, the thread count, the decoded-pair cache), so the ratios are the fast
paths' own. The last line is `speedup: <plain / auto wall time, paper config> (zoo: <the same, zoo config>); CPU time: <the
same ratios of CPU time>`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from pix2pix_hub.hardware import bf16_is_fast, cpu_features

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets" / "facades"

#: the run each config stands for; paper: train.py's defaults, the reference's facades settings (200 epochs of 400
#: pairs); zoo: the zoo's v2 recipe (pix2pix_hub/recipes.py) on the same data
CONFIGS = {
    "paper": [],
    "zoo": ["--recipe", "facades-labels2photo:v2"],
}
COMMON = ["--load_size", "286", "--crop_size", "256", "--validation_split", "none", "--report_to", "none"]
COMMON += ["--checkpointing_steps", "1000000"]

#: what each step's log line holds: its wall time (what the user waits) and its CPU time (what load distorts least)
TIMES = ("step_s", "step_cpu_s")
PLAIN = ["--mixed_precision", "no", "--channels_last", "no", "--matmul_convs", "no", "--compile", "no"]


def forced(precision: str, channels_last: str = "no", matmul_convs: str = "no") -> list[str]:
    """The flags of one forced combination, torch.compile off."""
    return [
        *("--mixed_precision", precision, "--channels_last", channels_last),
        *("--matmul_convs", matmul_convs, "--compile", "no"),
    ]


#: the flags of each variant; auto is train.py's default (no flag)
VARIANTS = {
    "plain": PLAIN,
    "auto": [],
    "channels_last": forced("no", channels_last="yes"),
    "matmul": forced("no", matmul_convs="yes"),
    "bf16": forced("bf16"),
    "bf16+channels_last": forced("bf16", channels_last="yes"),
    "bf16+matmul": forced("bf16", matmul_convs="yes"),
}


def variants_to_run(names: list[str]) -> list[str]:
    """The variants asked for, less the bf16 ones where this CPU emulates bf16 (many times slower than fp32: minutes
    per launch for a path auto never takes), with the reason printed."""
    if bf16_is_fast(torch.device("cpu")):
        return names
    skipped = [name for name in names if "bf16" in VARIANTS[name]]
    if skipped:
        print(f"skipped {', '.join(skipped)}: this CPU only emulates bf16", flush=True)
    return [name for name in names if name not in skipped]


def launch(config: str, variant: str, steps: int, threads: int | None, data: Path) -> dict:
    """One `accelerate launch train/train.py` of `config` with `variant`'s flags, stopped after `steps` logged steps;
    its step times, its start-up seconds (launch to first step) and its `fast paths:` line."""
    scratch = Path(tempfile.mkdtemp(prefix=f"train_step-{config}-"))
    output_dir = scratch / "run"
    accelerate = str(Path(sys.executable).with_name("accelerate"))
    command = [accelerate, "launch", "--num_processes", "1", str(ROOT / "train" / "train.py")]
    command += ["--dataset", str(data), "--output_dir", str(output_dir), *COMMON, *CONFIGS[config], *VARIANTS[variant]]
    command += ["--num_threads", str(threads)] if threads else []
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    log = output_dir / "logs" / "train_log.jsonl"
    stderr = scratch / "stderr.txt"
    start = time.perf_counter()
    with stderr.open("w") as err:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    try:
        rows: list[dict] = []
        while len(rows) < steps:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{config}/{variant} stopped (exit {proc.returncode}):\n{stderr.read_text()[-3000:]}"
                )
            time.sleep(0.5)
            lines = log.read_text().splitlines() if log.is_file() else []
            rows = [json.loads(line) for line in lines[:-1]]  # the last line may be half written
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
        text = stderr.read_text()
        shutil.rmtree(scratch, ignore_errors=True)
    fast = next((line.split("fast paths: ", 1)[1] for line in text.splitlines() if "fast paths: mixed" in line), "?")
    steps_s = {key: [row[key] for row in rows] for key in TIMES}
    return {**steps_s, "fast_paths": fast, "wall_s": time.perf_counter() - start}


def measure(
    config: str, variants: list[str], rounds: int, steps: int, warmup: int, threads: int | None, data: Path
) -> dict:
    """The median step seconds of each variant over `rounds` alternating launches, and what auto chose."""
    first = launch(config, "auto", warmup + 1, threads, data)  # auto measures and stores its choice, if not yet
    print(
        f"{config}: first auto launch {first['wall_s']:.0f} s to {warmup + 1} steps; {first['fast_paths']}", flush=True
    )
    medians: dict[str, dict[str, list[float]]] = {key: {name: [] for name in variants} for key in TIMES}
    for _ in range(rounds):
        for name in variants:
            run = launch(config, name, warmup + steps, threads, data)
            for key in TIMES:
                medians[key][name].append(statistics.median(run[key][warmup:]))
            wall, cpu = (medians[key][name][-1] for key in TIMES)
            print(f"  {config} {name:20s} {wall:.3f} s/step, {cpu:.3f} CPU s/step", flush=True)
    result = {key: {name: statistics.median(v) for name, v in values.items()} for key, values in medians.items()}
    # each round's ratio to the plain launch just before it: load that changes during the run cancels out
    for key, values in medians.items():
        paired = {name: [p / v for p, v in zip(values["plain"], runs, strict=True)] for name, runs in values.items()}
        result[f"ratio_{key}"] = {name: statistics.median(ratios) for name, ratios in paired.items()}
    return {**result, "auto_fast_paths": first["fast_paths"], "load_average": os.getloadavg()[0]}


def report(results: dict[str, dict]) -> None:
    """Each config's variants side by side (wall and CPU seconds per step, ratios to plain), then the speedup line."""
    for config, result in results.items():
        wall, cpu, wall_ratio, cpu_ratio = (result[key] for key in (*TIMES, *(f"ratio_{key}" for key in TIMES)))
        print(f"{config} config (load {result['load_average']:.1f}), auto = {result['auto_fast_paths']}:")
        for name in wall:
            print(
                f"  {name:20s} {wall[name]:7.3f} s/step  {wall_ratio[name]:5.2f}x plain   "
                f"{cpu[name]:7.3f} CPU s/step  {cpu_ratio[name]:5.2f}x plain"
            )
    ratios = [{c: f"{r[f'ratio_{key}']['auto']:.2f}" for c, r in results.items() if "auto" in r[key]} for key in TIMES]
    wall, cpu = (" ".join([r.get("paper", "n/a"), f"(zoo: {r.get('zoo', 'n/a')})"]) for r in ratios)
    print(f"speedup: {wall}; CPU time: {cpu}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["paper", "zoo"])
    parser.add_argument("--variants", nargs="+", choices=[*VARIANTS, "all"], default=["plain", "auto"])
    parser.add_argument("--rounds", type=int, default=3, help="Alternating launches per variant.")
    parser.add_argument("--steps", type=int, default=12, help="Timed steps per launch.")
    parser.add_argument("--warmup", type=int, default=3, help="Steps per launch not timed (allocator, kernels).")
    parser.add_argument("--threads", type=int, help="train.py --num_threads (default: train.py's, all CPUs).")
    parser.add_argument("--data", type=Path, default=DATA, help="A pix2pix A|B folder (the images do not matter).")
    args = parser.parse_args()
    # a stopped benchmark stops its launch too (the `finally` in `launch` kills the launch's process group)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    names = list(VARIANTS) if "all" in args.variants else list(dict.fromkeys(["plain", *args.variants]))
    names = variants_to_run(names)
    print(f"cpu: {cpu_features().describe()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    results = {
        name: measure(name, names, args.rounds, args.steps, args.warmup, args.threads, args.data)
        for name in args.configs
    }
    report(results)


if __name__ == "__main__":
    main()
