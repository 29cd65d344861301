"""The Space under a crowd: requests/s, p50, p95 and errors for 1, 8 and 32 simultaneous gradio_client users.

Starts `pix2pix-hub demo` in its own process on a free 127.0.0.1 port (the bundled zoo, or `--zoo-dir`), gives
every user its own `gradio_client.Client`, and has each send the task's first drawn example (what a crowd clicking
the first example does) `--requests` times in a row; every answer must be a PNG at the input's size, the same for
all. `--distinct` sends a different drawing with every request instead (no two alike: every one needs the model).
First it times the parts of one request inside this process (decode, model, encode, write), and per level it
reports the CPU the app and the clients spent per request, so the app's overhead can be told from the model's and
from the measuring clients' (they share this machine's cores).

    python benchmarks/space_load.py [--users 1 8 32] [--requests 20 8 3] [--task edges2shoes] [--distinct]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import torch
from PIL import Image

from pix2pix_hub import get_task
from pix2pix_hub.input_kinds import draw_input
from pix2pix_hub.space.models import TUNING_DONE
from pix2pix_hub.tasks import ZOO_DIR

#: seconds the app gets to start and load its first model
STARTUP_TIMEOUT = 120


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 8, 32], help="simultaneous users, one run each")
    parser.add_argument(
        "--requests", type=int, nargs="+", default=[20, 8, 3], help="requests per user, one per --users entry"
    )
    parser.add_argument("--task", default="edges2shoes", help="task whose endpoint is called")
    parser.add_argument("--zoo-dir", default=str(ZOO_DIR), help="zoo folder the app serves (default: the bundled)")
    parser.add_argument(
        "--verify-tls",
        action="store_true",
        help="gradio_client's default TLS set-up on every HTTP call (loads the CA bundle: about 20 ms of CPU each, "
        "here on the app's cores); off by default, the app speaks plain HTTP on 127.0.0.1",
    )
    parser.add_argument(
        "--distinct", action="store_true", help="a different drawn input with every request (none repeats)"
    )
    parser.add_argument("--no-parts", action="store_true", help="skip timing the parts of one request")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(zoo_dir: str, port: int, log: Path) -> subprocess.Popen:
    """`pix2pix-hub demo` in a child process (its own interpreter, as a deployed Space runs), once it answers and
    its background tuning has settled every model's backend (what a Space serves after its first minute)."""
    command = [sys.executable, "-m", "pix2pix_hub", "demo", "--port", str(port), "--zoo-dir", zoo_dir]
    # started in the log's folder, so that a checkout in the current folder does not shadow the one on PYTHONPATH
    server = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=log.parent)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the app exited with {server.returncode}; its log: {log}")
        try:
            answers = httpx.get(f"http://127.0.0.1:{port}/config", timeout=2).status_code == 200
            if answers and TUNING_DONE in log.read_text():
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"the app did not answer within {STARTUP_TIMEOUT} s; its log: {log}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_level(
    url: str,
    api_name: str,
    images: list[list[Path]],
    expected_size: tuple[int, int],
    verify_tls: bool = False,
):
    """One client per list of `images`, all at once, each sending its list in order; returns (wall seconds,
    latencies, error messages, output digests)."""
    from gradio_client import Client, handle_file

    clients = [Client(url, verbose=False, ssl_verify=verify_tls) for _ in images]
    start_line = threading.Barrier(len(images) + 1)
    latencies: list[float] = []
    errors: list[str] = []
    digests: set[str] = set()
    lock = threading.Lock()

    def user(client: Client, sources: list[Path]) -> None:
        start_line.wait()
        for image in sources:
            start = time.perf_counter()
            try:
                path = client.predict(handle_file(image), api_name=api_name)
                data = Path(path).read_bytes()
                with Image.open(io.BytesIO(data)) as out:
                    out.load()
                    if out.format != "PNG" or out.size != expected_size:
                        raise ValueError(f"got a {out.format} of {out.size}, expected a PNG of {expected_size}")
            except Exception as exc:  # every failure a user would see counts, whatever its kind
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            with lock:
                latencies.append(time.perf_counter() - start)
                digests.add(hashlib.sha256(Image.open(io.BytesIO(data)).tobytes()).hexdigest())

    threads = [threading.Thread(target=user, args=pair) for pair in zip(clients, images, strict=True)]
    for thread in threads:
        thread.start()
    start_line.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies, errors, digests


def time_parts(task_name: str, zoo_dir: str, image: Path, repeats: int = 20) -> None:
    """Median milliseconds of each step the app takes for one request, and of the model on a batch of 8."""
    from pix2pix_hub.space.models import ModelStore

    task = get_task(task_name)
    store = ModelStore(zoo_dir, use_hub=False)
    store.tune_backends([task])  # the backend the app serves with once tuned
    pipe = store.load(task)
    source = Image.open(image).convert("RGB")
    output = pipe(source).image

    def median_ms(fn) -> float:
        fn()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    def encode(level: int) -> bytes:
        buffer = io.BytesIO()
        output.save(buffer, format="PNG", compress_level=level)
        return buffer.getvalue()

    with tempfile.TemporaryDirectory() as tmp:
        parts = {
            "decode the uploaded PNG": median_ms(lambda: Image.open(image).convert("RGB")),
            "model, 1 image": median_ms(lambda: pipe(source)),
            "model, batch of 8 (per image)": median_ms(lambda: pipe([source] * 8, batch_size=8)) / 8,
            "encode PNG, level 6 (PIL's default)": median_ms(lambda: encode(6)),
            "encode PNG, level 1": median_ms(lambda: encode(1)),
            "write the PNG": median_ms(lambda: (Path(tmp) / "out.png").write_bytes(encode(1)))
            - median_ms(lambda: encode(1)),
            "hash the input's pixels": median_ms(lambda: hashlib.sha256(source.tobytes()).hexdigest()),
        }
    print(f"parts of one request, in this process (median of {repeats}, torch {torch.get_num_threads()} threads):")
    for name, ms in parts.items():
        print(f"  {name:<38} {ms:7.1f} ms")


def main(args: argparse.Namespace) -> None:
    if len(args.requests) != len(args.users):
        raise SystemExit("--requests needs one count per --users entry")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # gradio_client's Hub calls (telemetry) would wait on no network
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    task = get_task(args.task)
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / f"{task.name}_0.png"
        first_example = draw_input(task.name, 256, 0)
        first_example.save(image)
        drawn = iter(range(1, 10**6))

        def inputs(users: int, requests: int) -> list[list[Path]]:
            if not args.distinct:
                return [[image] * requests for _ in range(users)]
            files = [[Path(tmp) / f"{task.name}_{next(drawn)}.png" for _ in range(requests)] for _ in range(users)]
            for path in (p for row in files for p in row):
                draw_input(task.name, 256, int(path.stem.rsplit("_", 1)[1])).save(path)
            return files

        if not args.no_parts:
            time_parts(task.name, args.zoo_dir, image)
        port = free_port()
        server = start_app(args.zoo_dir, port, Path(tmp) / "app.log")
        url = f"http://127.0.0.1:{port}/"
        api_name = f"/{task.api_name}"
        try:
            run_level(
                url, api_name, inputs(1, 2), first_example.size, args.verify_tls
            )  # warm-up: model load, first compilation
            print(
                f"{task.name}, 256x256 {'distinct drawings' if args.distinct else 'drawn example'}, "
                f"{os.cpu_count()} CPUs, "
                f"clients {'with' if args.verify_tls else 'without'} TLS set-up per call"
            )
            print(
                f"{'users':>5} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} "
                f"{'app CPU ms/req':>14} {'clients CPU ms/req':>18} {'load':>5}"
            )
            for users, requests in zip(args.users, args.requests, strict=True):
                sources = inputs(users, requests)
                app_cpu, clients_cpu = cpu_seconds(server.pid), cpu_seconds(os.getpid())
                wall, latencies, errors, digests = run_level(
                    url, api_name, sources, first_example.size, args.verify_tls
                )
                app_cpu = (cpu_seconds(server.pid) - app_cpu) * 1000 / (users * requests)
                clients_cpu = (cpu_seconds(os.getpid()) - clients_cpu) * 1000 / (users * requests)
                if len(digests) > 1 and not args.distinct:
                    errors.append(f"{len(digests)} different outputs for one input")
                p50 = percentile(latencies, 0.5) * 1000 if latencies else float("nan")
                p95 = percentile(latencies, 0.95) * 1000 if latencies else float("nan")
                print(
                    f"{users:>5} {users * requests:>8} {len(latencies) / wall:>6.1f} {p50:>7.0f} {p95:>7.0f} "
                    f"{len(errors):>6} {app_cpu:>14.0f} {clients_cpu:>18.0f} {os.getloadavg()[0]:>5.1f}"
                )
                for message in sorted(set(errors)):
                    print(f"      {errors.count(message)} x {message}")
        finally:
            server.terminate()
            server.wait(timeout=30)
            lost = [line for line in (Path(tmp) / "app.log").read_text().splitlines() if "Error" in line]
            if lost:
                print(f"app log: {len(lost)} error lines, e.g. {lost[0][:200]}")


if __name__ == "__main__":
    main(parse_args())
