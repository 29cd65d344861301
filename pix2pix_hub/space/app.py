"""The Gradio app: one tab per task (or per pair of opposite directions), built from the task registry in a loop.

Per-task differences are data: a task's input kind (`pix2pix_hub.input_kinds`) names the widget a person enters it
with (`WIDGETS`: label painter in the task's palette, sketchpad, mask painter, upload; live ones translate as the
person draws), its hint, how the entry becomes the model's input and what of the input the output keeps. Every task also has an
API endpoint `/<task.api_name>` (file in, PNG out). Models are called through `ModelStore.translate` only, which
batches concurrent requests; outputs are written by `outputs.save_png`, never rewritten while being served.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio.utils import get_upload_folder
from PIL import Image

from ..drawing import HOLE_COLOUR
from ..errors import Pix2PixHubError
from ..evaluation.metrics import headline_metrics
from ..images import load_image
from ..input_kinds import draw_input, get_input_kind, keep_known, prepare_input
from ..metadata import PAPER_URL, REPO_URL
from ..palettes import get_palette
from ..tasks import TASKS, Task
from ..zoo import EVAL_SIZE, ModelFacts
from .models import MAX_BATCH_SIZE, ModelStore
from .outputs import OutputCache, save_png

#: longest side the Space translates; larger inputs are downscaled with a note (the models work at 256-1024 px)
MAX_SIDE = 1024
#: shortest side worth translating: under it a 256-pixel U-Net sees mostly padding and returns a sliver
MIN_SIDE = 32
#: seconds between the queue's position and time estimates to waiting clients (Gradio's "auto" sends them to every
#: waiting client whenever any job starts, which under a crowd costs more than the model)
STATUS_UPDATE_SECONDS = 1.0
#: drawn examples per task
NUM_EXAMPLES = 3
#: colour of the inpainting mask brush (any painted pixel becomes part of the hole)
MASK_BRUSH = "#ff00ff"
CANVAS = (256, 256)


def to_hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


# ----- what the widgets give -> one RGB PIL image ---------------------------------------------------------------


class NoInput(gr.Error):
    """Nothing to translate yet (empty canvas, no upload): an error for the Translate button and the API, a cleared
    output while a person draws."""

    def __init__(self, message: str):
        super().__init__(message, print_exception=False)


def editor_composite(value: dict[str, Any] | None) -> Image.Image:
    """The flattened drawing of a label painter or sketchpad; an empty canvas is an error the UI shows."""
    composite = (value or {}).get("composite")
    if composite is None:
        raise NoInput("The canvas is empty: draw something or upload an image.")
    image = load_image(composite)
    if np.ptp(np.asarray(image)) == 0:
        raise NoInput("The canvas is empty (one flat colour): draw something or upload an image.")
    return image


def masked_photo(value: dict[str, Any] | None) -> Image.Image:
    """The uploaded photo with every painted pixel turned into the hole (`HOLE_COLOUR`), as inpainting expects."""
    background = (value or {}).get("background")
    if background is None:
        raise NoInput("Upload a photo first, then paint the hole with the brush.")
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
        raise NoInput("Upload an image first (PNG or JPEG).")
    try:
        return load_image(value)
    except Pix2PixHubError as exc:  # name the file as the person knows it, not by Gradio's cache path
        raise gr.Error(str(exc).replace(value, Path(value).name), print_exception=False) from None


# ----- the widgets input kinds are entered with --------------------------------------------------------------------


@dataclass(frozen=True)
class InputWidget:
    """How an input is entered: the component to build for a task, and how its value becomes an image."""

    make: Callable[[Task], gr.components.Component]
    read: Callable[[Any], Image.Image]
    #: translate on every change of the canvas (as the person draws), not only on the Translate button
    live: bool = False


def label_painter(task: Task) -> gr.ImageEditor:
    palette = get_palette(task.palette)
    return gr.ImageEditor(
        value=opening_drawing(task),
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
        value=opening_drawing(task),
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
        value=str(first_example(task)),
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
        value=str(first_example(task)),
        label="Input image",
        type="filepath",
        image_mode=None,
        format="png",
        sources=["upload", "clipboard"],
    )


#: the widgets by the name an input kind gives (`InputKind.widget`)
WIDGETS: dict[str, InputWidget] = {
    "label_painter": InputWidget(label_painter, editor_composite, live=True),
    "sketchpad": InputWidget(sketchpad, editor_composite, live=True),
    "mask_painter": InputWidget(mask_painter, masked_photo),
    "upload": InputWidget(uploader, uploaded_image),
}


# ----- inference ---------------------------------------------------------------------------------------------------


def limit_size(image: Image.Image) -> Image.Image:
    """Downscale inputs over `MAX_SIDE` pixels a side (with a note in the UI); smaller ones pass unchanged. An input
    whose short side is, or would be once downscaled, under `MIN_SIDE` pixels is an error saying what to do."""
    scale = min(1.0, MAX_SIDE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if min(size) < MIN_SIDE:
        shape = f"{image.width}x{image.height} pixels"
        if scale < 1:
            shape += f", {size[0]}x{size[1]} once downscaled to the {MAX_SIDE} pixels a side the Space translates"
        raise gr.Error(
            f"The image is {shape}: under the {MIN_SIDE} pixels a side the models need. Upload a larger image, or "
            f"crop it to a less elongated one (at most {MAX_SIDE // MIN_SIDE}:1).",
            print_exception=False,
        )
    if scale == 1:
        return image
    gr.Warning(
        f"The image is {image.width}x{image.height}; it was downscaled to {size[0]}x{size[1]} "
        f"(the Space translates at most {MAX_SIDE} pixels a side)."
    )
    return image.resize(size, Image.LANCZOS)


@dataclass(frozen=True)
class Translator:
    """What every handler answers with: the models (`store`, the one place they are called), the folder Gradio
    serves outputs from, and the output files of recent identical requests."""

    store: ModelStore
    folder: str = field(default_factory=get_upload_folder)
    cache: OutputCache = field(default_factory=OutputCache)

    def __call__(self, task: Task, model_input: Image.Image, seed: float | None, paper_mode: bool) -> str:
        """The output PNG's path for a prepared input: the task's model, then the input's known part kept
        (`postprocess.keep_known`); every failure becomes a readable `gr.Error`."""
        mode, seed = ("paper", int(seed or 0)) if paper_mode else ("deterministic", 0)

        def make() -> str:
            try:
                output = self.store.translate(task, model_input, paper_mode=paper_mode, seed=seed)
            except Pix2PixHubError as exc:
                raise gr.Error(str(exc), print_exception=False) from None
            return save_png(keep_known(task, model_input, output), self.folder, task.name)

        return self.cache.get_or_make(OutputCache.key(task.name, model_input, mode, seed), make)

    def model_input_png(self, model_input: Image.Image) -> str:
        return save_png(model_input, self.folder, "model_input")


def make_ui_handler(translate: Translator, task: Task, live: bool = False) -> Callable:
    """The UI's handler: the output PNG's path, and the model input's where the widget shows it. `live` (drawing)
    clears the output for an empty canvas instead of showing an error at every stroke."""
    kind = get_input_kind(task.input_kind)
    widget = WIDGETS[kind.widget]

    def handle(value: Any, seed: float, paper_mode: bool) -> str | None | tuple[str | None, str | None]:
        try:
            model_input = prepare_input(task, limit_size(widget.read(value)))
        except NoInput:
            if not live:
                raise
            return (None, None) if kind.shows_model_input else None
        except Pix2PixHubError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        output = translate(task, model_input, seed, paper_mode)
        return (output, translate.model_input_png(model_input)) if kind.shows_model_input else output

    return handle


def make_api_handler(translate: Translator, task: Task) -> Callable:
    def handle(path: str | None, seed: float = 0, paper_mode: bool = False) -> str:
        try:
            model_input = prepare_input(task, limit_size(uploaded_image(path)))
        except Pix2PixHubError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return translate(task, model_input, seed, paper_mode)

    handle.__doc__ = f"{task.description}: image file in, PNG out at the input's size."
    return handle


# ----- layout ------------------------------------------------------------------------------------------------------


def example_files(task: Task) -> list[Path]:
    """The task's drawn examples as PNG files (Gradio serves examples from files), named by their content so a
    file from an older version, or another app writing at the same time, never changes one in use."""
    folder = Path(tempfile.gettempdir()) / "pix2pix_hub_space_examples"
    return [Path(save_png(draw_input(task.name, CANVAS[0], seed), folder, task.name)) for seed in range(NUM_EXAMPLES)]


def first_example(task: Task) -> Path:
    """What the task's input widget opens with, so that a visitor first sees an input and its output."""
    return example_files(task)[0]


def opening_drawing(task: Task) -> dict[str, Any]:
    """The first example as a live canvas's value, with an empty drawing layer: Gradio 6.31's editor drops its first
    change event, which loading a layer uses up, so without one a visitor's first stroke would not be translated."""
    example = first_example(task)
    layer = save_png(Image.new("RGBA", CANVAS), example.parent, "empty_layer")
    return {"background": str(example), "layers": [layer], "composite": str(example)}


def first_outputs(translate: Translator, task: Task) -> tuple[str | None, str | None]:
    """The output and model input PNGs for `first_example`, made when the app is built, so a visitor's first sight
    is a translation; (None, None) when the task has no model."""
    if not translate.store.info(task).available:
        return None, None
    model_input = prepare_input(task, load_image(first_example(task)))
    try:
        return translate(task, model_input, 0, False), translate.model_input_png(model_input)
    except gr.Error:  # a model that fails to load says so when the person presses Translate
        return None, None


def facts_markdown(facts: ModelFacts | None) -> str:
    """The model's facts from its card and metrics.json, for the collapsed panel under each task ("" if none)."""
    if facts is None:
        return ""
    lines = []
    if facts.training:
        lines.append("**Training:** " + "; ".join(facts.training) + ".")
    if facts.metrics:
        m = facts.metrics
        lines.append(
            f"**Held-out metrics** ({EVAL_SIZE}x{EVAL_SIZE}, {m.get('num_images', '?')} pairs, "
            "raw generator output): " + ", ".join(f"{name} {value}" for name, value in headline_metrics(m)) + "."
        )
    if facts.paper_measure != "-":
        lines.append(f"**The paper's measure:** {facts.paper_measure}.")
    if facts.against_paper:
        lines.append(f"**Against the paper:** {facts.against_paper}")
    if facts.outputs_look_like:
        lines.append(f"**What the outputs look like:** {facts.outputs_look_like}")
    return "\n\n".join(lines)


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


def task_panel(translate: Translator, task: Task, seed: gr.Number, paper: gr.Checkbox) -> None:
    """The UI of one task: status and card note, input widget (opening with the first example), output (and the
    model's input where it differs), the model's facts in a collapsed panel, and the task's API endpoint."""
    info = translate.store.info(task)
    kind = get_input_kind(task.input_kind)
    widget = WIDGETS[kind.widget]
    first_output, first_model_input = first_outputs(translate, task)
    model = f"Model: {info.status}" if info.available else f"⚠️ **No model yet:** {info.status}"
    note = info.card_note.removeprefix(f"{task.description}.").strip()  # cards often repeat the description
    gr.Markdown(f"**{task.description}.** {model}" + (f"\n\n> {note}" if note else ""), elem_classes=["task-status"])
    with gr.Row(equal_height=True):
        entry = widget.make(task)
        model_input = gr.Image(
            value=first_model_input,
            label="Model input",
            format="png",
            interactive=False,
            visible=kind.shows_model_input,
            elem_classes=["task-model-input"],
        )
        output = gr.Image(
            value=first_output,
            label="Output (PNG, the input's size)",
            format="png",
            interactive=False,
            buttons=["download"],
            elem_classes=["task-output"],
        )
    outputs = [output, model_input] if kind.shows_model_input else [output]
    hint = kind.hint + (" The output follows your drawing." if widget.live and info.available else "")
    gr.Markdown(hint + palette_legend(task))
    button = gr.Button(f"Translate ({task.name})", variant="primary", interactive=info.available)
    events = dict(api_visibility="private", concurrency_id="model", concurrency_limit=MAX_BATCH_SIZE)
    button.click(make_ui_handler(translate, task), [entry, seed, paper], outputs, **events)
    if widget.live and info.available:
        entry.change(  # the latest drawing wins: changes made while one is translated collapse into one call
            make_ui_handler(translate, task, live=True),
            [entry, seed, paper],
            outputs,
            trigger_mode="always_last",
            show_progress="hidden",
            **events,
        )
    gr.Examples([[str(p)] for p in example_files(task)], inputs=[entry], label="Drawn examples")
    facts = facts_markdown(info.facts)
    if facts:
        with gr.Accordion(f"About the {task.name} model", open=False, elem_classes=["task-facts"]):
            gr.Markdown(facts)

    api_input = gr.File(visible=False, file_types=["image"])
    api_output = gr.Image(visible=False, format="png")
    gr.Button(visible=False).click(
        make_api_handler(translate, task),
        [api_input, seed, paper],
        [api_output],
        api_name=task.api_name,
        concurrency_id="model",
        concurrency_limit=MAX_BATCH_SIZE,
    )


def build_app(store: ModelStore | None = None, tasks: list[Task] | None = None) -> gr.Blocks:
    """The Space: every registry task (or `tasks`), models from `store` (bundled zoo, then the Hub, by default)."""
    translate = Translator(store or ModelStore())
    tasks = tasks if tasks is not None else list(TASKS.values())
    with gr.Blocks(title="pix2pix hub", analytics_enabled=False) as demo:
        gr.Markdown(
            "# pix2pix hub\nImage-to-image translation with conditional adversarial networks "
            f"([Isola et al., CVPR 2017]({PAPER_URL})), one model per task ([code]({REPO_URL})). Draw or upload "
            "an input (drawings are translated as you draw), or press Translate; the output is a PNG at the input's "
            "size. Or [translate in your browser](/web/), on your own device."
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
                            task_panel(translate, task, seed, paper)
                        columns.append(column)
                    if len(group) > 1:
                        direction.change(
                            lambda name, g=group: [gr.Column(visible=t.name == name) for t in g],
                            direction,
                            columns,
                            api_visibility="private",
                        )
    # the model events share one queue slot group: up to MAX_BATCH_SIZE requests in flight, batched per task by the
    # store; the rest (direction switches) run one at a time
    return demo.queue(default_concurrency_limit=1, status_update_rate=STATUS_UPDATE_SECONDS)
