"""End-to-end latency of one 256x256 request to the Space, through gradio_client, for zoo-sized generators.

Starts the app on 127.0.0.1 with a temporary zoo holding a random 256x256 U-Net (num_downs 8) of each width, then
times `client.predict` (upload, queue, preprocessing, model, PNG encoding, download) against the model alone.

    python benchmarks/space_latency.py [--ngf 16 32] [--requests 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from pix2pix_hub import Pix2PixGenerator, get_task
from pix2pix_hub.input_kinds import draw_input

TASK = "facades-labels2photo"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ngf", type=int, nargs="+", default=[16, 32], help="generator widths to measure")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per width (after 2 warm-up ones)")
    return parser.parse_args()


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms"


def main(args: argparse.Namespace) -> None:
    from gradio_client import Client, handle_file

    from pix2pix_hub.space.app import build_app
    from pix2pix_hub.space.models import ModelStore

    task = get_task(TASK)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        image_path = Path(tmp) / "labels.png"
        draw_input(TASK, 256, seed=0).save(image_path)
        for ngf in args.ngf:
            zoo = Path(tmp) / f"zoo_ngf{ngf}"
            generator = Pix2PixGenerator(ngf=ngf, num_downs=8)
            generator.save_pretrained(zoo / task.name)
            store = ModelStore(zoo, use_hub=False)
            demo = build_app(store, tasks=[task])
            demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, share=False, quiet=True)
            try:
                client = Client(demo.local_url, verbose=False)
                pipe = store.load(task)
                for _ in range(2):
                    client.predict(handle_file(image_path), api_name=f"/{task.api_name}")
                    pipe(str(image_path))
                end_to_end, model_only = [], []
                for _ in range(args.requests):
                    start = time.perf_counter()
                    client.predict(handle_file(image_path), api_name=f"/{task.api_name}")
                    end_to_end.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    pipe(str(image_path))
                    model_only.append(time.perf_counter() - start)
            finally:
                demo.close()
            params = sum(p.numel() for p in generator.parameters()) / 1e6
            print(f"ngf {ngf} ({params:.1f}M parameters), 256x256, {args.requests} requests:")
            print(f"  gradio_client end to end: {summary(end_to_end)}")
            print(f"  Pix2PixPipeline alone:    {summary(model_only)}")


if __name__ == "__main__":
    main(parse_args())
