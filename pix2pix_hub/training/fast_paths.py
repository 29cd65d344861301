"""Which speed-ups a training run uses on the machine at hand: each flag is 'auto' or forced.

On a CPU, 'auto' is decided by measurement (pix2pix_hub.training.path_probe times the candidates on the run's own
networks, once per machine and configuration): which layout and whether torch.compile pay differ between CPU kinds
and configurations (docs/training.md has the figures per CPU kind). Never a candidate: bf16 where it is emulated
(AVX2 without AVX512-BF16 or AMX: many times slower than fp32). Without a measurement (a short run, a GPU, several
processes) the rule `rule_fast_paths` holds: bf16 where native, channels_last with bf16 on GPUs and AMX CPUs (where
it was measured faster; on Zen 4 it slowed the paper's configuration), no torch.compile.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..hardware import bf16_is_fast, cpu_features
from .matmul_convs import use_matmul_convs

AUTO_CHOICES = ("auto", "yes", "no")
MIXED_PRECISION_CHOICES = ("auto", "no", "fp16", "bf16")


def default_device() -> torch.device:
    """The device Accelerate picks for a single process: CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class FastPaths:
    """The resolved choices of one run (what the log and the benchmark report), with why mixed precision is what
    it is."""

    mixed_precision: str
    channels_last: bool
    compile: bool
    why: str = ""
    measured: str = ""
    matmul_convs: bool = False

    @property
    def label(self) -> str:
        """A short name of the combination, e.g. `bf16+channels_last` or `fp32`, as measurements are stored."""
        precision = "fp32" if self.mixed_precision == "no" else self.mixed_precision
        flags = ["channels_last"] * self.channels_last + ["matmul"] * self.matmul_convs + ["compile"] * self.compile
        return "+".join([precision] + flags)

    def describe(self) -> str:
        parts = [f"mixed precision {self.mixed_precision}" + (f" ({self.why})" if self.why else "")]
        parts.append("channels_last" if self.channels_last else "NCHW")
        if self.matmul_convs:
            parts.append("small-map convolutions as matmuls")
        if self.compile:
            parts.append("torch.compile")
        return ", ".join(parts) + (f"; {self.measured}" if self.measured else "")


#: how many parent processes up `accelerate launch` may be (train.py <- accelerate; or <- torchrun agent <- accelerate)
LAUNCHER_DEPTH = 3


def _process_cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")


def _parent_pid(pid: int) -> int:
    # /proc/PID/stat: "pid (name) state ppid ..."; the name may hold spaces, so split after its closing bracket
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def launcher_cmdline() -> list[str] | None:
    """The `accelerate launch ...` command line this process was started by, or None (another launcher, a plain
    `python train.py`, or no /proc to read)."""
    pid = os.getpid()
    try:
        for _ in range(LAUNCHER_DEPTH):
            pid = _parent_pid(pid)
            args = _process_cmdline(pid)
            for i, arg in enumerate(args):
                name = os.path.basename(arg)
                launch = name == "accelerate" and args[i + 1 : i + 2] == ["launch"]
                if launch or name == "accelerate-launch" or arg == "accelerate.commands.launch":
                    return args[i:]
    except (OSError, ValueError, IndexError):
        return None
    return None


def _option_value(args: list[str], option: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


def launcher_mixed_precision() -> tuple[str, str] | None:
    """(precision, where it was chosen) when the person chose mixed precision for this run outside train.py: on the
    `accelerate launch` command line, in the accelerate config file it read, or by setting ACCELERATE_MIXED_PRECISION
    themselves; None when the variable is unset or is only `accelerate launch`'s built-in default ('no'), which
    the launcher sets whenever no config says otherwise."""
    value = os.environ.get("ACCELERATE_MIXED_PRECISION")
    if not value:
        return None
    args = launcher_cmdline()
    if args is None:
        return value, "ACCELERATE_MIXED_PRECISION"
    if _option_value(args, "--mixed_precision") is not None:
        return value, "accelerate launch --mixed_precision"
    from accelerate.commands.config import default_config_file, load_config_from_file

    config_file = _option_value(args, "--config_file") or default_config_file
    if os.path.isfile(config_file):
        try:
            chosen = load_config_from_file(config_file).mixed_precision
        except Exception:  # an unreadable config: accelerate itself reported it; nothing was chosen there
            chosen = None
        if chosen is not None:
            return value, f"accelerate config {config_file}"
    return None


def resolve_precision(mixed_precision: str, device: torch.device) -> tuple[list[str], str]:
    """The mixed precisions 'auto' may choose from (bf16 and fp32 where bf16 is native, else fp32 alone), or the one
    chosen by the flag or for `accelerate launch` (`launcher_mixed_precision`; its built-in default is no choice);
    with why."""
    if mixed_precision != "auto":
        return [mixed_precision], "--mixed_precision"
    if (chosen := launcher_mixed_precision()) is not None:
        return [chosen[0]], f"auto: from {chosen[1]}"
    if bf16_is_fast(device):
        return ["bf16", "no"], f"auto: native bf16 on this {device.type}"
    return ["no"], f"auto: bf16 is not native on this {device.type}"


def rule_fast_paths(
    precision: str, channels_last: str, compile: str, device: torch.device, why: str, matmul_convs: str = "auto"
) -> FastPaths:
    """The choice without a measurement: channels_last with bf16 on GPUs and on AMX CPUs (oneDNN's AMX kernels are
    NHWC); not on other CPUs, where it was measured slower for the paper's configuration (Zen 4) or for fp32 (AVX2).
    Small-map convolutions as matmuls only where asked: their gain depends on the CPU and the batch."""
    nhwc_native = device.type == "cuda" or cpu_features().amx
    last = precision == "bf16" and nhwc_native if channels_last == "auto" else channels_last == "yes"
    return FastPaths(precision, last, compile == "yes", why, matmul_convs=matmul_convs == "yes")


#: measures candidates and chooses (path_probe.probe_fast_paths bound to a run), or None where nothing is measured
Probe = Callable[[list[FastPaths], str], FastPaths | None]


def resolve_fast_paths(
    mixed_precision: str = "auto",
    channels_last: str = "auto",
    compile: str = "auto",
    device: torch.device | None = None,
    probe: Probe | None = None,
    matmul_convs: str = "auto",
) -> FastPaths:
    """Turn the flags into choices. With a `probe` on a CPU, 'auto' takes the fastest measured candidate (and
    torch.compile where it pays for the run's length); else, or when the probe measured nothing, the rule."""
    device = device or default_device()
    precisions, why = resolve_precision(mixed_precision, device)
    layouts = [False, True] if channels_last == "auto" else [channels_last == "yes"]
    matmuls = [False, True] if matmul_convs == "auto" else [matmul_convs == "yes"]
    rule = rule_fast_paths(precisions[0], channels_last, compile, device, why, matmul_convs)
    # matmul convolutions are NCHW kernels: with both on auto, not timed beside channels_last
    combos = [
        (last, matmul)
        for last in layouts
        for matmul in matmuls
        if not (last and matmul and "auto" == channels_last == matmul_convs)
    ]
    # the rule's choice first: it wins where the measured candidates are tied (path_probe.TIE_FRACTION)
    rule_key = (rule.mixed_precision, rule.channels_last, rule.matmul_convs)
    candidates = sorted(
        (FastPaths(p, last, False, why, matmul_convs=matmul) for p in precisions for last, matmul in combos),
        key=lambda c: (c.mixed_precision, c.channels_last, c.matmul_convs) != rule_key,
    )
    # emulated bf16 and fp16 on a CPU are never fast: not worth minutes of timing
    measurable = all(p == "no" or (p == "bf16" and bf16_is_fast(device)) for p in precisions)
    if probe is not None and device.type == "cpu" and measurable and (len(candidates) > 1 or compile == "auto"):
        chosen = probe(candidates, compile)
        if chosen is not None:
            return chosen
    return rule


def memory_format(paths: FastPaths) -> torch.memory_format:
    return torch.channels_last if paths.channels_last else torch.contiguous_format


def _contiguous_state_dict(module: nn.Module, state_dict: dict, prefix: str, local_metadata: dict) -> None:
    """safetensors stores only contiguous tensors: hand out channels_last weights in the standard layout."""
    for key, value in state_dict.items():
        if isinstance(value, torch.Tensor) and not value.is_contiguous():
            state_dict[key] = value.contiguous()


def apply_to_model(model: nn.Module, paths: FastPaths) -> nn.Module:
    """Lay the weights out for the chosen kernels (and swap in the matmul convolutions where chosen); the state
    dict (and so every saved file) keeps the standard layout, so checkpoints and model folders are the same whichever
    path trained them."""
    if paths.channels_last:
        model.to(memory_format=torch.channels_last)
        model.register_state_dict_post_hook(_contiguous_state_dict)
    if paths.matmul_convs:
        use_matmul_convs(model)
    return model


def apply_to_batch(batch: torch.Tensor, paths: FastPaths) -> torch.Tensor:
    return batch.contiguous(memory_format=memory_format(paths))
