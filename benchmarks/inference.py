"""Inference speed of the paper's generator at 256x256 on this machine: plain fp32 eager batch 1 (what
pytorch-CycleGAN-and-pix2pix's test.py does) against `Pix2PixPipeline.translate_folder` on a folder of 32 images
with every backend and precision this CPU offers, int8 (`pix2pix_hub.quantization`) at batch 1 and the batch size,
and `backend="auto"`, measured side by side in one run (interleaved rounds, medians), with each variant's peak
memory and PSNR against fp32 eager (capped at 100 dB, as `pix2pix_hub.evaluation.metrics` caps it).

    nice python benchmarks/inference.py [--images 32] [--rounds 3] [--ngf 64] [--batch-size 8] [--threads N]
    nice python benchmarks/inference.py --model edges2shoes   # a zoo model (ngf 16) instead of a random one

A random generator's int8 graph is calibrated on other drawn inputs than the timed ones (its PSNR says little about
a trained model's: `pix2pix-hub export-web` prints those); a zoo model uses its `onnx/` files or makes them, and is
timed on inputs drawn by its task's input kind.

The last line is `speedup: <auto pipeline images/s / plain fp32 eager batch 1 images/s>`.
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from pix2pix_hub import Pix2PixGenerator, Pix2PixPipeline
from pix2pix_hub.backends import BF16_BACKENDS, GRAPH_BACKENDS, INT8_RUNTIMES, backend_installed
from pix2pix_hub.defaults import DEFAULT_BATCH_SIZE
from pix2pix_hub.evaluation.metrics import image_metrics
from pix2pix_hub.hardware import bf16_is_fast, cpu_features
from pix2pix_hub.images import load_image, pil_to_tensor, tensor_to_uint8
from pix2pix_hub.input_kinds import draw_input
from pix2pix_hub.quantization import ONNX_DIR, write_onnx_files
from pix2pix_hub.tasks import TASKS

CLEAR_REFS = Path("/proc/self/clear_refs")
STATUS = Path("/proc/self/status")


def draw_inputs(folder: Path, count: int, size: int = 256, seed: int = 0, task: str | None = None) -> list[Path]:
    """Smooth random colour fields, or a zoo task's inputs drawn by its input kind (edges, label maps: what int8 is
    calibrated for), written as PNG (benchmarks never use dataset images)."""
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        img = draw_input(task, size, seed + i) if task else load_image(coarse).resize((size, size))
        paths.append(folder / f"{i:03d}.png")
        img.save(paths[-1])
    return paths


def eager_batch1(generator: Pix2PixGenerator, paths: list[Path]) -> list[np.ndarray]:
    """The reference's way: one image at a time, fp32, contiguous, no_grad."""
    outputs = []
    with torch.no_grad():
        for path in paths:
            x = pil_to_tensor(load_image(path))[None]
            outputs.append(tensor_to_uint8(generator(x)[0]))
    return outputs


def to_batch(images: list[np.ndarray]) -> torch.Tensor:
    """(N, 3, H, W) floats in [0, 1] from HxWx3 uint8 arrays, as the evaluation metrics take them."""
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255


def reset_peak_memory() -> bool:
    """Restart the kernel's resident-memory high-water mark (Linux), so each variant's own peak can be read."""
    try:
        CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def peak_memory_mb() -> float:
    """This process's peak resident memory since the last reset (VmHWM), else since it started (ru_maxrss)."""
    if STATUS.is_file():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pipeline_variants(
    generator: Pix2PixGenerator, batch_size: int, include_emulated: bool = False
) -> dict[str, Pix2PixPipeline]:
    """Every backend and precision worth measuring here (bf16 only where it is native, unless asked), then auto."""
    native_bf16 = bf16_is_fast(torch.device("cpu")) or include_emulated
    if not native_bf16:
        print(
            "(bf16 variants skipped: this CPU only emulates bf16, 25-45x slower than fp32; --include-emulated runs them)"
        )
    variants = {}
    for backend in ("torch", *GRAPH_BACKENDS):
        if not backend_installed(backend):
            print(f"({backend} not installed: not measured)")
            continue
        for precision in ("fp32", "bf16") if native_bf16 and backend in BF16_BACKENDS else ("fp32",):
            name = f"{backend} {precision}, batch {batch_size}"
            variants[name] = Pix2PixPipeline(
                generator, device="cpu", precision=precision, batch_size=batch_size, backend=backend
            )
    if any(backend_installed(runtime) for runtime in INT8_RUNTIMES):
        for batch in dict.fromkeys((batch_size, 1)):
            variants[f"int8, batch {batch}"] = Pix2PixPipeline(
                generator, device="cpu", batch_size=batch, backend="int8"
            )
    variants[f"auto, batch {batch_size}"] = Pix2PixPipeline(generator, device="cpu", batch_size=batch_size)
    if batch_size != 1:  # a copy of the model, so auto measures afresh, as in a process that translates one by one
        variants["auto, batch 1"] = Pix2PixPipeline(copy.deepcopy(generator), device="cpu", batch_size=1)
    return variants


def load_generator(model: str | None, ngf: int, folder: Path) -> Pix2PixGenerator:
    """The zoo model or folder `model` in fp32, else a random generator of width `ngf` saved into `folder` with
    its int8 graph (calibrated on drawn inputs other than the timed ones), so the int8 backend finds it there."""
    if model:
        return Pix2PixGenerator.from_pretrained(model).float().eval()
    torch.manual_seed(0)
    Pix2PixGenerator(ngf=ngf).eval().save_pretrained(folder)
    generator = Pix2PixGenerator.from_pretrained(str(folder)).eval()
    (folder / "drawn").mkdir()
    drawn = torch.stack([pil_to_tensor(load_image(p)) for p in draw_inputs(folder / "drawn", 16, seed=1)])
    write_onnx_files(generator, folder / ONNX_DIR, drawn[:8], drawn[8:], "drawn colour fields")
    return generator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=32, help="images in the folder")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (median reported)")
    parser.add_argument("--ngf", type=int, default=64, help="random generator's width (64 = the paper's)")
    parser.add_argument("--model", help="a zoo task or model folder to time instead of a random generator")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="pipeline batch size")
    parser.add_argument(
        "--threads", type=int, help="CPU threads for every variant (default: torch's; 1 is steadier on a busy machine)"
    )
    parser.add_argument(
        "--include-emulated", action="store_true", help="also time bf16 on a CPU that only emulates it (slow)"
    )
    args = parser.parse_args()
    # an empty graph cache of its own: auto measures afresh in every run, as in a first process
    os.environ["PIX2PIX_HUB_CACHE"] = tempfile.mkdtemp(prefix="pix2pix_hub_bench_cache_")
    if args.threads:
        torch.set_num_threads(args.threads)  # the graph runtimes take torch's count (pix2pix_hub.backends)

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in").mkdir()
        task = args.model if args.model in TASKS else None
        paths = draw_inputs(Path(tmp) / "in", args.images, task=task)
        generator = load_generator(args.model, args.ngf, Path(tmp) / "model")
        reference = copy.deepcopy(generator)
        print(f"cpu: {cpu_features().describe()}; torch CPU capability {torch.backends.cpu.get_cpu_capability()}")
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; load average {os.getloadavg()[0]:.2f}")
        print(
            f"generator {args.model or 'random'} ngf={generator._hub_mixin_config['ngf']}: "
            f"{sum(p.numel() for p in generator.parameters()):,} parameters, 256x256 inputs"
        )
        variants = pipeline_variants(generator, args.batch_size, args.include_emulated)
        runs: dict[str, Callable[[], list[np.ndarray]]] = {
            "plain fp32 eager, batch 1": lambda: eager_batch1(reference, paths)
        }
        for name, pipe in variants.items():
            out = Path(tmp) / name.replace(" ", "_").replace(",", "")

            def run(pipe: Pix2PixPipeline = pipe, out: Path = out) -> list[np.ndarray]:
                return [np.asarray(load_image(p)) for p in pipe.translate_folder(paths, out, progress=False)]

            runs[name] = run
        first_call = {}
        for name, run in runs.items():  # warm-up: conversions, auto's one measurement, kernel selection
            start = time.perf_counter()
            run()
            first_call[name] = time.perf_counter() - start

        seconds: dict[str, list[float]] = {name: [] for name in runs}
        peaks: dict[str, float] = {}
        outputs: dict[str, list[np.ndarray]] = {}
        tracked = reset_peak_memory()
        for _ in range(args.rounds):
            for name, run in runs.items():
                reset_peak_memory()
                start = time.perf_counter()
                outputs[name] = run()
                seconds[name].append(time.perf_counter() - start)
                peaks[name] = max(peaks.get(name, 0.0), peak_memory_mb())

    baseline = "plain fp32 eager, batch 1"
    ips = {name: args.images / statistics.median(s) for name, s in seconds.items()}
    memory = "peak resident MB while it ran" if tracked else "peak resident MB of the process so far"
    print(f"{'variant':34s} {'img/s':>7s} {'ms/img':>8s} {'x eager':>8s} {'PSNR dB':>8s} {'MB':>6s}  ({memory})")
    for name in runs:
        quality = float(image_metrics(to_batch(outputs[name]), to_batch(outputs[baseline]))["psnr"].min())
        print(
            f"{name:34s} {ips[name]:7.2f} {1000 / ips[name]:8.1f} {ips[name] / ips[baseline]:8.2f} "
            f"{quality:8.1f} {peaks[name]:6.0f}"
        )
    print(f"folder translation includes PNG decoding and encoding; {args.images} images, {args.rounds} rounds")
    for name, pipe in variants.items():
        if name.startswith("auto"):
            print(
                f"{name}: first call (conversion, one measurement) {first_call[name]:.1f} s; "
                f"backend chosen: {pipe.backend_choice.describe()}"
            )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"speedup: {ips[f'auto, batch {args.batch_size}'] / ips[baseline]:.2f}")


if __name__ == "__main__":
    main()
