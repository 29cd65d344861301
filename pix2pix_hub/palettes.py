"""Label-map palettes (class names and colours) and nearest-colour decoding of JPEG label images to class ids.

The label images of the pix2pix datasets are JPEGs, so their colours are only near the palette: decoding takes the
nearest palette colour and measures how much of the image is far from every colour, to catch images that are not
label maps of this palette at all.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .errors import Pix2PixHubError

#: class id given to void / unlabelled pixels; metrics skip it (the Cityscapes and torchmetrics convention)
IGNORE_INDEX = 255

RGB = tuple[int, int, int]


class OffPaletteWarning(UserWarning):
    """A label image has more pixels far from every palette colour than JPEG noise explains."""


@dataclass(frozen=True)
class Palette:
    """Classes of a label map and their colours; colours in `void_colors` decode to `IGNORE_INDEX`."""

    name: str
    class_names: tuple[str, ...]
    colors: tuple[RGB, ...]
    void_colors: tuple[RGB, ...] = ()
    #: RGB (Euclidean) distance beyond which a pixel counts as off-palette
    tolerance: float = 80.0
    #: largest off-palette fraction of an image still taken as JPEG noise (measured on the real label images)
    max_off_fraction: float = 0.05
    _table: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.class_names) != len(self.colors):
            raise ValueError(f"palette {self.name}: {len(self.class_names)} names but {len(self.colors)} colours")
        if len(self.colors) >= IGNORE_INDEX:
            raise ValueError(f"palette {self.name}: at most {IGNORE_INDEX - 1} classes")
        object.__setattr__(self, "_table", np.asarray(self.colors + self.void_colors, dtype=np.float32))

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def color_of(self, class_name: str) -> RGB:
        """The colour of a class, by name."""
        try:
            return self.colors[self.class_names.index(class_name)]
        except ValueError:
            raise Pix2PixHubError(
                f"palette {self.name!r} has no class {class_name!r}; classes: {', '.join(self.class_names)}"
            ) from None


# Cityscapes' 19 training classes (trainId 0..18) with the colours of the official cityscapesScripts labels.py,
# which are the colours of the gtFine "color" images the pix2pix authors resized into their label halves.
_CITYSCAPES_CLASSES: tuple[tuple[str, RGB], ...] = (
    ("road", (128, 64, 128)),
    ("sidewalk", (244, 35, 232)),
    ("building", (70, 70, 70)),
    ("wall", (102, 102, 156)),
    ("fence", (190, 153, 153)),
    ("pole", (153, 153, 153)),
    ("traffic light", (250, 170, 30)),
    ("traffic sign", (220, 220, 0)),
    ("vegetation", (107, 142, 35)),
    ("terrain", (152, 251, 152)),
    ("sky", (70, 130, 180)),
    ("person", (220, 20, 60)),
    ("rider", (255, 0, 0)),
    ("car", (0, 0, 142)),
    ("truck", (0, 0, 70)),
    ("bus", (0, 60, 100)),
    ("train", (0, 80, 100)),
    ("motorcycle", (0, 0, 230)),
    ("bicycle", (119, 11, 32)),
)
# The other labels of labels.py (trainId 255) that have colours of their own in the color images: unlabelled,
# ego vehicle, rectification border, out of roi and static (black), dynamic, ground, parking, rail track,
# guard rail, bridge, tunnel, caravan, trailer. (polegroup and license plate share pole's and car's colours.)
_CITYSCAPES_VOID: tuple[RGB, ...] = (
    (0, 0, 0),
    (111, 74, 0),
    (81, 0, 81),
    (250, 170, 160),
    (230, 150, 140),
    (180, 165, 180),
    (150, 100, 100),
    (150, 120, 90),
    (0, 0, 90),
    (0, 0, 110),
)

# CMP Facade Database classes in the database's label order (1 background ... 12 shop). The pix2pix label halves
# are not drawn in the database's own PNG colour map (jet in thirds: background (0, 0, 170), facade (0, 0, 255),
# ...) but in a finer jet; these colours are the per-class medians of the flat regions of all 506 label halves in
# the facades train/ and test/ folders, each region assigned to its nearest colour. Every class has its own colour,
# none is void.
_FACADES_CLASSES: tuple[tuple[str, RGB], ...] = (
    ("background", (0, 0, 222)),
    ("facade", (0, 48, 255)),
    ("window", (0, 128, 255)),
    ("door", (0, 207, 255)),
    ("cornice", (32, 255, 224)),
    ("sill", (112, 255, 143)),
    ("balcony", (192, 255, 63)),
    ("blind", (255, 240, 0)),
    ("deco", (255, 160, 0)),
    ("molding", (255, 80, 0)),
    ("pillar", (255, 0, 0)),
    ("shop", (174, 0, 0)),
)

PALETTES: dict[str, Palette] = {
    # Measured on every 4th pair of the local train and val splits: at most 11.4% of a label half's pixels lie
    # beyond 40 (resizing blends colours along edges), at least 23% of a photo half's (photos are often grey, and
    # grey is in the palette, so the tolerance is tight).
    "cityscapes": Palette(
        "cityscapes",
        tuple(n for n, _ in _CITYSCAPES_CLASSES),
        tuple(c for _, c in _CITYSCAPES_CLASSES),
        _CITYSCAPES_VOID,
        tolerance=40.0,
        max_off_fraction=0.17,
    ),
    # The facades halves went through several JPEG rounds with chroma subsampling: colours bleed across class
    # edges, and up to 17% of a label half's pixels lie beyond 120 (mean 4%), all along edges; photos: 47% at least.
    "facades": Palette(
        "facades",
        tuple(n for n, _ in _FACADES_CLASSES),
        tuple(c for _, c in _FACADES_CLASSES),
        tolerance=120.0,
        max_off_fraction=0.25,
    ),
}


def get_palette(name: str | Palette) -> Palette:
    """Look a palette up by name (a `Palette` passes through)."""
    if isinstance(name, Palette):
        return name
    try:
        return PALETTES[name]
    except KeyError:
        raise Pix2PixHubError(f"unknown palette {name!r}; known palettes: {', '.join(PALETTES)}") from None


def _as_rgb_array(image: np.ndarray | Image.Image) -> np.ndarray:
    array = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise Pix2PixHubError(f"a label image must be H x W x 3 RGB, got an array of shape {array.shape}")
    return array


def nearest_colors(image: np.ndarray | Image.Image, palette: str | Palette) -> tuple[np.ndarray, np.ndarray]:
    """Index into `colors + void_colors` of each pixel's nearest palette colour, and its RGB distance."""
    palette = get_palette(palette)
    pixels = _as_rgb_array(image).astype(np.float32)
    table = palette._table
    # |p - c|^2 = |p|^2 - 2 p.c + |c|^2, in float32: one (H*W, K) matrix instead of an (H*W, K, 3) one
    flat = pixels.reshape(-1, 3)
    squared = (flat**2).sum(1, keepdims=True) - 2 * flat @ table.T + (table**2).sum(1)
    index = squared.argmin(1)
    distance = np.sqrt(np.maximum(np.take_along_axis(squared, index[:, None], 1)[:, 0], 0))
    return index.reshape(pixels.shape[:2]), distance.reshape(pixels.shape[:2])


def off_palette_fraction(distance: np.ndarray, palette: str | Palette) -> float:
    """Fraction of pixels farther than the palette's tolerance from every colour (distances from `nearest_colors`)."""
    return float((np.asarray(distance) > get_palette(palette).tolerance).mean())


def label_fit(image: np.ndarray | Image.Image, palette: str | Palette) -> tuple[np.ndarray, float]:
    """Class ids (int64, void -> `IGNORE_INDEX`) by nearest palette colour, and the off-palette pixel fraction."""
    palette = get_palette(palette)
    index, distance = nearest_colors(image, palette)
    ids = index.astype(np.int64)
    ids[ids >= palette.num_classes] = IGNORE_INDEX
    return ids, off_palette_fraction(distance, palette)


def decode_labels(
    image: np.ndarray | Image.Image,
    palette: str | Palette,
    on_off_palette: str = "warn",
    name: str = "label image",
) -> np.ndarray:
    """RGB label image -> int64 class ids by nearest palette colour; void colours become `IGNORE_INDEX`.

    When more than `palette.max_off_fraction` of the pixels lie farther than `palette.tolerance` from every colour
    (more than JPEG noise explains), `on_off_palette` says what happens: "warn" (`OffPaletteWarning`), "error"
    (`Pix2PixHubError`) or "ignore". Either way the message gives the fraction.
    """
    if on_off_palette not in ("warn", "error", "ignore"):
        raise ValueError(f"on_off_palette must be 'warn', 'error' or 'ignore', got {on_off_palette!r}")
    palette = get_palette(palette)
    ids, off = label_fit(image, palette)
    if on_off_palette != "ignore" and off > palette.max_off_fraction:
        message = (
            f"{name}: {off:.1%} of the pixels are farther than {palette.tolerance:g} from every "
            f"{palette.name!r} palette colour (JPEG noise explains up to {palette.max_off_fraction:.0%}); "
            "is it a label map of this palette?"
        )
        if on_off_palette == "error":
            raise Pix2PixHubError(message)
        warnings.warn(message, OffPaletteWarning, stacklevel=2)
    return ids


def encode_labels(ids: np.ndarray, palette: str | Palette) -> np.ndarray:
    """Class ids (H x W) -> uint8 RGB label image; `IGNORE_INDEX` becomes the first void colour (or black)."""
    palette = get_palette(palette)
    ids = np.asarray(ids)
    bad = (ids != IGNORE_INDEX) & ((ids < 0) | (ids >= palette.num_classes))
    if bad.any():
        raise Pix2PixHubError(
            f"class ids must be in 0..{palette.num_classes - 1} or {IGNORE_INDEX} for palette "
            f"{palette.name!r}; got {np.unique(ids[bad])[:5].tolist()}"
        )
    void = palette.void_colors[0] if palette.void_colors else (0, 0, 0)
    lookup = np.zeros((256, 3), dtype=np.uint8)
    lookup[: palette.num_classes] = palette.colors
    lookup[IGNORE_INDEX] = void
    return lookup[ids.astype(np.int64)]
