"""Reading images from any common source into 8-bit RGB (or L), and converting them to and from [-1, 1] tensors.

Every unusual file is either converted the one sensible way (grayscale, palette, RGBA composited on white, 16-bit
scaled to 8-bit) or refused with a message that names the file and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import Pix2PixHubError

#: largest image accepted (pixels): about 36 megapixels, far beyond what a 256-pixel model is meant for
MAX_PIXELS = 6000 * 6000
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")

ImageLike = str | Path | Image.Image | np.ndarray | torch.Tensor


def list_images(folder: str | Path) -> list[Path]:
    """Image files directly in `folder`, in natural order (2.jpg before 10.jpg)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise Pix2PixHubError(f"{folder}: not a folder")
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
    return sorted(files, key=natural_key)


def natural_key(path: Path) -> tuple:
    """Sort key that orders embedded numbers numerically: 1_AB, 2_AB, ..., 10_AB."""
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def open_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open and fully decode an image file, with errors that name it; the mode is left as stored."""
    path = Path(path)
    if not path.is_file():
        raise Pix2PixHubError(f"{path}: no such file")
    try:
        with Image.open(path) as img:
            check_size(img.size, str(path), max_pixels)
            img.load()
            return ImageOps.exif_transpose(img) or img
    except UnidentifiedImageError:
        raise Pix2PixHubError(f"{path}: not an image file PIL can read; give a PNG or JPEG.") from None
    except Image.DecompressionBombError:
        raise Pix2PixHubError(f"{path}: image is too large to decode safely; downscale it first.") from None
    except OSError as exc:  # truncated or corrupt data
        raise Pix2PixHubError(f"{path}: corrupt or truncated image ({exc}); re-export or remove the file.") from None


def check_size(size: tuple[int, int], name: str, max_pixels: int = MAX_PIXELS) -> None:
    """Refuse zero-size and oversized images before any work is done on them."""
    width, height = size
    if width < 1 or height < 1:
        raise Pix2PixHubError(f"{name}: image has zero size ({width}x{height}).")
    if width * height > max_pixels:
        raise Pix2PixHubError(
            f"{name}: image is {width}x{height} = {width * height / 1e6:.1f} MP, over the {max_pixels / 1e6:.0f} MP "
            "limit; downscale it first (pix2pix models work at about 256-1024 pixels a side)."
        )


def to_8bit(img: Image.Image, name: str = "image") -> Image.Image:
    """8-bit RGB, RGBA or L from any PIL mode; 16-bit and float images are scaled from their full range."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        if img.mode == "F" and arr.max() <= 1.0:
            top = 1.0
        return Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode in ("RGB", "L", "RGBA"):
        return img
    if img.mode in ("P", "LA", "PA") or "transparency" in img.info:
        return img.convert("RGBA")
    if img.mode in ("1", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        return img.convert("RGB")
    raise Pix2PixHubError(f"{name}: unsupported image mode {img.mode!r}; convert it to RGB PNG first.")


def to_mode(img: Image.Image, channels: int, name: str = "image") -> Image.Image:
    """The image as 3-channel RGB or 1-channel L; transparency is composited on white (as a viewer shows it)."""
    img = to_8bit(img, name)
    if img.mode == "RGBA":
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img).convert("RGB")
    if channels == 1:
        return img.convert("L")
    if channels == 3:
        return img.convert("RGB")
    raise Pix2PixHubError(f"{name}: models with {channels} channels need tensors, not images.")


def to_grayscale(img: Image.Image) -> Image.Image:
    """The image's luminance as a 3-channel image, so any RGB model takes it (colorization's input)."""
    return img.convert("L").convert("RGB")


def load_image(source: ImageLike, channels: int = 3, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Any supported image source (path, PIL image, HxW[xC] array) as an 8-bit RGB or L PIL image."""
    if isinstance(source, (str, Path)):
        name = str(source)
        img = open_image(source, max_pixels)
    elif isinstance(source, Image.Image):
        name = "image"
        check_size(source.size, name, max_pixels)
        img = source
    elif isinstance(source, np.ndarray):
        name = f"array of shape {source.shape}"
        img = array_to_pil(source)
        check_size(img.size, name, max_pixels)
    else:
        raise Pix2PixHubError(f"cannot read an image from {type(source).__name__}; give a path, PIL image or array.")
    return to_mode(img, channels, name)


def array_to_pil(array: np.ndarray) -> Image.Image:
    """HxW, HxWx1, HxWx3 or HxWx4 array (uint8, uint16, or float in [0, 1]) as a PIL image."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise Pix2PixHubError(f"array of shape {array.shape}: expected HxW, HxWx1, HxWx3 or HxWx4.")
    if array.size == 0:
        raise Pix2PixHubError(f"array of shape {array.shape}: image has zero size.")
    if array.dtype == np.uint16:
        array = (array.astype(np.float64) / 257.0 + 0.5).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        array = (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise Pix2PixHubError(f"array of dtype {array.dtype}: expected uint8, uint16 or float in [0, 1].")
    return Image.fromarray(np.ascontiguousarray(array))


def pil_to_tensor(img: Image.Image) -> torch.Tensor:
    """8-bit PIL image -> float tensor (C, H, W) in [-1, 1], the range the networks use."""
    arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div_(127.5).sub_(1.0)


def tensor_to_uint8(tensor: torch.Tensor) -> np.ndarray:
    """Tensor (C, H, W) or (N, C, H, W) in [-1, 1] -> uint8 array (H, W, C) or (N, H, W, C), rounded."""
    t = tensor.detach().float().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8).cpu()
    return t.movedim(-3, -1).numpy()


def tensor_to_pil(tensor: torch.Tensor) -> Image.Image:
    """Tensor (C, H, W) in [-1, 1] -> RGB or L PIL image."""
    arr = tensor_to_uint8(tensor)
    return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)


def image_grid(rows: Sequence[Sequence[Image.Image]]) -> Image.Image:
    """Rows of equal-size images as one picture (diffusers' `make_image_grid`, which wants them flattened)."""
    from diffusers.utils import make_image_grid

    flat = [img.convert("RGB") for row in rows for img in row]
    return make_image_grid(flat, rows=len(rows), cols=len(rows[0]))
