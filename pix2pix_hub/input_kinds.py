"""The input-kind registry: what a person gives a model (label map, edges, sketch, grayscale, masked photo, map,
photo), one entry per kind, each saying how every part of the project treats that kind of input.

- training: how a training pair is made from a stored (input, target) pair (`make_pair`, None: used as stored);
- evaluation: the deterministic input for a stored pair and its index (`eval_input`, None: the stored input);
- drawing: a deterministic example input for a task (`draw`), for the Space's examples, sample grids and tests;
- the Space: which widget enters it, its hint, how the entry becomes the model's input (`prepare`) and which part of
  the input is kept in the output (`keep_known`).

Tasks name a kind (`Task.input_kind`); a new task with an existing kind needs no entry here, a new kind one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .augment import grayscale_input, masked_photo_input, sketch_input, sketchify
from .drawing import (
    draw_aerial,
    draw_edges,
    draw_facade_labels,
    draw_map_tile,
    draw_scene,
    draw_street_labels,
    mask_hole,
)
from .errors import Pix2PixHubError
from .images import to_grayscale
from .paired_datasets import DATASETS
from .palettes import decode_labels, encode_labels
from .postprocess import keep_luminance, keep_outside_hole
from .tasks import Task, get_task

#: (stored input, stored target) -> (model input, target), random from torch's global generator (seeded by training)
PairMaker = Callable[[Image.Image, Image.Image], tuple[Image.Image, Image.Image]]
#: (stored input, stored target, pair index) -> the model input, the same for the same index
EvalInput = Callable[[Image.Image, Image.Image, int], Image.Image]
#: (task, size, seed) -> an RGB example input
Drawer = Callable[[Task, int, int], Image.Image]
#: (task, what the person gave) -> the model input
Preparer = Callable[[Task, Image.Image], Image.Image]
#: (model input, model output) -> the output with the input's known part restored
KeepKnown = Callable[[Image.Image, Image.Image], Image.Image]

#: label-map drawings by palette
LABEL_MAP_DRAWINGS = {"facades": draw_facade_labels, "cityscapes": draw_street_labels}


@dataclass(frozen=True)
class InputKind:
    """How one kind of input is made, drawn, served and evaluated."""

    name: str
    draw: Drawer
    #: the Space's widget, by name in `pix2pix_hub.space.app.WIDGETS`
    widget: str
    #: the Space's one-line instruction under the widget
    hint: str
    make_pair: PairMaker | None = None
    eval_input: EvalInput | None = None
    #: the input is made from the dataset's photo half (the target), so the task trains on photo|photo pairs
    from_photos: bool = False
    prepare: Preparer | None = None
    keep_known: KeepKnown | None = None
    #: the Space shows the model's input beside the output (it differs from what the person entered)
    shows_model_input: bool = False


def _subjects(task: Task) -> list[str]:
    """What the task's datasets show ("shoe", "aerial", ...), for drawing examples of the same thing."""
    return [DATASETS[name].subject for name in task.datasets if name in DATASETS]


def _draw_label_map(task: Task, size: int, seed: int) -> Image.Image:
    return LABEL_MAP_DRAWINGS[task.palette](size, seed)


def _draw_edges(task: Task, size: int, seed: int) -> Image.Image:
    return draw_edges(size, seed, obj="handbag" if _subjects(task)[:1] == ["handbag"] else "shoe")


def _draw_sketch(task: Task, size: int, seed: int) -> Image.Image:
    return draw_edges(size, seed, obj=("shoe", "handbag")[seed % 2], sketchy=True)


def _draw_photo(task: Task, size: int, seed: int) -> Image.Image:
    return (draw_aerial if _subjects(task)[:1] == ["aerial"] else draw_scene)(size, seed)


def prepare_label_map(task: Task, image: Image.Image) -> Image.Image:
    """Label maps snapped to the palette (a brush's edges are blended colours)."""
    return Image.fromarray(encode_labels(decode_labels(image, task.palette, on_off_palette="ignore"), task.palette))


def prepare_grayscale(task: Task, image: Image.Image) -> Image.Image:
    """What colorization sees: the luminance only."""
    return to_grayscale(image)


INPUT_KINDS: dict[str, InputKind] = {
    k.name: k
    for k in [
        InputKind(
            "label_map",
            _draw_label_map,
            "label_painter",
            "Paint with the class colours; big strokes work best.",
            prepare=prepare_label_map,
        ),
        InputKind("edges", _draw_edges, "sketchpad", "Draw the object's outline in thin black lines."),
        InputKind(
            "sketch",
            _draw_sketch,
            "sketchpad",
            "Sketch the object in black on white.",
            make_pair=sketch_input,
            eval_input=lambda inp, target, index: sketchify(inp, np.random.default_rng(index)),
        ),
        InputKind(
            "grayscale",
            lambda task, size, seed: to_grayscale(draw_scene(size, seed)),
            "upload",
            "Any photo: the model sees it in grayscale and adds colour; the brightness stays the photo's.",
            make_pair=grayscale_input,
            eval_input=lambda inp, target, index: to_grayscale(target),
            from_photos=True,
            prepare=prepare_grayscale,
            keep_known=keep_luminance,
            shows_model_input=True,
        ),
        InputKind(
            "masked_photo",
            lambda task, size, seed: mask_hole(draw_scene(size, seed), seed),
            "mask_painter",
            "Painted pixels become the hole the model fills in; the rest of the photo is kept as it is.",
            make_pair=masked_photo_input,
            eval_input=lambda inp, target, index: mask_hole(target.convert("RGB"), seed=index),
            from_photos=True,
            keep_known=keep_outside_hole,
            shows_model_input=True,
        ),
        InputKind("map", lambda task, size, seed: draw_map_tile(size, seed), "upload", "Upload a map tile."),
        InputKind("photo", _draw_photo, "upload", "Upload a photo."),
    ]
}


def get_input_kind(name: str) -> InputKind:
    """A registry input kind by name; an unknown one says where kinds are added."""
    try:
        return INPUT_KINDS[name]
    except KeyError:
        raise Pix2PixHubError(
            f"unknown input kind {name!r} (known: {', '.join(INPUT_KINDS)}); add an InputKind to INPUT_KINDS in "
            "pix2pix_hub/input_kinds.py"
        ) from None


def draw_input(task_name: str, size: int = 256, seed: int = 0) -> Image.Image:
    """A plausible RGB input for any registry task, drawn by its input kind (and palette or datasets)."""
    task = get_task(task_name)
    return get_input_kind(task.input_kind).draw(task, size, seed)


def eval_input(task: Task, inp: Image.Image, target: Image.Image, index: int) -> Image.Image:
    """The evaluation input for one stored pair: the stored input, or the one the kind derives (grayscale, masked,
    sketched) deterministically from the pair's index, so every evaluation sees the same inputs."""
    derive = get_input_kind(task.input_kind).eval_input
    return inp if derive is None else derive(inp, target, index)


def pair_maker_for(task: Task | None) -> PairMaker | None:
    """The task's training pair maker, None when its dataset pairs are used as stored; a clear error for a kind the
    registry does not know."""
    if task is None:
        return None
    if task.input_kind not in INPUT_KINDS:
        raise Pix2PixHubError(
            f"task {task.name!r} has input kind {task.input_kind!r}, and no pair maker for {task.input_kind!r} is "
            f"registered (known kinds: {', '.join(INPUT_KINDS)}). Add an InputKind to INPUT_KINDS in "
            "pix2pix_hub/input_kinds.py, or train on stored pairs with --dataset and --direction instead of --task."
        )
    return INPUT_KINDS[task.input_kind].make_pair


def prepare_input(task: Task, image: Image.Image) -> Image.Image:
    """The model's input for what a person gave: as the task's kind prepares it (palette snapping, grayscale)."""
    prepare = get_input_kind(task.input_kind).prepare
    return image if prepare is None else prepare(task, image)


def keep_known(task: Task, model_input: Image.Image, output: Image.Image) -> Image.Image:
    """The output with the input's known part restored where the task's kind has one; otherwise the output as is."""
    keep = get_input_kind(task.input_kind).keep_known
    return output if keep is None else keep(model_input, output)


__all__ = [
    "INPUT_KINDS",
    "InputKind",
    "draw_input",
    "eval_input",
    "get_input_kind",
    "keep_known",
    "pair_maker_for",
    "prepare_grayscale",
    "prepare_input",
    "prepare_label_map",
]
