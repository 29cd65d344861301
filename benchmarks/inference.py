"""Inference speed of the paper's generator at 256x256 on this machine: plain fp32 eager batch 1 (what
pytorch-CycleGAN-and-pix2pix's test.py does) against `Pix2PixPipeline` on a folder of 32 images, measured
side by side in one run (interleaved rounds, medians), with peak memory and the pipeline's PSNR against fp32
(capped at 100 dB, as `pix2pix_hub.evaluation.metrics` caps it).

    python benchmarks/inference.py [--images 32] [--rounds 3] [--ngf 64]

The last line is `speedup: <pipeline images/s / eager images/s>`.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from pix2pix_hub import Pix2PixGenerator, Pix2PixPipeline
from pix2pix_hub.evaluation.metrics import image_metrics
from pix2pix_hub.images import load_image, pil_to_tensor, tensor_to_uint8
from pix2pix_hub.pipeline import DEFAULT_BATCH_SIZE, bf16_is_fast


def draw_inputs(folder: Path, count: int, size: int = 256) -> list[Path]:
    """Smooth random colour fields, written as PNG (benchmarks never use dataset images)."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        img = load_image(coarse).resize((size, size))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=32, help="images in the folder")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (median reported)")
    parser.add_argument("--ngf", type=int, default=64, help="generator width (64 = the paper's)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="pipeline batch size")
    args = parser.parse_args()

    torch.manual_seed(0)
    generator = Pix2PixGenerator(ngf=args.ngf).eval()
    pipe = Pix2PixPipeline(generator, device="cpu", batch_size=args.batch_size)
    reference = Pix2PixGenerator(ngf=args.ngf).eval()
    reference.load_state_dict(generator.state_dict())

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, cpu capability "
        f"{torch.backends.cpu.get_cpu_capability()}, native bf16: {bf16_is_fast(torch.device('cpu'))}"
    )
    print(f"generator ngf={args.ngf}: {sum(p.numel() for p in generator.parameters()):,} parameters, 256x256 inputs")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in").mkdir()
        paths = draw_inputs(Path(tmp) / "in", args.images)
        eager_batch1(reference, paths[:2])  # warm-up both
        pipe.translate_folder(paths[:4], Path(tmp) / "warm", progress=False)

        eager_s, pipe_s = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            expected = eager_batch1(reference, paths)
            eager_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            written = pipe.translate_folder(paths, Path(tmp) / "out", progress=False)
            pipe_s.append(time.perf_counter() - start)
        got = [np.asarray(load_image(p)) for p in written]

    eager_ips = args.images / statistics.median(eager_s)
    pipe_ips = args.images / statistics.median(pipe_s)
    quality = float(image_metrics(to_batch(got), to_batch(expected))["psnr"].min())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    precision = "bf16 autocast" if pipe.use_bf16 else "fp32"
    print(f"plain fp32 eager, batch 1:          {eager_ips:6.2f} img/s  ({1000 / eager_ips:6.1f} ms/img)")
    print(
        f"Pix2PixPipeline ({precision}, channels_last, batch {args.batch_size}, folder incl. PNG I/O): "
        f"{pipe_ips:6.2f} img/s  ({1000 / pipe_ips:6.1f} ms/img)"
    )
    print(f"pipeline output vs fp32 eager: min PSNR over {args.images} images {quality:.1f} dB")
    print(f"peak resident memory of this process: {peak_mb:.0f} MB")
    print(f"speedup: {pipe_ips / eager_ips:.2f}")


if __name__ == "__main__":
    main()
