"""The Space: drawn examples, input handling, the model store, and every task's API endpoint through gradio_client."""

from __future__ import annotations

import io
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
import pytest
import torch
from conftest import REPO_ROOT, run_python
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from huggingface_hub import constants, metadata_load
from PIL import Image

from pix2pix_hub import TASKS, Pix2PixGenerator, Pix2PixPipeline, get_task
from pix2pix_hub.drawing import HOLE_COLOUR
from pix2pix_hub.input_kinds import draw_input
from pix2pix_hub.metadata import REPO_URL
from pix2pix_hub.palettes import get_palette
from pix2pix_hub.postprocess import hole_mask
from pix2pix_hub.space.app import (
    MAX_SIDE,
    MIN_SIDE,
    Translator,
    build_app,
    editor_composite,
    facts_markdown,
    limit_size,
    make_ui_handler,
    masked_photo,
    opposite_pairs,
    prepare_input,
)
from pix2pix_hub.space.models import ModelStore
from pix2pix_hub.space.outputs import OutputCache, save_png
from pix2pix_hub.zoo import FACTS_FILE, card_summary, model_facts_from_card, write_model_facts

TASKS_WITH_DATA = [t for t in TASKS.values() if t.has_data]
#: a size that is neither square nor a multiple of the tiny U-Net's 32, so padding and cropping back are exercised
INPUT_SIZE = (80, 48)


def save_tiny_model(folder: Path, in_channels: int = 3, seed: int = 0) -> None:
    torch.manual_seed(seed)
    model = Pix2PixGenerator(in_channels=in_channels, ngf=8, num_downs=6)
    with torch.no_grad():  # a contrasty output instead of near-constant grey, for clear checks and screenshots
        model.up_blocks[-1].conv.weight.mul_(30)
    model.save_pretrained(folder)
    card = "---\nlicense: mit\n---\n# tiny\n\nA tiny random test model.\n"
    (folder / "README.md").write_text(card)
    write_model_facts(folder, model_facts_from_card(card, {}, None))


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory) -> Path:
    """A zoo folder with a tiny random generator for every task that has data (colorization takes 1 channel)."""
    zoo = tmp_path_factory.mktemp("zoo")
    for task in TASKS_WITH_DATA:
        save_tiny_model(zoo / task.name, in_channels=1 if task.input_kind == "grayscale" else 3)
    return zoo


@pytest.fixture(scope="module")
def contacted_hosts() -> list[str]:
    """Every host this process looks up or connects to while the module's app starts and serves; the test's own
    gradio_client is kept off the network (its Hub agent-registry fetch and telemetry), so what is left is the app."""
    hosts: list[str] = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def recording_connect(sock, address):
        hosts.append(str(address[0]) if isinstance(address, tuple) else str(address))
        return connect(sock, address)

    def recording_getaddrinfo(host, *args, **kwargs):
        hosts.append(str(host))
        return getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(constants, "HF_HUB_OFFLINE", True)
        patch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
        patch.setattr(socket.socket, "connect", recording_connect)
        patch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
        yield hosts


@pytest.fixture(scope="module")
def client(tiny_zoo, contacted_hosts) -> Client:
    demo = build_app(ModelStore(tiny_zoo, use_hub=False))
    demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, share=False, quiet=True)
    try:
        yield Client(demo.local_url, verbose=False)
    finally:
        demo.close()


def input_file(tmp_path: Path, task_name: str, seed: int = 1) -> Path:
    path = tmp_path / f"{task_name}_{seed}.png"
    draw_input(task_name, 96, seed).crop((0, 0, *INPUT_SIZE)).save(path)
    return path


# ----- drawn examples ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_name", list(TASKS))
def test_draw_input_is_deterministic_rgb_and_varies_with_seed(task_name):
    first, again, other = draw_input(task_name, 64, 0), draw_input(task_name, 64, 0), draw_input(task_name, 64, 1)
    assert first.mode == "RGB" and first.size == (64, 64)
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()
    assert np.ptp(np.asarray(first)) > 0


@pytest.mark.parametrize("task_name", [t.name for t in TASKS.values() if t.input_kind == "label_map"])
def test_drawn_label_maps_use_only_palette_colours(task_name):
    task = get_task(task_name)
    colours = {tuple(c) for c in get_palette(task.palette).colors}
    used = {tuple(c) for c in np.asarray(draw_input(task_name, 128, 3)).reshape(-1, 3)}
    assert used <= colours
    assert len(used) >= 4


def test_masked_photo_example_has_a_hole():
    pixels = np.asarray(draw_input("inpainting", 64, 0))
    assert (pixels == HOLE_COLOUR).all(axis=-1).mean() > 0.05


# ----- input handling without a server -----------------------------------------------------------------------------


def test_empty_canvas_is_a_readable_error():
    with pytest.raises(gr.Error, match="canvas is empty"):
        editor_composite(None)
    with pytest.raises(gr.Error, match="canvas is empty"):
        editor_composite({"background": None, "layers": [], "composite": Image.new("RGBA", (32, 32))})


def test_sketch_strokes_are_flattened_black_on_white():
    stroke = Image.new("RGBA", (32, 32))
    stroke.putpixel((5, 5), (0, 0, 0, 255))
    image = editor_composite({"composite": stroke})
    assert image.mode == "RGB" and image.getpixel((5, 5)) == (0, 0, 0) and image.getpixel((20, 20)) == (255, 255, 255)


def test_mask_painter_turns_painted_pixels_into_the_hole():
    photo = Image.new("RGB", (40, 30), (10, 200, 30))
    layer = Image.new("RGBA", (40, 30))
    layer.paste((255, 0, 255, 255), (5, 5, 15, 15))
    out = np.asarray(masked_photo({"background": photo, "layers": [layer], "composite": None}))
    assert (out[5:15, 5:15] == HOLE_COLOUR).all()
    assert (out[20:, 20:] == (10, 200, 30)).all()
    with pytest.raises(gr.Error, match="Upload a photo"):
        masked_photo({"background": None, "layers": [], "composite": None})


def test_label_maps_are_snapped_to_the_palette_and_photos_made_gray():
    task = get_task("cityscapes-labels2photo")
    blended = Image.new("RGB", (8, 8), (130, 66, 126))  # an anti-aliased brush edge near "road"
    assert prepare_input(task, blended).getpixel((0, 0)) == get_palette("cityscapes").color_of("road")
    gray = prepare_input(get_task("colorization"), Image.new("RGB", (8, 8), (200, 30, 30)))
    assert len(set(gray.getpixel((0, 0)))) == 1


@pytest.mark.parametrize("size", [(3, 5000), (5000, 20), (20, 20)])
def test_inputs_too_thin_to_translate_get_a_message_not_a_sliver(size):
    with pytest.raises(gr.Error, match=rf"{size[0]}x{size[1]} pixels.*under the {MIN_SIDE} pixels a side"):
        limit_size(Image.new("RGB", size))
    assert limit_size(Image.new("RGB", (MIN_SIDE, 500))).size == (MIN_SIDE, 500)  # thin, but enough to translate

    groups = {tuple(t.name for t in group) for group in opposite_pairs(list(TASKS.values()))}
    assert ("cityscapes-labels2photo", "cityscapes-photo2labels") in groups
    assert ("maps-map2aerial", "maps-aerial2map") in groups
    assert sum(len(g) for g in groups) == len(TASKS)


def test_model_store_says_why_a_model_is_missing(tmp_path, tiny_zoo):
    store = ModelStore(tmp_path, use_hub=False)
    assert "not trained yet" in store.info(get_task("edges2shoes")).status
    assert get_task("day2night").note in store.info(get_task("day2night")).status
    bundled = ModelStore(tiny_zoo, use_hub=False)
    info = bundled.info(get_task("edges2shoes"))
    assert info.available and info.card_note == "A tiny random test model."
    assert bundled.load(get_task("edges2shoes")) is bundled.load(get_task("edges2shoes"))  # cached


def test_deterministic_requests_arriving_together_share_one_forward_pass(tiny_zoo, monkeypatch):
    store, task = ModelStore(tiny_zoo, use_hub=False), get_task("edges2shoes")
    images = [draw_input(task.name, 64, seed) for seed in range(5)]
    alone = [store.translate(task, image) for image in images]
    batches: list[int] = []
    forward = Pix2PixPipeline.__call__

    def recording_call(pipe, items, **kwargs):
        batches.append(len(items))
        return forward(pipe, items, **kwargs)

    monkeypatch.setattr(Pix2PixPipeline, "__call__", recording_call)
    with store._task_locks[task.name]:  # the model is busy: the requests wait together
        with ThreadPoolExecutor(len(images)) as pool:
            futures = [pool.submit(store.translate, task, image) for image in images]
            while len(store._waiting[task.name]) < len(images):
                threading.Event().wait(0.01)
            store._task_locks[task.name].release()
            together = [f.result(timeout=60) for f in futures]
            store._task_locks[task.name].acquire()
    assert batches == [len(images)]
    assert [a.tobytes() for a in alone] == [t.tobytes() for t in together]


def test_background_tuning_switches_backends_without_losing_or_doubling_a_request(tiny_zoo):
    pytest.importorskip("openvino")
    store, task = ModelStore(tiny_zoo, use_hub=False), get_task("edges2shoes")
    serving = store.load(task)
    assert serving.backend == "torch"  # served at once, before anything is converted
    images = [draw_input(task.name, 64, seed) for seed in range(4)]
    served: list[tuple[int, Image.Image]] = []
    stop = threading.Event()

    def client(index: int) -> None:
        while not stop.is_set():
            served.append((index, store.translate(task, images[index])))

    with ThreadPoolExecutor(len(images)) as pool:
        clients = [pool.submit(client, i) for i in range(len(images))]
        chosen = store.tune_backends([task, get_task("day2night")], size=64)  # day2night has no model: skipped
        before_stop = len(served)
        stop.set()
        for future in clients:
            future.result(timeout=60)
    assert set(chosen) == {task.name}
    tuned = store.load(task)
    assert tuned is not serving and tuned.backend == "auto" and tuned.backend_used == chosen[task.name]
    assert before_stop > 0 and all(output.size == (64, 64) for _, output in served)
    # every request got its own image back, whichever pipeline ran it (outputs agree within bf16 precision)
    for index, output in served:
        expected = np.asarray(store.translate(task, images[index]), dtype=np.float64)
        assert np.abs(np.asarray(output, dtype=np.float64) - expected).mean() < 3


def test_outputs_are_written_once_per_content_and_remembered(tmp_path):
    image = draw_input("edges2shoes", 32, 0)
    first, again = save_png(image, tmp_path, "out"), save_png(image, tmp_path, "out")
    assert first == again and Path(first).name == "out.png" and list(tmp_path.rglob(".*")) == []
    with Image.open(first) as png:
        assert png.format == "PNG" and png.tobytes() == image.tobytes()
    cache, made = OutputCache(size=1), []
    key = OutputCache.key("edges2shoes", image, "deterministic", 0)
    make = lambda: made.append(1) or first  # noqa: E731
    assert cache.get_or_make(key, make) == cache.get_or_make(key, make) == first and made == [1]
    cache.get_or_make(OutputCache.key("edges2shoes", image, "paper", 3), make)  # evicts the first (size 1)
    cache.get_or_make(key, make)
    assert made == [1, 1, 1]


def test_ui_handler_answers_identical_concurrent_drawings_with_one_valid_file(tiny_zoo, tmp_path):
    translate = Translator(ModelStore(tiny_zoo, use_hub=False), folder=str(tmp_path))
    handle = make_ui_handler(translate, get_task("edges2shoes"), live=True)
    drawing = {"background": None, "layers": [], "composite": draw_input("edges2shoes", 64, 2)}
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda _: handle(drawing, 0, False), range(16)))
    assert len(set(paths)) == 1
    with Image.open(paths[0]) as out:
        assert out.format == "PNG" and out.size == (64, 64)
    assert handle({"background": None, "layers": [], "composite": None}, 0, False) is None  # cleared canvas


def test_model_facts_come_from_the_zoo_card_and_metrics():
    task = get_task("cityscapes-labels2photo")
    facts = ModelStore(use_hub=False).info(task).facts
    assert facts is not None and any(line.startswith("Steps:") for line in facts.training)
    text = facts_markdown(facts)
    assert "optimizer steps" in text and "Wall time" in text and "SSIM" in text
    assert "paper 0.66 / 0.23 / 0.17" in text  # the paper's FCN-score beside this model's
    assert facts.outputs_look_like and facts.outputs_look_like in text


def test_card_summary_skips_front_matter_and_headings():
    card = "---\ntags: [a]\n---\n\n# Title\n\n## Sub\n\nFirst   real\nparagraph.\n\nSecond.\n"
    assert card_summary(card) == "First real paragraph."
    assert card_summary("# only a heading\n") == ""


# ----- the Hub route, in fresh processes against the local Hub server -------------------------------------------


def test_unreachable_hub_means_unavailable_without_waiting(tmp_path, monkeypatch):
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # so the probe really runs
    store = ModelStore(tmp_path, use_hub=True)
    assert not store.hub_reachable
    assert "Hub cannot be reached" in store.info(get_task("edges2shoes")).status


@pytest.mark.slow
def test_models_load_from_the_hub_then_from_its_cache_offline(tmp_path, hub_env):
    push = """
import json, torch
from pix2pix_hub import Pix2PixGenerator, get_task
torch.manual_seed(0)
Pix2PixGenerator(ngf=8, num_downs=5).push_to_hub(get_task("edges2shoes").hub_repo_id)
print(json.dumps({"ok": True}))
"""
    assert run_python(push, hub_env)["ok"]
    load = f"""
import json
from PIL import Image
from pix2pix_hub import get_task
from pix2pix_hub.space.models import ModelStore
store = ModelStore({str(tmp_path / "empty_zoo")!r})
task = get_task("edges2shoes")
info = store.info(task)
size = store.load(task)(Image.new("RGB", (40, 40), "white")).image.size if info.available else None
print(json.dumps({{"reachable": store.hub_reachable, "status": info.status, "size": size}}))
"""
    loaded = run_python(load, hub_env)
    assert loaded["reachable"] and "Hub model" in loaded["status"] and loaded["size"] == [40, 40]
    cached = run_python(load, {**hub_env, "HF_HUB_OFFLINE": "1"})  # same cache, no network: served from the cache
    assert not cached["reachable"] and "(cached)" in cached["status"] and cached["size"] == [40, 40]


# ----- every endpoint through gradio_client ------------------------------------------------------------------------


def test_the_app_contacts_only_this_machine(client, contacted_hosts, tmp_path):
    client.predict(handle_file(input_file(tmp_path, "edges2shoes")), api_name="/edges2shoes")
    assert contacted_hosts and set(contacted_hosts) <= {"127.0.0.1", "localhost", "::1"}, set(contacted_hosts)


def test_every_task_has_an_endpoint(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {f"/{t.api_name}" for t in TASKS.values()} <= set(endpoints)


@pytest.mark.parametrize("task_name", [t.name for t in TASKS_WITH_DATA])
def test_endpoint_translates_at_the_input_size_deterministically(client, tmp_path, task_name):
    task = get_task(task_name)
    source = input_file(tmp_path, task_name)
    first = client.predict(handle_file(source), api_name=f"/{task.api_name}")
    again = client.predict(handle_file(source), 0, False, api_name=f"/{task.api_name}")
    assert first.endswith(".png")
    with Image.open(first) as out, Image.open(again) as out_again:
        assert out.size == INPUT_SIZE and out.mode == "RGB"
        assert np.ptp(np.asarray(out)) > 0
        assert out.tobytes() == out_again.tobytes()


def test_inpainting_keeps_the_photo_outside_the_hole_and_colorization_its_brightness(client, tmp_path):
    masked = input_file(tmp_path, "inpainting")
    with Image.open(client.predict(handle_file(masked), api_name="/inpainting")) as out:
        result, given = np.asarray(out.convert("RGB")), np.asarray(Image.open(masked).convert("RGB"))
    outside = ~hole_mask(Image.open(masked))
    assert 0.3 < outside.mean() < 1 and (result[outside] == given[outside]).all()
    assert (result[~outside] != given[~outside]).any()  # the model filled the hole
    photo = input_file(tmp_path, "colorization")
    with Image.open(client.predict(handle_file(photo), api_name="/colorization")) as out:
        brightness = np.asarray(out.convert("L"), dtype=int)
    assert np.abs(brightness - np.asarray(Image.open(photo).convert("L"), dtype=int)).mean() < 3


def test_paper_mode_follows_the_seed(client, tmp_path):
    source = handle_file(input_file(tmp_path, "facades-labels2photo"))
    outputs = [client.predict(source, seed, True, api_name="/facades_labels2photo") for seed in (1, 1, 2)]
    pixels = [np.asarray(Image.open(p)) for p in outputs]
    assert (pixels[0] == pixels[1]).all()
    assert (pixels[0] != pixels[2]).any()


def test_concurrent_paper_and_deterministic_requests_do_not_disturb_each_other(client, tmp_path):
    # distinct inputs, and results fetched by URL: Gradio's server and client caches name files by content, so
    # identical outputs written or downloaded at the same time race on one path (a Gradio matter, not the models')
    raw = Client(client.src, verbose=False, download_files=False)
    requests = [(handle_file(input_file(tmp_path, "sketch2photo", seed=i)), i % 2 == 1) for i in range(6)]

    def pixels(result: dict) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(httpx.get(result["url"]).content)))

    expected = [pixels(raw.predict(source, 7, paper, api_name="/sketch2photo")) for source, paper in requests]
    jobs = [raw.submit(source, 7, paper, api_name="/sketch2photo") for source, paper in requests]
    for job, want in zip(jobs, expected, strict=True):
        assert (pixels(job.result(timeout=120)) == want).all()


def test_identical_concurrent_requests_all_return_the_same_valid_image(client, tmp_path):
    # a crowd on the same example: identical outputs once shared one file that was rewritten while being streamed
    source = input_file(tmp_path, "edges2shoes", seed=5)
    clients = [Client(client.src, verbose=False) for _ in range(4)]
    jobs = [c.submit(handle_file(source), api_name="/edges2shoes") for c in clients for _ in range(5)]
    images = []
    for job in jobs:
        with Image.open(job.result(timeout=120)) as out:
            assert out.format == "PNG" and out.size == INPUT_SIZE
            images.append(out.tobytes())
    assert len(images) == 20 and len(set(images)) == 1


def test_task_without_a_model_answers_with_the_reason(client, tmp_path):
    with pytest.raises(AppError, match=re.escape(get_task("day2night").note)):
        client.predict(handle_file(input_file(tmp_path, "day2night")), api_name="/day2night")


def test_non_image_upload_is_a_readable_error(client, tmp_path):
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    with pytest.raises(AppError, match=r"^notes\.png: not an image file"):
        client.predict(handle_file(bogus), api_name="/edges2shoes")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Image.fromarray((np.arange(48 * 80, dtype=np.uint16) * 17).reshape(48, 80), "I;16"),
        lambda: Image.new("RGBA", INPUT_SIZE, (255, 0, 0, 128)),
        lambda: Image.new("L", INPUT_SIZE, 90),
        lambda: Image.new("P", INPUT_SIZE, 3),
    ],
    ids=["16-bit", "rgba", "grayscale", "palette"],
)
def test_unusual_image_modes_are_converted(client, tmp_path, make):
    path = tmp_path / "odd.png"
    make().save(path)
    with Image.open(client.predict(handle_file(path), api_name="/maps_aerial2map")) as out:
        assert out.size == INPUT_SIZE and out.mode == "RGB"


def test_thin_upload_gets_a_message(client, tmp_path):
    path = tmp_path / "thin.png"
    Image.new("RGB", (3, 5000), (90, 120, 40)).save(path)
    with pytest.raises(AppError, match=r"3x5000 pixels, 1x1024 once downscaled.*crop it"):
        client.predict(handle_file(path), api_name="/edges2shoes")


def test_huge_photo_is_downscaled(client, tmp_path):
    path = tmp_path / "huge.png"
    Image.new("RGB", (2 * MAX_SIDE, MAX_SIDE + 100), (90, 120, 40)).save(path)
    with Image.open(client.predict(handle_file(path), api_name="/colorization")) as out:
        assert out.size == (MAX_SIDE, round((MAX_SIDE + 100) / 2))


def test_space_folder_lists_every_task_model():
    readme = (REPO_ROOT / "spaces" / "README.md").read_text()
    front_matter = readme.split("---")[1]
    assert re.search(r"^sdk: gradio$", front_matter, re.M) and re.search(r"^app_file: app.py$", front_matter, re.M)
    for task in TASKS.values():
        assert f"  - {task.hub_repo_id}\n" in front_matter
    metadata = metadata_load(REPO_ROOT / "spaces" / "README.md")  # huggingface_hub's own parsing
    preloaded = [entry.split()[0] for entry in metadata["preload_from_hub"]]
    assert preloaded == [task.hub_repo_id for task in TASKS.values() if task.has_data]
    assert all(FACTS_FILE in entry for entry in metadata["preload_from_hub"])  # the model panel's facts, too
    assert "arxiv:1611.07004" in metadata["tags"]
    assert (REPO_ROOT / "spaces" / "app.py").is_file()
    assert f"pix2pix_hub @ git+{REPO_URL}" in (REPO_ROOT / "spaces" / "requirements.txt").read_text()
