"""CPU feature detection and the bf16 decision that inference and training share."""

from __future__ import annotations

import torch

from pix2pix_hub import hardware
from pix2pix_hub.hardware import CPUFeatures, bf16_is_fast, cpu_features


def test_cpu_features_agree_with_torch():
    features = cpu_features()
    assert features.capability == torch.backends.cpu.get_cpu_capability()
    assert features.native_bf16 == (features.avx512_bf16 or features.amx)
    assert bf16_is_fast(torch.device("cpu")) == features.native_bf16
    if features.capability == "AVX512":
        assert features.avx2 and features.avx512
    assert f"AVX512-BF16 {'yes' if features.avx512_bf16 else 'no'}" in features.describe()


def test_proc_cpuinfo_is_read_as_torch_names_the_features(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu avx avx2 avx512f avx512_bf16 sse\n"
        "processor\t: 1\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu avx avx2 avx512f avx512_bf16 sse\n"
    )
    info = hardware._proc_cpuinfo(cpuinfo)
    assert info == {"cpu_name": "AMD EPYC 9R14", "avx2": True, "avx512_f": True, "avx512_bf16": True, "amx_bf16": False}
    assert hardware._proc_cpuinfo(tmp_path / "missing") == {}


def test_without_torch_cpuinfo_the_features_come_from_proc_or_the_capability(monkeypatch, tmp_path):
    monkeypatch.delattr(torch.cpu, "get_capabilities", raising=False)
    monkeypatch.setattr(hardware, "_proc_cpuinfo", lambda: {})
    hardware.cpu_features.cache_clear()
    try:
        features = hardware.cpu_features()
        assert isinstance(features, CPUFeatures)
        assert not features.native_bf16  # nothing says bf16 is native, so it is not assumed
        assert features.avx2 == (features.capability in ("AVX2", "AVX512"))
    finally:
        hardware.cpu_features.cache_clear()


def test_bf16_is_not_fast_on_devices_without_it():
    assert not bf16_is_fast(torch.device("meta"))
    assert bf16_is_fast("cpu") == cpu_features().native_bf16


def test_an_isa_cap_makes_bf16_and_amx_unavailable(monkeypatch):
    """ONEDNN_MAX_CPU_ISA below AVX512_CORE_BF16 (how this project runs a CPU as an AVX2-only kind) means bf16
    convolutions are emulated, so nothing may choose bf16; an uncapped or bf16-capable cap keeps the flags."""
    monkeypatch.setattr(
        torch.cpu, "get_capabilities", lambda: {"cpu_name": "x", "avx2": True, "avx512_f": True, "avx512_bf16": True}
    )
    for cap, native in (("AVX2", False), ("avx512_core", False), ("AVX512_CORE_BF16", True), ("ALL", True)):
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
        cpu_features.cache_clear()
        try:
            assert cpu_features().native_bf16 is native, cap
        finally:
            cpu_features.cache_clear()
