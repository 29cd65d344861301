"""Inference backends for a generator in deterministic eval mode: torch (channels_last, bf16 autocast where native),
OpenVINO, onnxruntime, int8 (the generator quantized by `pix2pix_hub.quantization`, run by OpenVINO) and
`backend="auto"`, which times them once on the first batch and keeps the fastest; auto considers int8 only for a
model whose stored int8 quality check passed.

Every backend takes and returns (N, C, H, W) float32 tensors in [-1, 1] with H and W multiples of the generator's
`min_input_size`; batch, height and width are dynamic. Graph runtimes use as many threads as torch is set to when
they are built (`torch.set_num_threads`; the Space serves with one). Converted graphs and auto's choices are kept
per generator in the process (rebuilt only when its weights change) and on disk (`pix2pix_hub.graph_cache`), so a
second process reuses both.

When "auto" has no stored choice yet, it converts and times only when the job is large enough to pay for it:
converting a generator and timing both backends costs 2-5 s on a 2-core CPU, and a graph runtime saves at most a
few tens of ms per 256x256 image, so a job of fewer than `AUTO_MIN_IMAGES` images (one file to `translate`, one
Space request) runs on torch at once and leaves the choice to a later, larger job (a folder: 8 images per batch).
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import graph_cache
from .defaults import BACKEND_CHOICES
from .errors import Pix2PixHubError
from .hardware import cpu_features
from .models import Pix2PixGenerator

logger = logging.getLogger(__name__)

BACKENDS = tuple(name for name in BACKEND_CHOICES if name != "auto")
#: graph runtimes in the order "auto" considers them: it times torch against the first one installed
GRAPH_BACKENDS = ("openvino", "onnxruntime")
#: backends with bf16 kernels; onnxruntime's CPU provider has no bf16 convolutions, so it always runs fp32
BF16_BACKENDS = ("torch", "openvino")
#: backends that run on the CPU only
CPU_BACKENDS = (*GRAPH_BACKENDS, "int8")
#: how to install each graph runtime (openvino is a dependency; onnxruntime comes with the onnx extra)
BACKEND_INSTALL = {"openvino": "pip install openvino", "onnxruntime": "pip install 'pix2pix_hub[onnx]'"}
#: int8 runs its QDQ graph on OpenVINO (2-2.5x its bf16 rate on an AVX512-VNNI CPU; onnxruntime runs the same graph
#: at 1.1-1.5x its fp32 rate, benchmarks/inference.py), else on onnxruntime
INT8_RUNTIMES = ("openvino", "onnxruntime")
#: smallest job (images) for which "auto" converts and times without a stored choice (see the module docstring)
AUTO_MIN_IMAGES = 8


@dataclass
class Runner:
    """One backend, ready to run: `run` maps a padded (N, C, H, W) float32 batch to the generator's output."""

    backend: str
    bf16: bool
    run: Callable[[torch.Tensor], torch.Tensor]
    #: the graph runtime under an int8 runner ("openvino" or "onnxruntime")
    runtime: str = ""

    @property
    def label(self) -> str:
        """What runs, for logs and benchmarks: "openvino bf16", "torch fp32", "int8 (openvino)", ..."""
        if self.backend == "int8":
            return f"int8 ({self.runtime})"
        return f"{self.backend} {'bf16' if self.bf16 else 'fp32'}"

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self.run(batch)


def backend_installed(name: str) -> bool:
    """Whether the package a backend needs can be imported (torch always can)."""
    return name == "torch" or importlib.util.find_spec(name) is not None


def check_backend(name: str, device: torch.device) -> None:
    """Reject an unknown backend, a graph backend off the CPU, or one whose package is missing, naming the fix."""
    if name not in BACKEND_CHOICES:
        raise Pix2PixHubError(f"backend must be one of {', '.join(BACKEND_CHOICES)}, got {name!r}")
    if name in CPU_BACKENDS and device.type != "cpu":
        raise Pix2PixHubError(f"backend {name!r} runs on the CPU only; use backend 'torch' or 'auto' on {device}")
    if name in GRAPH_BACKENDS and not backend_installed(name):
        raise Pix2PixHubError(f"backend {name!r} needs its package: {BACKEND_INSTALL[name]}")
    if name == "int8" and not any(backend_installed(runtime) for runtime in INT8_RUNTIMES):
        raise Pix2PixHubError(f"backend 'int8' needs OpenVINO or onnxruntime: {BACKEND_INSTALL['openvino']}")


def amx_bf16_is_wrong(generator: Pix2PixGenerator, batch: torch.Tensor) -> bool:
    """oneDNN's AMX bf16 convolution (torch 2.13) returns garbage or NaN for the bottleneck's 4x4 stride-2
    convolution when its input is 2 pixels wide and taller than that: a padded width of exactly
    `min_input_size` and a larger height (found on Sapphire Rapids by tests/test_backends.py's tall narrow shape)."""
    height, width = batch.shape[-2:]
    return batch.device.type == "cpu" and cpu_features().amx and width == generator.min_input_size < height


def torch_runner(generator: Pix2PixGenerator, device: torch.device, bf16: bool) -> Runner:
    """Eager torch in eval mode: channels_last memory (oneDNN's fast layout), inference mode, bf16 autocast
    (fp32 for the batch shapes `amx_bf16_is_wrong` names)."""
    generator.to(device, memory_format=torch.channels_last)

    @torch.inference_mode()
    def run(batch: torch.Tensor) -> torch.Tensor:
        x = batch.to(device).contiguous(memory_format=torch.channels_last)
        autocast = bf16 and not amx_bf16_is_wrong(generator, x)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
            return generator(x).float().contiguous()

    return Runner("torch", bf16, run)


def _example_input(generator: Pix2PixGenerator) -> torch.Tensor:
    # Twice the minimum size: at exactly the minimum the bottleneck is 1x1 and tracing may specialise on it.
    side = 2 * generator.min_input_size
    return torch.zeros(1, generator.down_blocks[0].conv.in_channels, side, side)


def openvino_runner(generator: Pix2PixGenerator, bf16: bool, cache_key: str | None = None) -> Runner:
    """OpenVINO on the CPU: the generator converted with dynamic batch, height and width (read from the disk cache
    under `cache_key` when given, else converted in memory); bf16 through the plugin's inference-precision hint
    (AMX or AVX512-BF16 kernels), fp32 otherwise."""
    import openvino as ov

    def convert() -> ov.Model:
        example = _example_input(generator)
        with torch.no_grad():
            return ov.convert_model(
                generator.eval(), example_input=example, input=[ov.PartialShape([-1, example.shape[1], -1, -1])]
            )

    core = ov.Core()
    config = {"INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32", "INFERENCE_NUM_THREADS": torch.get_num_threads()}
    if cache_key is None:
        compiled = core.compile_model(convert(), "CPU", config)
    else:
        compiled, _ = graph_cache.cached_graph(
            cache_key,
            "openvino",
            build=lambda folder: ov.save_model(convert(), folder / "model.xml", compress_to_fp16=False),
            load=lambda folder: core.compile_model(core.read_model(folder / "model.xml"), "CPU", config),
        )

    def run(batch: torch.Tensor) -> torch.Tensor:
        # A request per call: requests are not thread-safe, and the Space calls from several workers.
        result = compiled.create_infer_request().infer([batch.detach().cpu().numpy()])
        return torch.from_numpy(result[0])

    return Runner("openvino", bf16, run)


def onnxruntime_runner(generator: Pix2PixGenerator, cache_key: str | None = None) -> Runner:
    """onnxruntime's CPU provider on the generator exported by `pix2pix_hub.onnx_export` (kept in the disk cache
    under `cache_key` when given), in fp32."""
    import onnxruntime as ort

    from .onnx_export import export_onnx

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()

    def load(folder: Path) -> ort.InferenceSession:
        return ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    if cache_key is None:
        with tempfile.TemporaryDirectory() as tmp:
            export_onnx(generator, Path(tmp) / "model.onnx")
            session = load(Path(tmp))
    else:
        session, _ = graph_cache.cached_graph(
            cache_key, "onnxruntime", build=lambda folder: export_onnx(generator, folder / "model.onnx"), load=load
        )

    def run(batch: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {"input": batch.detach().cpu().numpy()})[0])

    return Runner("onnxruntime", False, run)


def int8_runner(generator: Pix2PixGenerator) -> Runner:
    """The generator's int8 QDQ graph (`calibration.load_int8`: exported beside the model, or made now for a zoo
    model) on OpenVINO, else onnxruntime; the parts left in float run in fp32."""
    from . import quantization
    from .calibration import load_int8

    weights = graph_cache.weights_hash(generator)
    if backend_installed("openvino"):
        import openvino as ov

        config = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": torch.get_num_threads()}
        compiled = load_int8(
            generator,
            weights,
            lambda folder: ov.Core().compile_model(str(folder / quantization.INT8_FILE), "CPU", config),
        )

        def run(batch: torch.Tensor) -> torch.Tensor:
            return torch.from_numpy(compiled.create_infer_request().infer([batch.detach().cpu().numpy()])[0])

        return Runner("int8", False, run, runtime="openvino")
    session = load_int8(generator, weights, lambda folder: quantization.onnx_session(folder / quantization.INT8_FILE))

    def run_onnxruntime(batch: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(["output"], {"input": batch.detach().cpu().numpy()})[0])

    return Runner("int8", False, run_onnxruntime, runtime="onnxruntime")


def int8_passed(generator: Pix2PixGenerator, weights: str) -> bool:
    """Whether an int8 graph of these weights exists and its stored quality check passed (auto's condition)."""
    from . import quantization

    folder = quantization.find_int8_folder(generator, weights)
    check = quantization.read_check(folder) if folder is not None else None
    return check is not None and check.int8_passed


def make_runner(
    name: str, generator: Pix2PixGenerator, device: torch.device, bf16: bool, cache_key: str | None = None
) -> Runner:
    """Build one backend for `generator` (a graph backend through the disk cache under `cache_key` when given; in
    memory otherwise); `bf16` where the backend has it. `resolve_runner` keeps what it builds."""
    check_backend(name, device)
    bf16 = bf16 and name in BF16_BACKENDS
    if name == "torch":
        return torch_runner(generator, device, bf16)
    if name == "openvino":
        return openvino_runner(generator, bf16, cache_key)
    if name == "onnxruntime":
        return onnxruntime_runner(generator, cache_key)
    if name == "int8":
        return int8_runner(generator)
    raise Pix2PixHubError(f"backend {name!r} is chosen by resolve_runner, not built")


@dataclass
class Choice:
    """What "auto" took, with the ms per image it measured for each candidate at `batch_size` (no timings when
    there was no choice to make)."""

    runner: Runner
    timings: dict[str, float] = field(default_factory=dict)
    batch_size: int | None = None

    def describe(self) -> str:
        if not self.timings:
            return self.runner.label
        measured = ", ".join(f"{label} {ms:.0f} ms/img" for label, ms in self.timings.items())
        return f"{self.runner.label} (measured at batch {self.batch_size}: {measured})"


def candidates(device: torch.device) -> list[str]:
    """What "auto" compares: torch, and on the CPU the first installed graph runtime (OpenVINO before
    onnxruntime, which was slower on every CPU measured and costs seconds to export)."""
    if device.type != "cpu":
        return ["torch"]
    graph = next((name for name in GRAPH_BACKENDS if backend_installed(name)), None)
    return ["torch", graph] if graph else ["torch"]


def measure(runners: list[Runner], batch: torch.Tensor, repeats: int = 2) -> dict[str, float]:
    """ms per image of each runner (by label) on `batch`: a warm-up call (shape-specific compilation), then the
    best of `repeats` timed calls, taken in turns so that other load on the machine falls on every runner alike."""
    for runner in runners:
        runner(batch)
    best = {runner.label: float("inf") for runner in runners}
    for _ in range(repeats):
        for runner in runners:
            start = time.perf_counter()
            runner(batch)
            best[runner.label] = min(best[runner.label], 1000 * (time.perf_counter() - start) / batch.shape[0])
    return best


def _fingerprint(generator: torch.nn.Module) -> tuple:
    """Changes whenever a weight or buffer is replaced or written in place (torch's version counters)."""
    tensors = [*generator.parameters(), *generator.buffers()]
    return tuple((t.data_ptr(), t._version) for t in tensors)


def _content(generator: torch.nn.Module) -> torch.Tensor:
    """Sums of every weight and buffer: tells a real change from a write that restored the same values (paper
    mode restores the batch-norm statistics after each call, which bumps their version counters)."""
    with torch.no_grad():
        return torch.stack([t.double().sum() for t in [*generator.parameters(), *generator.buffers()]])


class _GeneratorCache:
    """Built runners and auto's choices for one generator, valid while its weights are unchanged."""

    def __init__(self, generator: torch.nn.Module):
        self.lock = threading.Lock()
        self.fingerprint = _fingerprint(generator)
        self.content = _content(generator)
        self.graph_runners: dict[tuple[str, bool], Runner] = {}
        self.choices: dict[tuple[str, bool], tuple[str, dict[str, float], int | None]] = {}
        self._weights_hash: str | None = None

    def refresh(self, generator: torch.nn.Module) -> None:
        fingerprint = _fingerprint(generator)
        if fingerprint == self.fingerprint:
            return
        content = _content(generator)
        if not torch.equal(content, self.content):
            self.graph_runners.clear()
            self.choices.clear()
            self._weights_hash = None
        self.fingerprint, self.content = fingerprint, content

    def weights_hash(self, generator: torch.nn.Module) -> str:
        """The disk cache's key of these weights, computed once (tens of ms for the paper's 54M parameters)."""
        if self._weights_hash is None:
            self._weights_hash = graph_cache.weights_hash(generator)
        return self._weights_hash


# Keyed weakly by the generator, so a dropped model frees its converted graphs; a cached Runner never holds the
# generator itself (graph runtimes copy the weights), or the entry would keep its own key alive.
_CACHES: weakref.WeakKeyDictionary[torch.nn.Module, _GeneratorCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_for(generator: torch.nn.Module) -> _GeneratorCache:
    with _CACHES_LOCK:
        cache = _CACHES.get(generator)
        if cache is None:
            cache = _CACHES[generator] = _GeneratorCache(generator)
    return cache


def _choice_key(weights: str, device: torch.device, bf16: bool, batch_size: int, names: list[str]) -> str:
    precision = "bf16" if bf16 else "fp32"
    with_int8 = "-int8" if "int8" in names else ""
    return f"{weights}-{device.type}-{precision}-{torch.get_num_threads()}threads-batch{batch_size}{with_int8}"


def resolve_runner(
    generator: Pix2PixGenerator,
    device: torch.device,
    backend: str,
    bf16: bool,
    batch: torch.Tensor,
    job_images: int | None = None,
) -> Choice:
    """The runner for `backend` ("auto": the fastest candidate on `batch`, measured once per generator, device,
    precision, thread count and batch size, and stored on disk), built once and reused while the generator's
    weights stay the same. `job_images`, the size of the whole job, lets "auto" skip a conversion that would not
    pay (fewer than `AUTO_MIN_IMAGES` images and no stored choice: torch, nothing stored)."""
    check_backend(backend, device)
    cache = _cache_for(generator)
    with cache.lock:
        cache.refresh(generator)

        def build(name: str) -> Runner:
            if name == "torch":  # free to build, and it must hold the generator, so never cached
                return torch_runner(generator, device, bf16)
            key = (name, bf16 and name in BF16_BACKENDS)
            if key not in cache.graph_runners:
                start = time.perf_counter()
                disk_key = f"{cache.weights_hash(generator)}-{name}-{'bf16' if key[1] else 'fp32'}"
                cache.graph_runners[key] = make_runner(name, generator, device, bf16, cache_key=disk_key)
                logger.info("%s graph of the generator ready in %.1f s", name, time.perf_counter() - start)
            return cache.graph_runners[key]

        if backend != "auto":
            return Choice(build(backend))
        key = (str(device), bf16)
        if key not in cache.choices:
            names = candidates(device)
            if device.type == "cpu" and int8_passed(generator, cache.weights_hash(generator)):
                names.append("int8")
            if len(names) == 1:
                cache.choices[key] = (names[0], {}, None)
            else:
                disk_key = _choice_key(cache.weights_hash(generator), device, bf16, batch.shape[0], names)
                stored = graph_cache.read_choice(disk_key)
                if stored is not None and stored["backend"] in names:
                    cache.choices[key] = (stored["backend"], stored["timings"], stored["batch_size"])
                    logger.info("backend auto: %s (stored choice)", stored["backend"])
                elif job_images is not None and job_images < AUTO_MIN_IMAGES:
                    return Choice(build("torch"))
                else:
                    # Timed at the first batch's size, which says how this process batches (the Space: one
                    # request; folders: 8); the winner differs (on AMX torch bf16 is fastest at 8, 3x slower per
                    # image at 1). One choice for every later batch, so an image's output does not depend on what
                    # it is batched with.
                    runners = [build(name) for name in names]
                    timings = measure(runners, batch)
                    fastest = min(runners, key=lambda r: timings[r.label])
                    cache.choices[key] = (fastest.backend, timings, batch.shape[0])
                    graph_cache.write_choice(disk_key, fastest.backend, timings, batch.shape[0])
                    logger.info("backend auto: %s", Choice(fastest, timings, batch.shape[0]).describe())
        name, timings, batch_size = cache.choices[key]
        return Choice(build(name), timings, batch_size)


__all__ = [
    "AUTO_MIN_IMAGES",
    "BACKENDS",
    "BACKEND_CHOICES",
    "BF16_BACKENDS",
    "CPU_BACKENDS",
    "Choice",
    "Runner",
    "backend_installed",
    "candidates",
    "check_backend",
    "int8_passed",
    "int8_runner",
    "make_runner",
    "measure",
    "resolve_runner",
]
