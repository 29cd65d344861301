"""Choose a training run's fast paths by timing them on the run's own networks on this machine, once.

Why measure instead of a rule: which layout is fastest depends on the CPU kind *and* the configuration
(docs/training.md): bf16 + channels_last is fastest on a Sapphire Rapids Xeon (AMX), while on a Zen 4 EPYC
(AVX512-BF16, no AMX) channels_last slows the paper's configuration down. So `auto` times every candidate path (each
precision the device runs natively, NCHW, NCHW with matmul convolutions, and channels_last) for a few steps of the
run's step (G forward, D step, G step with fused Adam) on the run's architecture and batch shape. The data are
random: a step's cost does not depend on pixel values. Candidates alternate round by round so that load from other
processes hits all alike, and each keeps its fastest round. What is compared is the CPU time the step itself takes
(all threads), not its wall time: on a shared machine the wall time mostly measures the other processes (a probe at
load 7 on 2 cores timed the same step between 0.4 and 1.0 s), while the CPU time is what a layout or a precision
changes. The timings are stored on disk (pix2pix_hub.graph_cache, stale when torch, pix2pix_hub or the CPU change)
per configuration and thread count, so the probe runs once per machine and configuration; each run logs what was
measured and chosen.

The probe costs six steps of each candidate, so a run shorter than `PROBE_MIN_STEPS` without a stored
measurement takes the rule instead (`fast_paths.rule_fast_paths`). torch.compile (inductor) costs tens of seconds
to minutes of compilation for 0-10% per step on the CPUs measured; it is timed only for runs whose eager time is at
least `COMPILE_MIN_RUN_S` and chosen only when its measured saving over the run's steps exceeds its measured
compile time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MethodType
from typing import Any

import torch
from accelerate.utils import convert_outputs_to_fp32, extract_model_from_parallel
from torch import nn

from .. import graph_cache
from .fast_paths import FastPaths, apply_to_batch, apply_to_model
from .losses import Objective
from .steps import discriminator_step, generator_step, make_optimizer

logger = logging.getLogger(__name__)

#: a run of fewer steps measures nothing: six steps per candidate (up to six candidates) would be about 7% of it
PROBE_MIN_STEPS = 500
#: torch.compile is timed only for runs whose eager time is at least this long (its compilation takes minutes)
COMPILE_MIN_RUN_S = 1800.0
#: candidates within this fraction of the fastest count as tied: the earliest listed wins (fast_paths lists the rule's
#: choice first). On a loaded machine the candidates' timings come out within a few percent of one another whatever
#: the true difference (the paper config on Zen 4 at load 10: 2.61-2.70 CPU s/step), and a choice by noise is worse
#: than the rule, which was measured on a quiet machine.
TIE_FRACTION = 0.05
#: measured rounds per candidate, after one warm-up step (the fastest counts: other processes only add time)
ROUNDS = 5
CACHE_FOLDER = "training"


@dataclass(frozen=True)
class RunShape:
    """What the probe needs of a run: fresh networks (`build` returns G and D, D None for an L1-only objective), the
    batch shape, the objective, the planned steps, and `config`, everything that makes another measurement."""

    build: Callable[[], tuple[nn.Module, nn.Module | None]]
    batch_shape: tuple[int, int, int, int]
    objective: Objective
    steps: int
    config: dict[str, Any]

    @property
    def key(self) -> str:
        """The cache entry's name: a hash of the configuration and the thread count."""
        config = {**self.config, "batch_shape": self.batch_shape, "threads": torch.get_num_threads()}
        return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:24]


class _SingleProcess:
    """What discriminator_step and generator_step use of an Accelerator, for one process without loss scaling (the
    probe's case): Accelerate's backward is then `loss.backward()` and its unwrap_model this function."""

    @staticmethod
    def backward(loss: torch.Tensor) -> None:
        loss.backward()

    unwrap_model = staticmethod(extract_model_from_parallel)


def _prepare(model: nn.Module, paths: FastPaths) -> nn.Module:
    """The model as `Accelerator.prepare` hands it to train.py on `paths`: its layout, bf16 autocast around its
    forward (with fp32 outputs, as Accelerate wraps it), compiled last."""
    model = apply_to_model(model, paths)
    if paths.mixed_precision == "bf16":
        autocast = torch.autocast("cpu", dtype=torch.bfloat16)
        model.forward = MethodType(convert_outputs_to_fp32(autocast(model.forward.__func__)), model)
    return torch.compile(model) if paths.compile else model


class TimedStep:
    """One candidate's networks and optimizers, running train.py's step on a fixed random batch."""

    def __init__(self, shape: RunShape, paths: FastPaths):
        generator, discriminator = shape.build()
        self.generator = _prepare(generator, paths)
        self.discriminator = None if discriminator is None else _prepare(discriminator, paths)
        models = [m for m in (self.generator, self.discriminator) if m is not None]
        self.optimizers = [make_optimizer(m.parameters(), 2e-4, (0.5, 0.999), torch.device("cpu")) for m in models]
        self.objective = shape.objective
        random = torch.Generator().manual_seed(0)
        self.batch = [apply_to_batch(torch.rand(shape.batch_shape, generator=random) * 2 - 1, paths) for _ in "ab"]

    def __call__(self) -> float:
        """Run one step; the CPU seconds it took (all of this process's threads)."""
        start = time.process_time()
        condition, target = self.batch
        fake = self.generator(condition)
        if self.discriminator is not None:
            discriminator_step(
                _SingleProcess, self.discriminator, self.optimizers[1], condition, target, fake, self.objective
            )
        generator_step(_SingleProcess, self.discriminator, self.optimizers[0], condition, target, fake, self.objective)
        return time.process_time() - start


def time_paths(shape: RunShape, candidates: list[FastPaths], rounds: int = ROUNDS) -> dict[str, float]:
    """CPU seconds per step of each candidate (by label): one warm-up step each, then `rounds` alternating rounds
    of one step each; the fastest round counts."""
    steps = {paths.label: TimedStep(shape, paths) for paths in candidates}
    for step in steps.values():
        step()
    seconds = {label: [] for label in steps}
    for _ in range(rounds):
        for label, step in steps.items():
            seconds[label].append(step())
    return {label: round(min(times), 4) for label, times in seconds.items()}


def time_compile(shape: RunShape, eager: FastPaths, rounds: int = ROUNDS) -> dict[str, Any]:
    """torch.compile on top of the `eager` paths: its CPU seconds per step and its compile time (the wall time of
    the first two steps, which compile G, D and D frozen, less two steps); {"error": ...} when inductor fails here
    (no C++ compiler, an unsupported op)."""
    compiled = replace(eager, compile=True)
    try:
        step = TimedStep(shape, compiled)
        start = time.perf_counter()  # wall time: inductor compiles in worker processes
        step()
        step()
        first = time.perf_counter() - start
        seconds = min(step() for _ in range(rounds))
    except Exception as exc:  # inductor's failures are many kinds of exception; any of them means: stay eager
        return {"label": compiled.label, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
    return {"label": compiled.label, "cpu_s_per_step": round(seconds, 4), "compile_s": round(first - 2 * seconds, 1)}


def compile_decision(
    eager: FastPaths, eager_seconds: float, measured: dict[str, Any] | None, steps: int
) -> tuple[bool, str]:
    """Whether torch.compile pays on a run of `steps` steps, from its measurement on top of `eager`, and why. The
    saving is counted in CPU seconds (up to the thread count times the wall-clock saving) against the compile's wall
    time: a lean towards compiling, only ever where the compiled step measured faster."""
    if measured is None:
        minutes = eager_seconds * steps / 60
        return (
            False,
            f"torch.compile not timed: the run (about {minutes:.0f} min) is under {COMPILE_MIN_RUN_S / 60:.0f} min",
        )
    if measured.get("label") != replace(eager, compile=True).label:
        return False, f"torch.compile was timed on {measured.get('label')}, not on this path"
    if "error" in measured:
        return False, f"torch.compile failed here ({measured['error']})"
    compiled, compile_s = measured["cpu_s_per_step"], measured["compile_s"]
    saving = (eager_seconds - compiled) * steps
    figures = f"{compiled:.3g} CPU s/step against {eager_seconds:.3g} eager, after {compile_s:.0f} s of compilation"
    if saving > compile_s:
        return True, f"torch.compile pays: {figures}; saves {saving:.0f} s over {steps} steps"
    return False, f"torch.compile does not pay over {steps} steps: {figures}"


def pick(candidates: list[FastPaths], timings: dict[str, float]) -> FastPaths:
    """The earliest listed of the measured candidates within `TIE_FRACTION` of the fastest."""
    fastest = min(timings[c.label] for c in candidates if c.label in timings)
    return next(c for c in candidates if c.label in timings and timings[c.label] <= fastest * (1 + TIE_FRACTION))


def choose(candidates: list[FastPaths], record: dict[str, Any], compile: str, steps: int) -> FastPaths:
    """The fastest measured candidate (of those within `TIE_FRACTION` of the fastest, the earliest listed), with
    torch.compile as `compile` says ('yes', 'no', or 'auto': where its measured saving over `steps` exceeds its
    compile time); `measured` states the timings and the reasons."""
    timings = record["cpu_s_per_step"]
    measured = sorted((c for c in candidates if c.label in timings), key=lambda c: timings[c.label])
    best = pick(candidates, timings)
    text = ", ".join(f"{c.label} {timings[c.label]:.3g}" for c in measured)
    if best is not measured[0]:
        text += f" ({best.label} kept: within {TIE_FRACTION:.0%} of the fastest, the rule's choice)"
    use_compile, compile_why = compile == "yes", "--compile " + compile
    if compile == "auto":
        use_compile, compile_why = compile_decision(best, timings[best.label], record.get("compile"), steps)
    why = best.why  # a forced precision keeps its own reason
    if len({c.mixed_precision for c in measured}) > 1:
        why = "auto: fastest measured" if best is measured[0] else f"auto: measured within {TIE_FRACTION:.0%}, rule"
    return replace(best, compile=use_compile, why=why, measured=f"measured CPU s/step here: {text}; {compile_why}")


def probe_fast_paths(shape: RunShape, candidates: list[FastPaths], compile: str) -> FastPaths | None:
    """The candidates' choice from the stored measurement of this configuration, measuring (and storing) what is
    missing when the run is long enough to repay it; None when there is nothing measured and the run is short."""
    stored = graph_cache.read_record(CACHE_FOLDER, shape.key) or {}
    record = {"cpu_s_per_step": stored.get("cpu_s_per_step", {}), "config": shape.config}
    compiled = stored.get("compile", {})
    if {"label", "cpu_s_per_step", "compile_s"} <= set(compiled) or {"label", "error"} <= set(compiled):
        record["compile"] = compiled
    timings = record["cpu_s_per_step"]
    if any(c.label not in timings for c in candidates):
        if shape.steps < PROBE_MIN_STEPS:
            return None
        start = time.perf_counter()
        timings.update(time_paths(shape, candidates))
        logger.info("fast paths: timed %d candidates in %.0f s", len(candidates), time.perf_counter() - start)
    best = pick(candidates, timings)
    long_run = timings[best.label] * shape.steps >= COMPILE_MIN_RUN_S
    if compile == "auto" and long_run and record.get("compile", {}).get("label") != replace(best, compile=True).label:
        start = time.perf_counter()
        record["compile"] = time_compile(shape, best)
        logger.info("fast paths: timed torch.compile in %.0f s", time.perf_counter() - start)
    if record != {k: stored.get(k) for k in record}:
        graph_cache.write_record(CACHE_FOLDER, shape.key, record)
    return choose(candidates, record, compile, shape.steps)


__all__ = ["PROBE_MIN_STEPS", "RunShape", "choose", "compile_decision", "probe_fast_paths", "time_paths"]
