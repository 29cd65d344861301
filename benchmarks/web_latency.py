"""Per-translation latency of the in-browser page: headless Chromium, onnxruntime-web on WASM, the zoo's web
models (`pix2pix-hub export-web`), int8 against fp32 and one WASM thread against two, side by side in one run.

Serves the page as `pix2pix-hub demo` does (cross-origin isolated, so WASM threads work), opens it per task,
precision and thread count, and times `--translations` translations of the task's first example as the page
measures them (performance.now() around preparation, model and keep-known; the model alone in brackets).

    python benchmarks/web_latency.py [--tasks edges2shoes inpainting] [--translations 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from pix2pix_hub.tasks import ZOO_DIR
from pix2pix_hub.web.manifest import build_manifest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the browser tests' Chromium and its flags)

THREADS = (1, 2)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", help="tasks to time (default: every task with web models)")
    parser.add_argument("--translations", type=int, default=15, help="timed translations per setting (after 2)")
    return parser.parse_args()


def time_page(browser, url: str, count: int) -> tuple[float, float]:
    """Median ms of a translation and of its model call, over `count` translations after two warm-up ones."""
    page = browser.new_page()
    page.goto(url)
    page.wait_for_function("(s => s.error || (s.modelLoaded && !s.busy && s.translations > 0))(window.pix2pix.state)")
    if page.evaluate("window.pix2pix.state.error"):
        raise RuntimeError(page.evaluate("window.pix2pix.state.error"))
    for _ in range(count + 2):
        page.evaluate("window.pix2pix.translate()")
    latencies = page.evaluate(f"window.pix2pix.state.latencies.slice(-{count})")
    page.close()
    return statistics.median(t["total"] for t in latencies), statistics.median(t["model"] for t in latencies)


def main(args: argparse.Namespace) -> None:
    import gradio as gr
    from playwright.sync_api import sync_playwright

    from pix2pix_hub.web.server import WEB_PATH, web_app_kwargs

    tasks = [t for t in build_manifest(ZOO_DIR)["tasks"] if not args.tasks or t["name"] in args.tasks]
    with gr.Blocks(analytics_enabled=False) as demo:
        gr.Markdown("host")
    demo.launch(
        server_name="127.0.0.1", prevent_thread_lock=True, share=False, quiet=True, app_kwargs=web_app_kwargs(ZOO_DIR)
    )
    base = demo.local_url.rstrip("/") + WEB_PATH
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print("task | precision | " + " | ".join(f"{n} thread(s): ms (model ms)" for n in THREADS))
            for task in tasks:
                times = {}
                for precision in task["models"]:
                    cells = []
                    for threads in THREADS:
                        url = f"{base}/?task={task['name']}&precision={precision}&backend=wasm&threads={threads}"
                        times[precision, threads] = time_page(browser, url, args.translations)
                        cells.append("{:.0f} ({:.0f})".format(*times[precision, threads]))
                    print(f"{task['name']} | {precision} | " + " | ".join(cells))
                if {"int8", "fp32"} <= set(task["models"]):
                    speedups = ", ".join(f"{n}: {times['int8', n][0] / times['fp32', n][0]:.2f}" for n in THREADS)
                    threads = ", ".join(f"{p}: {times[p, 2][0] / times[p, 1][0]:.2f}" for p in task["models"])
                    print(f"{task['name']}: int8 / fp32 time ({speedups} threads); 2 / 1 threads ({threads})")
            browser.close()
    finally:
        demo.close()


if __name__ == "__main__":
    main(parse_args())
