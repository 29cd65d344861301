"""The in-browser page in a real browser: headless Chromium (Debian's package) driven by Playwright, the zoo's
models run by onnxruntime-web (WASM, threads: the page is served cross-origin isolated).

For edges2shoes (sketch pad), facades-labels2photo (label painter, a palette colour) and inpainting (an uploaded
photo, a hole painted on it), it draws strokes with the mouse, waits for the output the page computes, and compares
it with the Python side on the exact input the page drew (read back from its canvas): `Pix2PixPipeline` (torch,
fp32) for the fp32 file (PSNR >= 30 dB), onnxruntime on the same file for the int8 one; it checks that the page requested nothing
while translating, and prints the per-translation latency the page measured (a benchmark figure, not an assertion).
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import CHROMIUM, REPO_ROOT
from PIL import Image

from pix2pix_hub import Pix2PixPipeline, get_task
from pix2pix_hub.calibration import task_inputs
from pix2pix_hub.drawing import draw_scene
from pix2pix_hub.evaluation.metrics import image_metrics
from pix2pix_hub.images import pil_to_tensor, tensor_to_pil
from pix2pix_hub.input_kinds import keep_known, prepare_input
from pix2pix_hub.models import Pix2PixGenerator
from pix2pix_hub.onnx_export import run_onnx
from pix2pix_hub.quantization import ONNX_DIR, write_onnx_files
from pix2pix_hub.web.files import ORT_DIST, ORT_FILES
from pix2pix_hub.web.manifest import WEB_MODEL_FILES

WEB_TASKS = ("edges2shoes", "facades-labels2photo", "inpainting")
#: the page's output against the Python side's on the same drawn input: `Pix2PixPipeline` for the fp32 file,
#: onnxruntime on the same file for the int8 one (int8 against torch fp32 is export-web's own check)
MIN_PSNR_DB = 30.0
#: the colour the label-map strokes are painted with (a facades class)
LABEL_CLASS = "window"
TIMEOUT_MS = 120_000
#: where the page's screenshots go, for people to look at (gitignored)
SCREENSHOTS = REPO_ROOT / "outputs"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright for Python is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).is_file(), reason="no Chromium here (apt-get install -y chromium); the browser test needs it"
    ),
    pytest.mark.skipif(
        not all((ORT_DIST / name).is_file() for name in ORT_FILES),
        reason=f"onnxruntime-web is not installed in {ORT_DIST.parent.parent} (scripts/setup.sh runs npm ci there)",
    ),
]


@pytest.fixture(scope="module")
def web_zoo(tmp_path_factory) -> Path:
    """The three tasks' config and web models: the zoo's own `onnx/` files where `pix2pix-hub export-web` wrote
    them, else made now as it makes them (into the temporary folder, leaving the zoo's check files alone)."""
    zoo = tmp_path_factory.mktemp("web_zoo")
    for name in WEB_TASKS:
        task = get_task(name)
        (zoo / name).mkdir()
        shutil.copy(task.zoo_dir / "config.json", zoo / name)
        if all((task.zoo_dir / file).is_file() for file in WEB_MODEL_FILES.values()):
            (zoo / name / ONNX_DIR).symlink_to(task.zoo_dir / ONNX_DIR)
        else:
            generator = Pix2PixGenerator.from_pretrained(task.zoo_dir)
            write_onnx_files(generator, zoo / name / ONNX_DIR, *task_inputs(task))
    return zoo


@pytest.fixture(scope="module")
def web_url(web_zoo):
    """The page mounted on a Gradio app's server as `pix2pix-hub demo` mounts it."""
    import gradio as gr

    from pix2pix_hub.web.server import WEB_PATH, web_app_kwargs

    with gr.Blocks(analytics_enabled=False) as demo:
        gr.Markdown("the page's host")
    demo.launch(
        server_name="127.0.0.1", prevent_thread_lock=True, share=False, quiet=True, app_kwargs=web_app_kwargs(web_zoo)
    )
    try:
        yield demo.local_url.rstrip("/") + WEB_PATH
    finally:
        demo.close()


def pixels(page, what: str) -> np.ndarray:
    """The page's `entry` (what the widget gives) or `output`, as an (H, W, 3) uint8 array."""
    image = page.evaluate(f"window.pix2pix.{what}()")
    return np.asarray(image["rgb"], dtype=np.uint8).reshape(image["height"], image["width"], 3)


def wait_idle(page, after: int) -> None:
    """Until the page has made more than `after` translations and has none running or pending."""
    page.wait_for_function(
        f"(s => s.error || (s.modelLoaded && !s.busy && s.translations > {after}))(window.pix2pix.state)",
        timeout=TIMEOUT_MS,
    )
    assert page.evaluate("window.pix2pix.state.error") is None


def strokes(page, canvas: str, paths: list[list[tuple[float, float]]]) -> None:
    """Mouse strokes over `canvas`, each a list of points in [0, 1] of its box."""
    box = page.locator(canvas).bounding_box()
    for path in paths:
        (x, y), rest = path[0], path[1:]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
        page.mouse.up()


def draw(page, task: str, round_: int) -> None:
    """The strokes of one round for `task`'s widget (each round a little different, so every output changes)."""
    shift = 0.1 * round_
    if task == "facades-labels2photo":
        page.click(f"#legend button[data-name='{LABEL_CLASS}']")
        strokes(page, "#input", [[(0.2 + shift, 0.2), (0.2 + shift, 0.7)], [(0.5, 0.3 + shift), (0.8, 0.3 + shift)]])
    elif task == "inpainting":
        strokes(page, "#mask", [[(0.3 + shift, 0.4), (0.6 + shift, 0.5), (0.5, 0.7)]])
    else:
        strokes(page, "#input", [[(0.2, 0.3 + shift), (0.5, 0.25 + shift), (0.8, 0.5)], [(0.3, 0.8), (0.7, 0.8)]])


def reference(task_name: str, given: np.ndarray, onnx_file: Path | None = None) -> np.ndarray:
    """The Python side's output for what the page was given: the task's preparation, then `Pix2PixPipeline` (torch,
    fp32) or onnxruntime on `onnx_file`, then what of the input the task keeps."""
    task = get_task(task_name)
    model_input = prepare_input(task, Image.fromarray(given))
    if onnx_file is None:
        output = Pix2PixPipeline.from_pretrained(task.zoo_dir, backend="torch", precision="fp32")(model_input).image
    else:
        batch = pil_to_tensor(model_input)[None].numpy()
        output = tensor_to_pil(torch.from_numpy(run_onnx(onnx_file, batch)[0]))
    return np.asarray(keep_known(task, model_input, output))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    as_batch = [torch.from_numpy(x.copy()).permute(2, 0, 1)[None].float() / 255 for x in (a, b)]
    return float(image_metrics(*as_batch)["psnr"][0])


@pytest.mark.parametrize("task_name", WEB_TASKS)
def test_drawing_translates_in_the_browser(task_name, browser, web_url, web_zoo, tmp_path, capsys):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{web_url}/?task={task_name}&backend=wasm")
    wait_idle(page, 0)
    assert page.evaluate("crossOriginIsolated"), "the page is not cross-origin isolated: no WASM threads"
    if task_name == "inpainting":  # upload a photo, then paint the hole on it
        photo = tmp_path / "photo.png"
        draw_scene(256, seed=3).save(photo)
        count = page.evaluate("window.pix2pix.state.translations")
        page.set_input_files("#upload", str(photo))
        wait_idle(page, count)
    precisions = page.eval_on_selector_all("#precision option", "options => options.map(o => o.value)")
    for round_, precision in enumerate(precisions):
        count = page.evaluate("window.pix2pix.state.translations")
        if page.input_value("#precision") != precision:
            page.select_option("#precision", precision)
            wait_idle(page, count)  # the model is loaded and has translated the canvas as it is
        before = pixels(page, "output")
        count = page.evaluate("window.pix2pix.state.translations")
        requests.clear()
        draw(page, task_name, round_)
        wait_idle(page, count)
        assert requests == [], f"the page made requests while translating: {requests}"
        given, output = pixels(page, "entry"), pixels(page, "output")
        assert not np.array_equal(output, before), "the output did not follow the drawing"
        quality = psnr(output, reference(task_name, given))
        same_file = psnr(output, reference(task_name, given, web_zoo / task_name / WEB_MODEL_FILES[precision]))
        latencies = page.evaluate(f"window.pix2pix.state.latencies.slice({count})")
        with capsys.disabled():
            print(
                f"\n[web] {task_name} {precision} on {page.inner_text('#status').split(' on ')[-1]}: "
                f"{len(latencies)} translations while drawing, median "
                f"{statistics.median(t['total'] for t in latencies):.0f} ms a translation "
                f"(model {statistics.median(t['model'] for t in latencies):.0f} ms); PSNR against Pix2PixPipeline "
                f"{quality:.1f} dB, against onnxruntime on the same file {same_file:.1f} dB"
            )
        if precision == "fp32":
            assert quality >= MIN_PSNR_DB, f"{task_name}: the page's output is {quality:.1f} dB from the pipeline's"
        else:
            assert same_file >= MIN_PSNR_DB, f"{task_name} {precision}: {same_file:.1f} dB from onnxruntime's"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"web_{task_name}.png"))
    page.close()


def test_page_steps_match_their_python_twins(browser, web_url):
    """Every preparation and keep-known step of the page against its Python twin (`JS_STEPS`), on random images of
    an odd size, including the ones no browser test draws for (Cityscapes' void colours, colorization)."""
    from pix2pix_hub.drawing import HOLE_COLOUR
    from pix2pix_hub.tasks import ZOO_DIR
    from pix2pix_hub.web.manifest import JS_STEPS, build_manifest, task_entry

    rng = np.random.default_rng(0)
    height, width = 37, 53
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    photo = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    photo[5:15, 40:53] = HOLE_COLOUR  # a hole at the border, where the grown margin is clamped
    photo[30, 3] = HOLE_COLOUR  # and a one-pixel one
    gray = np.repeat(rng.integers(0, 256, (height, width, 1), dtype=np.uint8), 3, axis=2)
    cases = {  # step -> (task, images): the task's palette for label maps; model input then output for keep_known
        "snap_to_palette": ("cityscapes-labels2photo", [noise]),
        "grayscale": ("colorization", [noise]),
        "keep_outside_hole": ("inpainting", [photo, noise]),
        "keep_luminance": ("colorization", [gray, noise]),
    }
    assert set(cases) == set(JS_STEPS.values())
    python_steps = {name: function for function, name in JS_STEPS.items()}
    page = browser.new_page()
    page.goto(f"{web_url}/?backend=wasm")
    page.wait_for_function("window.pix2pix.state.manifest !== null", timeout=TIMEOUT_MS)
    manifest = build_manifest()
    for name, (task_name, images) in cases.items():
        task = get_task(task_name)
        context = {"task": task_entry(task, ZOO_DIR, "local"), "manifest": manifest}
        plain = [{"width": width, "height": height, "rgb": image.ravel().tolist()} for image in images]
        result = page.evaluate(
            "([name, context, images]) => window.pix2pix.step(name, context, ...images)", [name, context, plain]
        )
        got = np.asarray(result["rgb"], dtype=np.uint8).reshape(height, width, 3)
        pil_images = [Image.fromarray(image) for image in images]
        python = python_steps[name]
        expected = np.asarray(
            python(task, *pil_images) if name in ("snap_to_palette", "grayscale") else python(*pil_images)
        )
        difference = np.abs(got.astype(int) - expected.astype(int)).max()
        # YCbCr: the page uses JPEG's exact formulas, PIL truncating fixed-point tables; a chroma level lost there
        # comes back times 1.772 (Cb to blue)
        assert difference <= (3 if name == "keep_luminance" else 0), f"{name}: the page differs by {difference} levels"
    page.close()
