"""Images/s of one full pix2pix training step (G forward, D step, G step): the plain fp32 eager loop of
pytorch-CycleGAN-and-pix2pix against this project's loop (pix2pix_hub.training), measured side by side in one run.

    nice .venv/bin/python benchmarks/train_step.py            # paper config and zoo config
    nice .venv/bin/python benchmarks/train_step.py --rounds 3 --configs paper

Rounds alternate between the loops so that load from other processes hits both alike. Reported per loop: the
fastest round's wall-clock step time (the least disturbed round), the CPU time per step (which a busy shared
machine distorts far less; `speedup` is its ratio), and the peak resident memory of a child process that runs a few
steps of that loop alone. The load average is printed so that a busy machine shows.
The last line is `speedup: <plain / project CPU seconds per step for the paper config>`.
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

from pix2pix_hub.models import PatchGANDiscriminator, Pix2PixGenerator
from pix2pix_hub.training import Objective, discriminator_step, generator_step
from pix2pix_hub.training.steps import make_optimizer


@dataclass(frozen=True)
class Config:
    size: int
    batch_size: int
    ngf: int
    ndf: int
    num_downs: int
    upsampling: str = "transposed"


#: paper: the reference's facades settings; zoo: the recipe of train/zoo/train_task.sh (docs/zoo.md says why), with
#: the paper's transposed-convolution decoder or the resize-convolution one
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
    """train/train.py's step: Accelerate-prepared models, fused Adam, pix2pix_hub.training's D and G steps."""

    def __init__(self, config: Config):
        self.accelerator = Accelerator(cpu=True)
        generator, discriminator = build(config)
        optimizers = [
            make_optimizer(m.parameters(), 2e-4, (0.5, 0.999), self.accelerator.device)
            for m in (generator, discriminator)
        ]
        prepared = self.accelerator.prepare(generator, discriminator, *optimizers)
        self.generator, self.discriminator, self.opt_g, self.opt_d = prepared
        self.objective = Objective()

    def step(self, real_a: torch.Tensor, real_b: torch.Tensor) -> None:
        fake_b = self.generator(real_a)
        discriminator_step(self.accelerator, self.discriminator, self.opt_d, real_a, real_b, fake_b, self.objective)
        generator_step(self.accelerator, self.discriminator, self.opt_g, real_a, real_b, fake_b, self.objective)


LOOPS = {"plain": PlainLoop, "project": ProjectLoop}


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
        f"c = b.CONFIGS[{config_name!r}]; l = b.LOOPS[{loop!r}](c); x, y = b.batch(c); "
        "[l.step(x, y) for _ in range(3)]; "
        "print([int(s.split()[1]) for s in open('/proc/self/status') if s.startswith('VmHWM')][0] / 1024)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure(config_name: str, rounds: int, steps_per_round: int, threads: int) -> dict:
    config = CONFIGS[config_name]
    loops = {name: cls(config) for name, cls in LOOPS.items()}
    x, y = batch(config)
    for loop in loops.values():  # warm-up: allocator, oneDNN kernels
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
    for name in loops:
        result[name] = {
            "s_per_step": round(min(wall[name]), 4),
            "images_per_s": round(config.batch_size / min(wall[name]), 2),
            "cpu_s_per_step": round(min(cpu[name]), 4),
            "peak_rss_mb": round(peak_memory_mb(name, config_name, threads)),
        }
    # CPU seconds are what a busy shared machine cannot distort much; wall-clock figures need an idle one
    result["speedup"] = round(result["plain"]["cpu_s_per_step"] / result["project"]["cpu_s_per_step"], 2)
    result["speedup_wall"] = round(result["project"]["images_per_s"] / result["plain"]["images_per_s"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["paper", "zoo"])
    parser.add_argument("--rounds", type=int, default=5, help="Alternating measurement rounds per loop.")
    parser.add_argument("--steps_per_round", type=int, default=2, help="Steps timed together in one round.")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: all CPUs).")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = {}
    for name in args.configs:
        results[name] = measure(name, args.rounds, args.steps_per_round, args.threads)
        print(json.dumps(results[name]), flush=True)
    for name, result in results.items():
        images = 400 * 100  # facades, 100 epochs
        cpu_minutes = images / result["batch_size"] * result["project"]["cpu_s_per_step"] / 60
        print(
            f"{name}: plain {result['plain']['images_per_s']} img/s, project {result['project']['images_per_s']} img/s"
            f" (wall {result['speedup_wall']}x, CPU time {result['speedup']}x); facades x 100 epochs: "
            f"{images / result['project']['images_per_s'] / 60:.0f} min wall at this load, "
            f"{cpu_minutes:.0f} CPU-minutes ({cpu_minutes / args.threads:.0f} min on {args.threads} idle cores)"
        )
    print(f"speedup: {results['paper']['speedup'] if 'paper' in results else 'n/a'}")


if __name__ == "__main__":
    main()
