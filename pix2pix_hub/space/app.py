"""The Gradio app: one tab per task (or per pair of opposite directions), built from the task registry in a loop.

Per-task differences are data: `INPUT_WIDGETS` maps a task's `input_kind` to the way a person enters it (label
painter in the task's palette, sketchpad, mask painter, upload), and `prepare_input` turns what was entered into the
model's input (grayscale, hole filled). Every task also has an API endpoint `/<task.api_name>` (file in, PNG out).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from ..drawing import HOLE_COLOUR, draw_input
from ..errors import Pix2PixHubError
from ..images import load_image
from ..metadata import PAPER_URL, REPO_URL
from ..palettes import decode_labels, encode_labels, get_palette
from ..postprocess import keep_known
from ..tasks import TASKS, Task
from .models import ModelStore

#: longest side the Space translates; larger inputs are downscaled with a note (the models work at 256-1024 px)
MAX_SIDE = 1024
#: drawn examples per task
NUM_EXAMPLES = 3
#: colour of the inpainting mask brush (any painted pixel becomes part of the hole)
MASK_BRUSH = "#ff00ff"
CANVAS = (256, 256)


def to_hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


# ----- what the widgets give -> one RGB PIL image ---------------------------------------------------------------


def editor_composite(value: dict[str, Any] | None) -> Image.Image:
    """The flattened drawing of a label painter or sketchpad; an empty canvas is an error the UI shows."""
    composite = (value or {}).get("composite")
    if composite is None:
        raise gr.Error("The canvas is empty: draw something or upload an image.", print_exception=False)
    image = load_image(composite)
    if np.ptp(np.asarray(image)) == 0:
        raise gr.Error(
            "The canvas is empty (one flat colour): draw something or upload an image.", print_exception=False
        )
    return image


def masked_photo(value: dict[str, Any] | None) -> Image.Image:
    """The uploaded photo with every painted pixel turned into the hole (`HOLE_COLOUR`), as inpainting expects."""
    background = (value or {}).get("background")
    if background is None:
        raise gr.Error("Upload a photo first, then paint the hole with the brush.", print_exception=False)
    photo = load_image(background)
    mask = np.zeros((photo.height, photo.width), dtype=bool)
    for layer in (value or {}).get("layers") or []:
        alpha = np.asarray(layer.convert("RGBA").resize(photo.size, Image.NEAREST))[..., 3]
        mask |= alpha > 0
    pixels = np.array(photo)
    pixels[mask] = HOLE_COLOUR
    return Image.fromarray(pixels)


def uploaded_image(value: str | None) -> Image.Image:
    if value is None:
        raise gr.Error("Upload an image first (PNG or JPEG).", print_exception=False)
    try:
        return load_image(value)
    except Pix2PixHubError as exc:  # name the file as the person knows it, not by Gradio's cache path
        raise gr.Error(str(exc).replace(value, Path(value).name), print_exception=False) from None


# ----- the widget for each input kind ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputWidget:
    """How one input kind is entered: the component to build for a task, and how its value becomes an image."""

    make: Callable[[Task], gr.components.Component]
    read: Callable[[Any], Image.Image]
    hint: str
    #: show what the model is given beside the output (when it is not what the person entered)
    shows_model_input: bool = False


def label_painter(task: Task) -> gr.ImageEditor:
    palette = get_palette(task.palette)
    return gr.ImageEditor(
        value=str(example_files(task)[0]),
        label=f"Label map ({task.palette} palette): pick a class colour and paint, or upload a label map",
        type="pil",
        image_mode="RGB",
        format="png",
        sources=["upload", "clipboard"],
        brush=gr.Brush(colors=[to_hex(tuple(c)) for c in palette.colors], color_mode="fixed", default_size=12),
        eraser=gr.Eraser(),  # eraser=False leaves Gradio 6.31's editor without any tools
        layers=False,
        canvas_size=CANVAS,
        transforms=(),
        buttons=["download"],
    )


def sketchpad(task: Task) -> gr.Sketchpad:
    return gr.Sketchpad(
        label="Sketch: black strokes on white (or upload an edge map)",
        type="pil",
        format="png",
        sources=["upload", "clipboard"],
        brush=gr.Brush(colors=["#000000"], default_color="#000000", color_mode="fixed", default_size=2),
        layers=False,
        canvas_size=CANVAS,
    )


def mask_painter(task: Task) -> gr.ImageEditor:
    return gr.ImageEditor(
        label="Photo: upload one, then paint the hole to fill",
        type="pil",
        image_mode="RGBA",  # the mask is the painted layer's alpha, which an RGB layer would not have
        format="png",
        sources=["upload", "clipboard"],
        brush=gr.Brush(colors=[MASK_BRUSH], default_color=MASK_BRUSH, color_mode="fixed", default_size=24),
        eraser=gr.Eraser(),
        layers=False,
        canvas_size=CANVAS,
        transforms=(),
    )


def uploader(task: Task) -> gr.Image:
    return gr.Image(
        label="Input image", type="filepath", image_mode=None, format="png", sources=["upload", "clipboard"]
    )


INPUT_WIDGETS: dict[str, InputWidget] = {
    "label_map": InputWidget(label_painter, editor_composite, "Paint with the class colours; big strokes work best."),
    "edges": InputWidget(sketchpad, editor_composite, "Draw the object's outline in thin black lines."),
    "sketch": InputWidget(sketchpad, editor_composite, "Sketch the object in black on white."),
    "masked_photo": InputWidget(
        mask_painter,
        masked_photo,
        "Painted pixels become the hole the model fills in; the rest of the photo is kept as it is.",
        shows_model_input=True,
    ),
    "grayscale": InputWidget(
        uploader,
        uploaded_image,
        "Any photo: the model sees it in grayscale and adds colour; the brightness stays the photo's.",
        shows_model_input=True,
    ),
    "photo": InputWidget(uploader, uploaded_image, "Upload a photo."),
    "map": InputWidget(uploader, uploaded_image, "Upload a map tile."),
}


# ----- inference ---------------------------------------------------------------------------------------------------


def prepare_input(task: Task, image: Image.Image) -> Image.Image:
    """The model's input for what the person gave: label maps snapped to the palette (brush edges are blended),
    grayscale for colorization, unchanged otherwise."""
    if task.input_kind == "label_map":
        ids = decode_labels(image, task.palette, on_off_palette="ignore")
        return Image.fromarray(encode_labels(ids, task.palette))
    if task.input_kind == "grayscale":
        return image.convert("L").convert("RGB")
    return image


def limit_size(image: Image.Image) -> Image.Image:
    """Downscale inputs over `MAX_SIDE` pixels a side (with a note in the UI); smaller ones pass unchanged."""
    if max(image.size) <= MAX_SIDE:
        return image
    scale = MAX_SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    gr.Warning(
        f"The image is {image.width}x{image.height}; it was downscaled to {size[0]}x{size[1]} "
        f"(the Space translates at most {MAX_SIDE} pixels a side)."
    )
    return image.resize(size, Image.LANCZOS)


def translate(store: ModelStore, task: Task, image: Image.Image, seed: float | None, paper_mode: bool) -> Image.Image:
    """Run the task's model on a prepared RGB image and keep the input's known part (`postprocess.keep_known`);
    every failure becomes a readable `gr.Error`."""
    try:
        return keep_known(task, image, store.translate(task, image, paper_mode=paper_mode, seed=int(seed or 0)))
    except Pix2PixHubError as exc:
        raise gr.Error(str(exc), print_exception=False) from None


def make_ui_handler(store: ModelStore, task: Task) -> Callable:
    read = INPUT_WIDGETS[task.input_kind].read

    def handle(value: Any, seed: float, paper_mode: bool) -> tuple[Image.Image, Image.Image]:
        try:
            model_input = prepare_input(task, limit_size(read(value)))
        except Pix2PixHubError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return translate(store, task, model_input, seed, paper_mode), model_input

    return handle


def make_api_handler(store: ModelStore, task: Task) -> Callable:
    def handle(path: str | None, seed: float = 0, paper_mode: bool = False) -> Image.Image:
        try:
            model_input = prepare_input(task, limit_size(uploaded_image(path)))
        except Pix2PixHubError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return translate(store, task, model_input, seed, paper_mode)

    handle.__doc__ = f"{task.description}: image file in, PNG out at the input's size."
    return handle


# ----- layout ------------------------------------------------------------------------------------------------------


def example_files(task: Task) -> list[Path]:
    """The task's drawn examples as PNG files (Gradio serves examples from files)."""
    folder = Path(tempfile.gettempdir()) / "pix2pix_hub_space_examples"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for seed in range(NUM_EXAMPLES):
        path = folder / f"{task.name}_{seed}.png"
        draw_input(task.name, CANVAS[0], seed).save(path)  # always redrawn: a file from an older version is stale
        files.append(path)
    return files


def opposite_pairs(tasks: list[Task]) -> list[list[Task]]:
    """Tabs: tasks on the same data in opposite directions (labels<->photo, map<->aerial) share one tab."""
    groups: list[list[Task]] = []
    for task in tasks:
        for group in groups:
            other = group[0]
            if (
                task.datasets
                and task.datasets == other.datasets
                and task.input_kind == other.output_kind
                and task.output_kind == other.input_kind
            ):
                group.append(task)
                break
        else:
            groups.append([task])
    return groups


def palette_legend(task: Task) -> str:
    if task.input_kind != "label_map":
        return ""
    palette = get_palette(task.palette)
    chips = " ".join(
        f'<span style="display:inline-block;margin:1px 4px"><span style="display:inline-block;width:12px;height:12px;'
        f'background:{to_hex(tuple(c))};border:1px solid #888;vertical-align:middle"></span> {name}</span>'
        for name, c in zip(palette.class_names, palette.colors, strict=True)
    )
    return f"<div style='font-size:0.85em'>{chips}</div>"


def task_panel(store: ModelStore, task: Task, seed: gr.Number, paper: gr.Checkbox) -> None:
    """The UI of one task: status and card note, input widget, output (and the model's input where it differs)."""
    info = store.info(task)
    widget = INPUT_WIDGETS[task.input_kind]
    model = f"Model: {info.status}" if info.available else f"⚠️ **No model yet:** {info.status}"
    note = info.card_note.removeprefix(f"{task.description}.").strip()  # cards often repeat the description
    gr.Markdown(f"**{task.description}.** {model}" + (f"\n\n> {note}" if note else ""), elem_classes=["task-status"])
    with gr.Row(equal_height=True):
        entry = widget.make(task)
        model_input = gr.Image(
            label="Model input",
            format="png",
            type="pil",
            interactive=False,
            visible=widget.shows_model_input,
            elem_classes=["task-model-input"],
        )
        output = gr.Image(
            label="Output (PNG, the input's size)",
            format="png",
            type="pil",
            interactive=False,
            buttons=["download"],
            elem_classes=["task-output"],
        )
    gr.Markdown(widget.hint + palette_legend(task))
    button = gr.Button(f"Translate ({task.name})", variant="primary", interactive=info.available)
    button.click(
        make_ui_handler(store, task),
        [entry, seed, paper],
        [output, model_input],
        api_visibility="private",
        concurrency_id="model",
    )
    gr.Examples([[str(p)] for p in example_files(task)], inputs=[entry], label="Drawn examples")

    api_input = gr.File(visible=False, file_types=["image"])
    api_output = gr.Image(visible=False, format="png", type="pil")
    gr.Button(visible=False).click(
        make_api_handler(store, task),
        [api_input, seed, paper],
        [api_output],
        api_name=task.api_name,
        concurrency_id="model",
    )


def build_app(store: ModelStore | None = None, tasks: list[Task] | None = None) -> gr.Blocks:
    """The Space: every registry task (or `tasks`), models from `store` (bundled zoo, then the Hub, by default)."""
    store = store or ModelStore()
    tasks = tasks if tasks is not None else list(TASKS.values())
    with gr.Blocks(title="pix2pix hub", analytics_enabled=False) as demo:
        gr.Markdown(
            "# pix2pix hub\nImage-to-image translation with conditional adversarial networks "
            f"([Isola et al., CVPR 2017]({PAPER_URL})), one model per task ([code]({REPO_URL})). Draw or upload "
            "an input, press Translate; the output is a PNG at the input's size."
        )
        with gr.Row():
            seed = gr.Number(value=0, precision=0, label="Seed (paper mode)", minimum=0)
            paper = gr.Checkbox(value=False, label="Paper mode: dropout at test time (varies with the seed)")
        with gr.Tabs():
            for group in opposite_pairs(tasks):
                with gr.Tab(group[0].datasets[0] if len(group) > 1 else group[0].name):
                    columns = []
                    if len(group) > 1:
                        direction = gr.Radio([t.name for t in group], value=group[0].name, label="Direction")
                    for i, task in enumerate(group):
                        with gr.Column(visible=i == 0) as column:
                            task_panel(store, task, seed, paper)
                        columns.append(column)
                    if len(group) > 1:
                        direction.change(
                            lambda name, g=group: [gr.Column(visible=t.name == name) for t in g],
                            direction,
                            columns,
                            api_visibility="private",
                        )
    return demo.queue(default_concurrency_limit=2)
