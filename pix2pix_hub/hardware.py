"""What the machine at hand runs fast: CPU vector and matrix features, and whether bf16 is native on a device.
Inference (`pix2pix_hub.backends`) and training (`train/train.py`) choose their precision from these."""

from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass(frozen=True)
class CPUFeatures:
    """The x86 features that decide which kernels run: AVX2 (every recent CPU), AVX-512, native bf16 dot products
    (AVX512-BF16) and Intel's AMX tiles; `capability` is the kernel set torch itself dispatches to."""

    name: str
    avx2: bool
    avx512: bool
    avx512_bf16: bool
    amx: bool
    capability: str

    @property
    def native_bf16(self) -> bool:
        """bf16 matrix products run in hardware (AVX512-BF16 or AMX) instead of being emulated through fp32."""
        return self.avx512_bf16 or self.amx

    def describe(self) -> str:
        """One line for logs and benchmarks: the CPU's name and yes/no for each feature."""
        flags = ", ".join(
            f"{label} {'yes' if value else 'no'}"
            for label, value in (
                ("AVX2", self.avx2),
                ("AVX512", self.avx512),
                ("AVX512-BF16", self.avx512_bf16),
                ("AMX", self.amx),
            )
        )
        return f"{self.name}: {flags}; torch kernels {self.capability}"


def _proc_cpuinfo(path: Path = Path("/proc/cpuinfo")) -> dict[str, object]:
    """The model name and feature flags from /proc/cpuinfo (Linux), named as `torch.cpu.get_capabilities` names
    them; empty where there is no such file."""
    if not path.is_file():
        return {}
    info: dict[str, object] = {}
    for line in path.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and "cpu_name" not in info:
            info["cpu_name"] = value.strip()
        elif key == "flags":
            flags = set(value.split())
            info.update(
                avx2="avx2" in flags,
                avx512_f="avx512f" in flags,
                avx512_bf16="avx512_bf16" in flags,
                amx_bf16="amx_bf16" in flags,
            )
            break
    return info


#: oneDNN's ISA names (ONEDNN_MAX_CPU_ISA) from which on bf16 dot products, and AMX tiles, are used
_ONEDNN_BF16_ISAS = ("AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX10_1_512", "AVX512_CORE_AMX", "AVX10_1_512_AMX")
_ONEDNN_UNCAPPED = ("", "ALL", "DEFAULT")


def onednn_isa_cap() -> str:
    """The ISA oneDNN (torch's CPU convolutions) is capped to by ONEDNN_MAX_CPU_ISA (or DNNL_MAX_CPU_ISA), upper
    case; '' where uncapped."""
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or ""
    return "" if cap.upper() in _ONEDNN_UNCAPPED else cap.upper()


@functools.cache
def cpu_features() -> CPUFeatures:
    """This CPU's features as torch's cpuinfo reads them (`torch.cpu.get_capabilities`, torch >= 2.8), else from
    /proc/cpuinfo, else only what torch's kernel capability implies (no native bf16 assumed). Capped as torch is:
    ATEN_CPU_CAPABILITY=avx2 turns AVX-512 off, an ONEDNN_MAX_CPU_ISA below AVX512_CORE_BF16 native bf16 and AMX
    (the way to run this machine as an AVX2-only CPU kind)."""
    capability = torch.backends.cpu.get_cpu_capability()
    get_capabilities = getattr(torch.cpu, "get_capabilities", None)
    info = get_capabilities() if get_capabilities is not None else _proc_cpuinfo()
    cap = onednn_isa_cap()
    bf16_allowed = not cap or cap.startswith(_ONEDNN_BF16_ISAS)
    return CPUFeatures(
        name=str(info.get("cpu_name") or platform.processor() or platform.machine()),
        avx2=bool(info.get("avx2", capability in ("AVX2", "AVX512"))),
        avx512=bool(info.get("avx512_f", capability == "AVX512")) and capability == "AVX512",
        avx512_bf16=bool(info.get("avx512_bf16", False)) and bf16_allowed,
        amx=bool(info.get("amx_bf16", False)) and (not cap or "AMX" in cap),
        capability=capability,
    )


def bf16_is_fast(device: torch.device | str) -> bool:
    """bf16 pays on CUDA and on CPUs with native bf16 (AVX512-BF16 / AMX); elsewhere it is emulated and slow."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_features().native_bf16
    return False


__all__ = ["CPUFeatures", "bf16_is_fast", "cpu_features", "onednn_isa_cap"]
