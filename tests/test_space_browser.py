"""The Space in a real browser: headless Chromium (Debian's package) driven by Playwright, against tiny models.

Checks that each canvas opens with an example and its output, draws a sketch and a label map and sees the output
follow without pressing a button, uploads photos and presses Translate, checks the outputs and that the page
fetched nothing from outside the app, and saves screenshots (one is copied to outputs/space_screenshot.png for
people to look at).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import CHROMIUM, REPO_ROOT
from PIL import Image
from test_space import TASKS_WITH_DATA, save_tiny_model

from pix2pix_hub import TASKS, get_task
from pix2pix_hub.drawing import HOLE_COLOUR
from pix2pix_hub.input_kinds import draw_input
from pix2pix_hub.zoo import FACTS_FILE

STABLE_SCREENSHOT = REPO_ROOT / "outputs" / "space_screenshot.png"
FACTS_TASK = "edges2shoes"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright for Python is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).is_file(), reason="no Chromium here (apt-get install -y chromium); the browser test needs it"
    ),
]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from pix2pix_hub.space.app import build_app
    from pix2pix_hub.space.models import ModelStore

    zoo = tmp_path_factory.mktemp("browser_zoo")
    for task in TASKS_WITH_DATA:
        save_tiny_model(zoo / task.name, in_channels=1 if task.input_kind == "grayscale" else 3)
    for name in ("README.md", "metrics.json", FACTS_FILE):  # one task with a real zoo card, for the facts panel
        shutil.copy(get_task(FACTS_TASK).zoo_dir / name, zoo / FACTS_TASK / name)
    demo = build_app(ModelStore(zoo, use_hub=False))
    demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, share=False, quiet=True)
    try:
        yield demo.local_url.rstrip("/")
    finally:
        demo.close()


@pytest.fixture(scope="module")
def requested_urls() -> list[str]:
    return []


@pytest.fixture(scope="module")
def page(browser, app_url, requested_urls):
    """One page for the module (loading the app is the slow part); each test opens the tab it needs."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.on("request", lambda request: requested_urls.append(request.url))
    page.goto(app_url)
    page.get_by_role("tab").first.wait_for()
    yield page
    page.close()


def open_tab(page, name: str):
    page.get_by_role("tab", name=name, exact=True).click()
    return page.locator("[role=tabpanel]:visible")


def output_src(panel, which: str = "task-output") -> str:
    """The address of the task's output (or model input) image now shown, once there is one."""
    image = panel.locator(f".{which} img")
    image.wait_for(state="visible", timeout=60_000)
    return image.get_attribute("src")


def output_image(page, panel, which: str = "task-output", changed_from: str | None = None) -> Image.Image:
    """Wait for the task's output (or model input) image, a new one when `changed_from` (the address of the one
    shown before) is given, and fetch it the way the download button does."""
    image = panel.locator(f".{which} img")
    image.wait_for(state="visible", timeout=60_000)
    if changed_from is not None:
        sync_api.expect(image).not_to_have_attribute("src", changed_from, timeout=60_000)
    response = page.request.get(image.get_attribute("src"))
    assert response.ok
    return Image.open(io.BytesIO(response.body()))


def draw_stroke(page, panel, points: list[tuple[float, float]]) -> None:
    """Pick the brush and drag it through `points`, given relative to the canvas's centre."""
    panel.get_by_role("button", name="Brush", exact=True).click()
    box = panel.locator("canvas").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x + points[0][0], y + points[0][1])
    page.mouse.down()
    for dx, dy in points[1:]:
        page.mouse.move(x + dx, y + dy)
    page.mouse.up()


def screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_every_task_is_reachable_and_nothing_is_fetched_from_outside(page, app_url, requested_urls):
    tab_names = [t.inner_text().strip() for t in page.get_by_role("tab").all()]
    for task in TASKS.values():
        assert task.name in tab_names or task.datasets[0] in tab_names, task.name
    panel = open_tab(page, "cityscapes")
    panel.get_by_label("cityscapes-photo2labels").check()
    panel.get_by_role("button", name="Translate (cityscapes-photo2labels)").wait_for(state="visible")
    outside = [u for u in requested_urls if not u.startswith((app_url, "blob:", "data:"))]
    assert outside == []


@pytest.mark.parametrize("tab", ["edges2shoes", "facades-labels2photo", "sketch2photo"])
def test_canvases_open_with_their_first_example_and_its_output(page, tab):
    panel = open_tab(page, tab)
    output = output_image(page, panel)
    assert output.format == "PNG" and output.size == (256, 256) and np.ptp(np.asarray(output)) > 0


def test_model_facts_are_in_a_collapsed_panel(page):
    panel = open_tab(page, FACTS_TASK)
    steps = panel.get_by_text("optimizer steps")
    assert not steps.is_visible()
    panel.get_by_text(f"About the {FACTS_TASK} model").click()
    steps.wait_for(state="visible", timeout=10_000)
    assert panel.get_by_text("What the outputs look like").is_visible()


def test_drawn_sketch_is_translated_as_you_draw(page, tmp_path):
    panel = open_tab(page, "edges2shoes")
    before = output_src(panel)
    draw_stroke(page, panel, [(-80 + 20 * step, -40 + 8 * step + 10 * (step % 2)) for step in range(9)])
    output = output_image(page, panel, changed_from=before)  # no button pressed
    assert output.format == "PNG" and output.mode == "RGB" and output.size == (256, 256)
    assert np.ptp(np.asarray(output)) > 0
    shot = screenshot(page, tmp_path, "edges2shoes_sketch")
    STABLE_SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copy(shot, STABLE_SCREENSHOT)


def test_painted_label_map_is_translated_as_you_paint(page, tmp_path):
    panel = open_tab(page, "facades-labels2photo")
    before_src = output_src(panel)
    before = np.asarray(output_image(page, panel))
    draw_stroke(page, panel, [(-40 + 10 * step, -40 + 10 * step) for step in range(9)])  # colour: "background"
    after = np.asarray(output_image(page, panel, changed_from=before_src))
    assert after.shape == before.shape == (256, 256, 3)
    assert (after != before).any()
    screenshot(page, tmp_path, "facades_painted")


def test_uploaded_photo_is_colorized_at_its_size(page, tmp_path):
    photo = tmp_path / "photo.png"
    draw_input("cityscapes-photo2labels", 240, seed=4).crop((0, 0, 240, 150)).save(photo)
    panel = open_tab(page, "colorization")
    before, before_input = output_src(panel), output_src(panel, "task-model-input")  # the first example's
    panel.locator("input[type=file]").first.set_input_files(str(photo))
    panel.get_by_role("button", name="Translate (colorization)").click()
    output = output_image(page, panel, changed_from=before)
    assert output.format == "PNG" and output.size == (240, 150)
    gray = np.asarray(output_image(page, panel, "task-model-input", changed_from=before_input).convert("RGB"))
    assert gray.shape == (150, 240, 3) and (gray == gray[..., :1]).all() and np.ptp(gray) > 0
    screenshot(page, tmp_path, "colorization_upload")


def test_painted_hole_becomes_the_inpainting_input(page, tmp_path):
    photo = tmp_path / "photo.png"
    draw_input("day2night", 200, seed=3).crop((0, 0, 200, 140)).save(photo)
    panel = open_tab(page, "inpainting")
    before, before_input = output_src(panel), output_src(panel, "task-model-input")  # the first example's
    panel.locator("input[type=file]").first.set_input_files(str(photo))
    draw_stroke(page, panel, [(-30 + 10 * step, 0) for step in range(7)])
    panel.get_by_role("button", name="Translate (inpainting)").click()
    assert output_image(page, panel, changed_from=before).size == (200, 140)
    model_input = output_image(page, panel, "task-model-input", changed_from=before_input)
    hole = (np.asarray(model_input.convert("RGB")) == HOLE_COLOUR).all(-1)
    assert 0.01 < hole.mean() < 0.6  # the stroke, not the whole photo and not nothing
    screenshot(page, tmp_path, "inpainting_painted_hole")


def test_missing_input_shows_a_message_not_a_trace(page, tmp_path):
    panel = open_tab(page, "maps")
    panel.get_by_role("button", name="Remove Image").first.click()  # the uploader opens with the first example
    panel.get_by_role("button", name="Translate (maps-map2aerial)").click()
    message = page.get_by_text("Upload an image first")
    message.wait_for(timeout=30_000)
    assert "Traceback" not in page.content()
    screenshot(page, tmp_path, "maps_no_upload")


def test_task_without_a_model_says_why(page):
    panel = open_tab(page, "day2night")
    assert panel.get_by_text("No model yet").is_visible()
    assert panel.get_by_text(get_task("day2night").note).is_visible()
    assert panel.get_by_role("button", name="Translate (day2night)").is_disabled()
