"""Seconds from `pix2pix-hub demo` to its first answered translation, from an empty graph cache and again with it.

Starts the command as a user would (a new process, the bundled zoo), asks the API of one task through gradio_client
until it answers, and reports the time from the command's start; then stops it and starts it again on the same
cache (a restarted or woken Space), and once more after the background tuning has filled the cache.

    python benchmarks/space_startup.py [--task facades-labels2photo] [--port 7871]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pix2pix_hub import get_task
from pix2pix_hub.hardware import cpu_features
from pix2pix_hub.input_kinds import draw_input
from pix2pix_hub.space.models import TUNING_DONE

#: how long the background tuning of every zoo model may take before the third start (it logs each task)
TUNING_TIMEOUT_S = 300


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="facades-labels2photo", help="task whose API endpoint is asked")
    parser.add_argument("--port", type=int, default=7871, help="port the demo listens on")
    return parser.parse_args()


def first_answer(task_name: str, port: int, cache: Path, log: Path, wait_for_tuning: bool = False) -> float:
    """Start the demo, return seconds until its first translation through the API; stop it afterwards (after the
    background tuning finished, when asked)."""
    from gradio_client import Client, handle_file

    task = get_task(task_name)
    image = cache.parent / "input.png"
    draw_input(task.name, 256, seed=1).save(image)
    env = {**os.environ, "PIX2PIX_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-m", "pix2pix_hub", "demo", "--port", str(port)]
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the demo exited with {proc.returncode}; see {log}")
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                client.predict(handle_file(str(image)), api_name=f"/{task.api_name}")
                break
            except Exception:
                time.sleep(0.2)
        elapsed = time.perf_counter() - start
        deadline = time.time() + TUNING_TIMEOUT_S
        while wait_for_tuning and TUNING_DONE not in log.read_text() and time.time() < deadline:
            time.sleep(1)
        return elapsed
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main(args: argparse.Namespace) -> None:
    print(cpu_features().describe(), f"| load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        runs = [("empty cache", False), ("second start, cache as the first left it", True), ("tuned cache", False)]
        for index, (label, wait) in enumerate(runs):
            log = Path(tmp) / f"{label.split()[0]}.log"
            # a port of its own per start: the last one's socket may linger a moment after it stopped
            seconds = first_answer(args.task, args.port + index, cache, log, wait_for_tuning=wait)
            reused = sum("reusing" in line or "stored choice" in line for line in log.read_text().splitlines())
            print(f"{label}: first answer {seconds:.1f} s after the command's start ({reused} cache hits logged)")


if __name__ == "__main__":
    main(parse_args())
