"""Training fast paths chosen by measurement (pix2pix_hub.training.path_probe): the choice from given timings, when
torch.compile pays, the candidates per CPU kind (mocked), the stored measurement, and the start-up log."""

from __future__ import annotations

import pytest
import torch
from test_training import make_pairs, run_training

from pix2pix_hub.hardware import CPUFeatures
from pix2pix_hub.models import PatchGANDiscriminator, Pix2PixGenerator
from pix2pix_hub.training import fast_paths, path_probe
from pix2pix_hub.training.fast_paths import FastPaths, resolve_fast_paths
from pix2pix_hub.training.losses import Objective
from pix2pix_hub.training.path_probe import PROBE_MIN_STEPS, RunShape, choose, compile_decision, probe_fast_paths

CPU = torch.device("cpu")
ZEN4 = CPUFeatures("AMD EPYC", avx2=True, avx512=True, avx512_bf16=True, amx=False, capability="AVX512")
SAPPHIRE_RAPIDS = CPUFeatures("Intel Xeon", avx2=True, avx512=True, avx512_bf16=True, amx=True, capability="AVX512")
AVX2_ONLY = CPUFeatures("AMD EPYC", avx2=True, avx512=False, avx512_bf16=False, amx=False, capability="AVX2")
#: the paper config on Zen 4 as measured: bf16 fastest, channels_last slower
TIMINGS = {"bf16": 0.60, "bf16+channels_last": 0.66, "fp32": 0.90, "fp32+channels_last": 1.02}


@pytest.fixture
def cpu_kind(monkeypatch):
    """Pretend to run on the given CPU kind (hardware.bf16_is_fast and the rule read it)."""

    def use(features: CPUFeatures) -> None:
        monkeypatch.setattr("pix2pix_hub.hardware.cpu_features", lambda: features)
        monkeypatch.setattr(fast_paths, "cpu_features", lambda: features)

    monkeypatch.delenv("ACCELERATE_MIXED_PRECISION", raising=False)
    return use


def candidates(*labels: str) -> list[FastPaths]:
    return [
        FastPaths("bf16" if "bf16" in label else "no", "channels_last" in label, False, matmul_convs="matmul" in label)
        for label in labels
    ]


def tiny_shape(steps: int) -> RunShape:
    def build():
        return Pix2PixGenerator(ngf=4, num_downs=5), PatchGANDiscriminator(ndf=4)

    return RunShape(build, (1, 3, 32, 32), Objective(), steps, {"tiny": True})


def test_choose_takes_the_fastest_measured_and_says_so():
    chosen = choose(candidates(*TIMINGS), {"cpu_s_per_step": TIMINGS}, "no", 1000)
    assert (chosen.label, chosen.why) == ("bf16", "auto: fastest measured")
    assert chosen.describe() == (
        "mixed precision bf16 (auto: fastest measured), NCHW; measured CPU s/step here: bf16 0.6, "
        "bf16+channels_last 0.66, fp32 0.9, fp32+channels_last 1.02; --compile no"
    )
    # a forced precision keeps its own reason; the layout is still the measured faster one
    forced = [FastPaths("no", last, False, "--mixed_precision") for last in (False, True)]
    chosen = choose(forced, {"cpu_s_per_step": TIMINGS}, "no", 1000)
    assert (chosen.label, chosen.why) == ("fp32", "--mixed_precision")
    slow_nchw = {**TIMINGS, "bf16": 0.7}
    assert choose(candidates(*TIMINGS), {"cpu_s_per_step": slow_nchw}, "no", 1000).label == "bf16+channels_last"


def test_candidates_measured_within_the_noise_keep_the_rules_choice():
    """The paper config on Zen 4 at load 10: all four within 4%, so the first listed (the rule's bf16) is kept."""
    loaded = {"fp32+channels_last": 2.61, "bf16": 2.62, "bf16+channels_last": 2.68, "fp32": 2.70}
    chosen = choose(candidates(*TIMINGS), {"cpu_s_per_step": loaded}, "no", 1000)
    assert (chosen.label, chosen.why) == ("bf16", "auto: measured within 5%, rule")
    assert "fp32+channels_last 2.61, bf16 2.62, bf16+channels_last 2.68, fp32 2.7 (bf16 kept: within 5% of the " in (
        chosen.measured
    )
    decisive = {**loaded, "fp32+channels_last": 2.40}
    assert choose(candidates(*TIMINGS), {"cpu_s_per_step": decisive}, "no", 1000).label == "fp32+channels_last"


def test_compile_is_chosen_only_where_it_pays_for_its_compilation():
    eager = FastPaths("bf16", False, False)
    measured = {"label": "bf16+compile", "cpu_s_per_step": 0.5, "compile_s": 100.0}
    assert compile_decision(eager, 0.6, measured, 2000) == (
        True,
        "torch.compile pays: 0.5 CPU s/step against 0.6 eager, after 100 s of compilation; saves 200 s over 2000 steps",
    )
    assert compile_decision(eager, 0.6, measured, 500)[0] is False  # saves 50 s for 100 s of compilation
    assert compile_decision(eager, 0.4, measured, 10**6)[0] is False  # slower than eager
    assert compile_decision(FastPaths("no", False, False), 0.6, measured, 10**6)[0] is False  # timed on another path
    used, why = compile_decision(eager, 0.6, None, 100)
    assert not used and why.startswith("torch.compile not timed: the run (about 1 min) is under 30")
    failed = {"label": "bf16+compile", "error": "InductorError: no C++ compiler"}
    assert compile_decision(eager, 0.6, failed, 10**6) == (
        False,
        "torch.compile failed here (InductorError: no C++ compiler)",
    )
    record = {"cpu_s_per_step": TIMINGS, "compile": measured}
    assert choose(candidates(*TIMINGS), record, "auto", 2000).label == "bf16+compile"
    assert choose(candidates(*TIMINGS), record, "no", 2000).label == "bf16"


@pytest.mark.parametrize(
    ("features", "labels", "rule"),
    [
        (ZEN4, ["bf16", "bf16+matmul", "bf16+channels_last", "fp32", "fp32+matmul", "fp32+channels_last"], "bf16"),
        (
            SAPPHIRE_RAPIDS,
            ["bf16+channels_last", "bf16", "bf16+matmul", "fp32", "fp32+matmul", "fp32+channels_last"],
            "bf16+channels_last",
        ),
        (AVX2_ONLY, ["fp32", "fp32+matmul", "fp32+channels_last"], "fp32"),
    ],
    ids=["zen4", "amx", "avx2"],
)
def test_candidates_and_rule_per_cpu_kind(cpu_kind, features, labels, rule):
    """Emulated bf16 (AVX2) is never a candidate; the rule's choice is offered first (it wins ties); matmul
    convolutions are timed on NCHW only; without a measurement the rule holds (channels_last only on AMX, no
    matmul convolutions)."""
    cpu_kind(features)
    offered = []

    def probe(candidates, compile):
        offered.extend(c.label for c in candidates)
        return None  # nothing measured (a short run)

    chosen = resolve_fast_paths(device=CPU, probe=probe)
    assert offered == labels
    assert chosen.label == rule and not chosen.measured
    expected_why = "auto: bf16 is not native on this cpu" if features is AVX2_ONLY else "auto: native bf16 on this cpu"
    assert chosen.why == expected_why


def test_avx2_cpu_chooses_fp32_from_measurement(cpu_kind):
    cpu_kind(AVX2_ONLY)
    record = {"cpu_s_per_step": {"fp32": 2.0, "fp32+channels_last": 2.26}}
    chosen = resolve_fast_paths(device=CPU, probe=lambda c, m: choose(c, record, m, 1000))
    assert chosen.label == "fp32" and chosen.why == "auto: bf16 is not native on this cpu"
    assert "measured CPU s/step here: fp32 2, fp32+channels_last 2.26" in chosen.describe()


def test_matmul_convs_are_chosen_where_measured_faster(cpu_kind):
    cpu_kind(ZEN4)
    record = {"cpu_s_per_step": {**TIMINGS, "bf16+matmul": 0.48, "fp32+matmul": 0.95}}
    chosen = resolve_fast_paths(device=CPU, probe=lambda c, m: choose(c, record, m, 1000))
    assert chosen.label == "bf16+matmul" and chosen.matmul_convs and not chosen.channels_last
    assert "NCHW, small-map convolutions as matmuls; measured CPU s/step here: bf16+matmul 0.48" in chosen.describe()


def test_emulated_or_forced_single_paths_are_not_probed(cpu_kind):
    cpu_kind(AVX2_ONLY)

    def probe(candidates, compile):
        raise AssertionError("nothing to measure")

    forced = resolve_fast_paths("bf16", "no", "no", device=CPU, probe=probe, matmul_convs="no")  # emulated: untimed
    assert forced.label == "bf16" and forced.why == "--mixed_precision"
    assert (
        resolve_fast_paths("no", "yes", "no", device=CPU, probe=probe, matmul_convs="no").label == "fp32+channels_last"
    )


def test_probe_measures_once_and_stores_per_configuration(monkeypatch, graph_cache_dir):
    calls = []

    def fake_time_paths(shape, candidates):
        calls.append([c.label for c in candidates])
        return {c.label: TIMINGS[c.label] for c in candidates}

    monkeypatch.setattr(path_probe, "time_paths", fake_time_paths)
    paths = candidates(*TIMINGS)
    assert probe_fast_paths(tiny_shape(PROBE_MIN_STEPS - 1), paths, "no") is None  # short, nothing stored
    assert calls == []
    assert probe_fast_paths(tiny_shape(PROBE_MIN_STEPS), paths, "no").label == "bf16"
    assert calls == [list(TIMINGS)]
    assert len(list((graph_cache_dir / "training").glob("*.json"))) == 1
    # the next run (even a short one) reads the stored timings
    assert probe_fast_paths(tiny_shape(10), paths, "no").label == "bf16"
    assert calls == [list(TIMINGS)]


def test_probe_times_compile_only_for_long_runs(monkeypatch):
    monkeypatch.setattr(path_probe, "time_paths", lambda shape, c: {p.label: TIMINGS[p.label] for p in c})
    compiled = []

    def fake_time_compile(shape, eager):
        compiled.append(eager.label)
        return {"label": eager.label + "+compile", "cpu_s_per_step": 0.5, "compile_s": 60.0}

    monkeypatch.setattr(path_probe, "time_compile", fake_time_compile)
    paths = candidates(*TIMINGS)
    chosen = probe_fast_paths(tiny_shape(2000), paths, "auto")  # 0.6 s x 2000 = 20 min: not timed
    assert compiled == [] and chosen.label == "bf16" and "torch.compile not timed" in chosen.measured
    chosen = probe_fast_paths(tiny_shape(4000), paths, "auto")  # 40 min: timed, saves 400 s for 60 s
    assert compiled == ["bf16"] and chosen.label == "bf16+compile"
    assert probe_fast_paths(tiny_shape(4000), paths, "no").label == "bf16"


def test_time_paths_runs_the_training_step_on_each_candidate():
    paths = candidates("fp32", "fp32+channels_last", "fp32+matmul", *(["bf16"] if fast_paths.bf16_is_fast(CPU) else []))
    timings = path_probe.time_paths(tiny_shape(PROBE_MIN_STEPS), paths, rounds=1)
    assert sorted(timings) == sorted(p.label for p in paths) and all(t > 0 for t in timings.values())


@pytest.mark.slow
def test_train_log_states_the_measured_choice(tmp_path):
    """A run long enough to probe logs the timings and the choice; each step's wall time is in the log."""
    data = make_pairs(tmp_path / "pairs")
    steps = str(PROBE_MIN_STEPS)
    proc = run_training(data, tmp_path / "run", "--max_train_steps", steps, "--validation_split", "none")
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(line for line in proc.stderr.splitlines() if "fast paths: mixed precision" in line)
    assert "measured CPU s/step here: " in line and "torch.compile not timed" in line
    assert "fast paths: timed " in proc.stderr


def test_a_failing_compile_is_recorded_not_raised(monkeypatch):
    def no_compiler(model):
        raise RuntimeError("InductorError: CppCompileError: C++ compile error\nmore lines")

    monkeypatch.setattr(torch, "compile", no_compiler)
    result = path_probe.time_compile(tiny_shape(PROBE_MIN_STEPS), FastPaths("no", False, False), rounds=1)
    assert result == {
        "label": "fp32+compile",
        "error": "RuntimeError: InductorError: CppCompileError: C++ compile error",
    }
