"""Images/s of one full pix2pix training step (G forward, D step, G step): the plain fp32 eager loop of
pytorch-CycleGAN-and-pix2pix against this project's loop (pix2pix_hub.training) with each fast path, side by side.

    nice .venv/bin/python benchmarks/train_step.py            # paper config and zoo config
    nice .venv/bin/python benchmarks/train_step.py --rounds 3 --configs zoo --threads 1 --compile

Variants of the project's loop: `fp32` (no fast path), `channels_last`, `bf16` (autocast), `bf16+channels_last`,
`compile` (with --compile) and `auto`, what train.py picks on this machine (pix2pix_hub.training.fast_paths).
Rounds alternate between the loops so that load from other processes hits all alike. Reported per loop: the fastest
round's wall-clock step time (the least disturbed round), the CPU time per step (which a busy shared machine distorts
far less; `speedup` is its ratio to plain), and the peak resident memory of a child process that runs a few steps of
that loop alone. The CPU's features and the load average are printed so that the machine and a busy moment show.
The last line is `speedup: <plain / auto CPU seconds per step, paper config> (zoo: <the same, zoo config>)`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.state import AcceleratorState

from pix2pix_hub.hardware import bf16_is_fast, cpu_features
from pix2pix_hub.models import PatchGANDiscriminator, Pix2PixGenerator
from pix2pix_hub.training import Objective, discriminator_step, generator_step
from pix2pix_hub.training.fast_paths import (
    FastPaths,
    apply_to_batch,
    apply_to_model,
    resolve_fast_paths,
)
from pix2pix_hub.training.steps import make_optimizer


@dataclass(frozen=True)
class Config:
    size: int
    batch_size: int
    ngf: int
    ndf: int
    num_downs: int
    upsampling: str = "transposed"


#: paper: the reference's facades settings; zoo: the first zoo's network (ngf/ndf 16, batch 2, the paper's
#: transposed-convolution decoder); zoo-resize: the same with the resize-convolution decoder, train_task.sh's recipe
CONFIGS = {
    "paper": Config(size=256, batch_size=1, ngf=64, ndf=64, num_downs=8),
    "zoo": Config(size=256, batch_size=2, ngf=16, ndf=16, num_downs=8),
    "zoo-resize": Config(size=256, batch_size=2, ngf=16, ndf=16, num_downs=8, upsampling="resize"),
}


def build(config: Config, seed: int = 0) -> tuple[Pix2PixGenerator, PatchGANDiscriminator]:
    torch.manual_seed(seed)
    generator = Pix2PixGenerator(ngf=config.ngf, num_downs=config.num_downs, upsampling=config.upsampling)
    return generator, PatchGANDiscriminator(ndf=config.ndf)


class PlainLoop:
    """The reference's `Pix2PixModel.optimize_parameters`: NCHW fp32, default Adam, BCE-with-logits cGAN + 100 L1."""

    def __init__(self, config: Config):
        self.generator, self.discriminator = build(config)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def gan_loss(self, logits: torch.Tensor, real: bool) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(real)))

    def step(self, real_a: torch.Tensor, real_b: torch.Tensor) -> None:
        fake_b = self.generator(real_a)
        for p in self.discriminator.parameters():
            p.requires_grad_(True)
        self.opt_d.zero_grad()
        loss_d = 0.5 * (
            self.gan_loss(self.discriminator(real_a, fake_b.detach()), False)
            + self.gan_loss(self.discriminator(real_a, real_b), True)
        )
        loss_d.backward()
        self.opt_d.step()
        for p in self.discriminator.parameters():
            p.requires_grad_(False)
        self.opt_g.zero_grad()
        loss_g = self.gan_loss(self.discriminator(real_a, fake_b), True) + 100.0 * F.l1_loss(fake_b, real_b)
        loss_g.backward()
        self.opt_g.step()


class ProjectLoop:
    """train/train.py's step: Accelerate-prepared models, fused Adam, pix2pix_hub.training's D and G steps, on the
    given fast paths."""

    def __init__(self, config: Config, paths: FastPaths):
        # one Accelerator per variant: the shared state is reset so that each gets its own precision (the autocast of
        # a prepared model is fixed when it is prepared)
        AcceleratorState._reset_state(reset_partial_state=True)
        self.accelerator = Accelerator(
            cpu=True, mixed_precision=paths.mixed_precision, dynamo_backend="inductor" if paths.compile else None
        )
        self.paths = paths
        generator, discriminator = (apply_to_model(m, paths) for m in build(config))
        optimizers = [
            make_optimizer(m.parameters(), 2e-4, (0.5, 0.999), self.accelerator.device)
            for m in (generator, discriminator)
        ]
        prepared = self.accelerator.prepare(generator, discriminator, *optimizers)
        self.generator, self.discriminator, self.opt_g, self.opt_d = prepared
        self.objective = Objective()

    def step(self, real_a: torch.Tensor, real_b: torch.Tensor) -> None:
        real_a, real_b = apply_to_batch(real_a, self.paths), apply_to_batch(real_b, self.paths)
        fake_b = self.generator(real_a)
        discriminator_step(self.accelerator, self.discriminator, self.opt_d, real_a, real_b, fake_b, self.objective)
        generator_step(self.accelerator, self.discriminator, self.opt_g, real_a, real_b, fake_b, self.objective)


#: the project loop's variants: each fast path alone and together; "auto" is added at run time
VARIANTS = {
    "fp32": FastPaths("no", channels_last=False, compile=False),
    "channels_last": FastPaths("no", channels_last=True, compile=False),
    "bf16": FastPaths("bf16", channels_last=False, compile=False),
    "bf16+channels_last": FastPaths("bf16", channels_last=True, compile=False),
}


def variants_to_run(include_emulated: bool) -> list[str]:
    """The fixed variants worth timing here: bf16 ones only where the CPU runs bf16 natively (or when asked), since
    emulated bf16 is 25-45x slower than fp32 and would take most of the benchmark's time for a path no one uses."""
    if include_emulated or bf16_is_fast(torch.device("cpu")):
        return list(VARIANTS)
    skipped = [name for name, paths in VARIANTS.items() if paths.mixed_precision == "bf16"]
    print(f"skipped {', '.join(skipped)}: this CPU only emulates bf16 (--include-emulated runs them)", flush=True)
    return [name for name in VARIANTS if name not in skipped]


def make_loops(
    config: Config, with_compile: bool, include_emulated: bool = False
) -> dict[str, PlainLoop | ProjectLoop]:
    """The plain loop and every project variant worth timing here; `auto` is what train.py would choose here."""
    names = [*variants_to_run(include_emulated), "auto", *(["compile"] if with_compile else [])]
    return {"plain": PlainLoop(config), **{name: ProjectLoop(config, variant_paths(name)) for name in names}}


def batch(config: Config) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    shape = (config.batch_size, 3, config.size, config.size)
    return torch.rand(shape, generator=generator) * 2 - 1, torch.rand(shape, generator=generator) * 2 - 1


def peak_memory_mb(loop: str, config_name: str, threads: int) -> float:
    """Peak resident memory (MB, VmHWM) of a fresh process running 3 steps of one loop on one config.
    (`ru_maxrss` would not do: Linux carries it over from the forking parent.)"""
    code = (
        "import sys, torch; sys.argv = ['x']; "
        f"torch.set_num_threads({threads}); "
        "import benchmarks.train_step as b; "
        f"c = b.CONFIGS[{config_name!r}]; "
        f"l = b.PlainLoop(c) if {loop!r} == 'plain' else b.ProjectLoop(c, b.variant_paths({loop!r})); "
        "x, y = b.batch(c); [l.step(x, y) for _ in range(3)]; "
        "print([int(s.split()[1]) for s in open('/proc/self/status') if s.startswith('VmHWM')][0] / 1024)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def variant_paths(name: str) -> FastPaths:
    """The fast paths of one variant by name: a fixed one, `auto` (train.py's choice here) or auto plus compile."""
    auto = resolve_fast_paths(device=torch.device("cpu"))
    if name == "compile":
        return FastPaths(auto.mixed_precision, auto.channels_last, True)
    return auto if name == "auto" else VARIANTS[name]


def measure(
    config_name: str, rounds: int, steps_per_round: int, threads: int, with_compile: bool, include_emulated: bool
) -> dict:
    config = CONFIGS[config_name]
    loops = make_loops(config, with_compile, include_emulated)
    x, y = batch(config)
    for loop in loops.values():  # warm-up: allocator, oneDNN kernels, compilation
        loop.step(x, y)
        loop.step(x, y)
    wall: dict[str, list[float]] = {name: [] for name in loops}
    cpu: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(rounds):
        for name, loop in loops.items():
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(steps_per_round):
                loop.step(x, y)
            wall[name].append((time.perf_counter() - start_wall) / steps_per_round)
            cpu[name].append((time.process_time() - start_cpu) / steps_per_round)
    result = {"config": config_name, **asdict(config), "threads": threads, "load_average": os.getloadavg()[0]}
    result["auto_paths"] = variant_paths("auto").describe()
    for name in loops:
        result[name] = {
            "s_per_step": round(min(wall[name]), 4),
            "images_per_s": round(config.batch_size / min(wall[name]), 2),
            "cpu_s_per_step": round(min(cpu[name]), 4),
            "peak_rss_mb": round(peak_memory_mb(name, config_name, threads)),
        }
        # CPU seconds are what a busy shared machine cannot distort much; wall-clock figures need an idle one
        result[name]["speedup"] = round(result["plain"]["cpu_s_per_step"] / result[name]["cpu_s_per_step"], 2)
        result[name]["speedup_wall"] = round(result["plain"]["s_per_step"] / result[name]["s_per_step"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["paper", "zoo"])
    parser.add_argument("--rounds", type=int, default=5, help="Alternating measurement rounds per loop.")
    parser.add_argument("--steps_per_round", type=int, default=2, help="Steps timed together in one round.")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: all CPUs).")
    parser.add_argument("--compile", action="store_true", help="Also measure torch.compile (minutes to compile).")
    parser.add_argument(
        "--include-emulated", action="store_true", help="Also time bf16 on a CPU that only emulates it (slow)."
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"cpu: {cpu_features().describe()}", flush=True)
    results = {}
    for name in args.configs:
        results[name] = measure(
            name, args.rounds, args.steps_per_round, args.threads, args.compile, args.include_emulated
        )
        print(json.dumps(results[name]), flush=True)
    for name, result in results.items():
        print(
            f"{name} config ({result['threads']} threads, load {result['load_average']:.1f}), auto = {result['auto_paths']}:"
        )
        for loop in (k for k, v in result.items() if isinstance(v, dict)):
            figures = result[loop]
            print(
                f"  {loop:20s} {figures['images_per_s']:6.2f} img/s  {figures['cpu_s_per_step']:.3f} CPU-s/step  "
                f"{figures['speedup']:.2f}x CPU time  {figures['speedup_wall']:.2f}x wall  {figures['peak_rss_mb']} MB"
            )
    paper = results["paper"]["auto"]["speedup"] if "paper" in results else "n/a"
    zoo = results["zoo"]["auto"]["speedup"] if "zoo" in results else "n/a"
    print(f"speedup: {paper} (zoo: {zoo})")


if __name__ == "__main__":
    main()
