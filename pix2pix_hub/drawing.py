"""Drawn example inputs: label maps in a palette, edge sketches, map tiles, photo-like scenes and aerial tiles.

The Space's examples and the tests use these instead of dataset images, so no dataset file is ever redistributed.
Every drawing is deterministic for a given (task, size, seed).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .palettes import get_palette

RGB = tuple[int, int, int]

#: grey that fills the hole of a masked photo (0 in the networks' [-1, 1] range)
HOLE_COLOUR: RGB = (128, 128, 128)


def _jitter(rng: np.random.Generator, value: float, spread: float) -> int:
    return int(round(value + rng.uniform(-spread, spread)))


def draw_facade_labels(size: int = 256, seed: int = 0) -> Image.Image:
    """A CMP Facades label map: facade with a grid of windows (some with sills and balconies), cornice, door."""
    rng = np.random.default_rng(seed)
    colour = {
        name: get_palette("facades").color_of(name)
        for name in ("background", "facade", "window", "door", "cornice", "sill", "balcony", "shop")
    }
    img = Image.new("RGB", (size, size), colour["background"])
    draw = ImageDraw.Draw(img)
    margin = _jitter(rng, size * 0.04, size * 0.03)
    top = _jitter(rng, size * 0.06, size * 0.04)
    draw.rectangle([margin, top, size - 1 - margin, size - 1], fill=colour["facade"])
    draw.rectangle([margin, top, size - 1 - margin, top + max(2, size // 40)], fill=colour["cornice"])
    floors, columns = int(rng.integers(3, 6)), int(rng.integers(3, 6))
    shop_height = int(size * 0.18) if rng.random() < 0.5 else 0
    usable_h = size - top - size // 20 - shop_height - int(size * 0.12)
    cell_w, cell_h = (size - 2 * margin) / columns, usable_h / floors
    for floor in range(floors):
        balcony_floor = rng.random() < 0.35
        for col in range(columns):
            x0 = margin + col * cell_w + cell_w * 0.25
            y0 = top + size // 20 + floor * cell_h + cell_h * 0.2
            x1, y1 = x0 + cell_w * 0.5, y0 + cell_h * 0.6
            draw.rectangle([x0, y0, x1, y1], fill=colour["window"])
            draw.rectangle([x0 - 2, y1, x1 + 2, y1 + max(2, size // 80)], fill=colour["sill"])
            if balcony_floor:
                draw.rectangle([x0 - 3, y1 - cell_h * 0.15, x1 + 3, y1 + max(2, size // 60)], fill=colour["balcony"])
    ground = size - 1 - shop_height
    if shop_height:
        draw.rectangle([margin, ground, size - 1 - margin, size - 1], fill=colour["shop"])
    door_w = size * 0.12
    door_x = margin + rng.uniform(0.2, 0.7) * (size - 2 * margin - door_w)
    draw.rectangle([door_x, ground - size * 0.14, door_x + door_w, ground], fill=colour["door"])
    return img


def draw_street_labels(size: int = 256, seed: int = 0) -> Image.Image:
    """A Cityscapes label map: sky, buildings, trees, sidewalks converging on the road, cars and a pole."""
    rng = np.random.default_rng(seed)
    colour = {
        name: get_palette("cityscapes").color_of(name)
        for name in ("road", "sidewalk", "building", "vegetation", "sky", "car", "pole", "traffic sign", "person")
    }
    img = Image.new("RGB", (size, size), colour["sky"])
    draw = ImageDraw.Draw(img)
    horizon = _jitter(rng, size * 0.45, size * 0.05)
    x = 0
    while x < size:  # a skyline of buildings of random width and height
        width = int(rng.integers(size // 8, size // 3))
        draw.rectangle([x, _jitter(rng, size * 0.15, size * 0.12), x + width, horizon], fill=colour["building"])
        x += width
    for _ in range(int(rng.integers(1, 4))):
        cx, r = int(rng.integers(0, size)), int(rng.integers(size // 12, size // 6))
        draw.ellipse([cx - r, horizon - 2 * r, cx + r, horizon], fill=colour["vegetation"])
    vanish = _jitter(rng, size / 2, size * 0.1)
    draw.rectangle([0, horizon, size, size], fill=colour["sidewalk"])
    draw.polygon(
        [(vanish - size // 40, horizon), (vanish + size // 40, horizon), (size * 0.95, size), (size * 0.05, size)],
        fill=colour["road"],
    )
    pole_x = int(rng.choice([size * 0.06, size * 0.9]))
    draw.rectangle([pole_x, horizon - size * 0.3, pole_x + max(2, size // 64), size * 0.8], fill=colour["pole"])
    draw.rectangle(
        [pole_x - size // 40, horizon - size * 0.3, pole_x + size // 30, horizon - size * 0.24],
        fill=colour["traffic sign"],
    )
    for _ in range(int(rng.integers(1, 4))):  # cars on the road, bigger when nearer
        depth = rng.uniform(0.15, 1.0)
        car_w, car_h = size * 0.35 * depth, size * 0.2 * depth
        base = horizon + (size - horizon) * depth * 0.9
        cx = vanish + rng.uniform(-0.3, 0.3) * size * depth
        draw.rectangle([cx - car_w / 2, base - car_h, cx + car_w / 2, base], fill=colour["car"])
    px = size * rng.uniform(0.05, 0.2)
    draw.rectangle([px, horizon + size * 0.05, px + size * 0.04, horizon + size * 0.25], fill=colour["person"])
    return img


def _shoe_outline(draw: ImageDraw.ImageDraw, size: int, rng: np.random.Generator, width: int) -> None:
    """Side view, toe to the left: a sneaker, a boot (raised shaft) or a heeled shoe (sloped sole, heel block)."""
    s = size / 256
    shaft = rng.uniform(40, 75) if rng.random() < 0.35 else 0.0
    heel = rng.uniform(25, 50) if not shaft and rng.random() < 0.5 else 0.0
    toe, ground = rng.uniform(15, 30), 205.0
    upper = [
        (toe, ground - 5),
        (toe - 3, ground - 20),
        (toe + 15, ground - 38),
        (80, ground - 52 - heel / 3),
        (125, ground - 78 - heel / 2),
        (145, 100 - shaft),
        (215, 95 - shaft),
        (232, 130 - shaft / 2),
        (234, ground - heel),
    ]
    sole = [(200, ground - heel), (95, ground - 2), (toe, ground - 5)] if heel else [(toe + 5, ground)]
    draw.line([(x * s, y * s) for x, y in upper + sole], fill=0, width=width, joint="curve")
    if heel:
        draw.polygon(
            [
                (x * s, y * s)
                for x, y in [(208, ground - heel), (232, ground - heel), (228, ground + 20), (220, ground + 20)]
            ],
            outline=0,
            width=width,
        )
    else:
        draw.line([((toe + 5) * s, (ground - 10) * s), (234 * s, (ground - 10) * s)], fill=0, width=width)
    for i in range(int(rng.integers(3, 6))):  # laces (or a buckle strap) across the instep
        x, y = 100 + 9 * i, ground - 62 - heel / 2 - 11 * i - shaft * i / 10
        draw.line([(x * s, y * s), ((x + 14) * s, (y + 6) * s)], fill=0, width=width)


def _handbag_outline(draw: ImageDraw.ImageDraw, size: int, rng: np.random.Generator, width: int) -> None:
    """Front view: a trapezoid body with one arched handle or two short ones, and a flap with a clasp."""
    s = size / 256
    top, bottom = rng.uniform(85, 110), rng.uniform(205, 225)
    top_half, bottom_half = rng.uniform(45, 70), rng.uniform(85, 105)

    def edge_x(y: float) -> float:  # half-width of the body at height y
        return top_half + (bottom_half - top_half) * (y - top) / (bottom - top)

    body = [(128 - top_half, top), (128 + top_half, top), (128 + bottom_half, bottom), (128 - bottom_half, bottom)]
    draw.polygon([(x * s, y * s) for x, y in body], outline=0, width=width)
    handle_h = rng.uniform(35, 70)
    if rng.random() < 0.5:
        draw.arc(
            [(128 - top_half * 0.6) * s, (top - handle_h) * s, (128 + top_half * 0.6) * s, (top + handle_h) * s],
            180,
            360,
            fill=0,
            width=width,
        )
    else:
        for cx in (128 - top_half * 0.45, 128 + top_half * 0.45):
            draw.arc(
                [(cx - 15) * s, (top - handle_h * 0.6) * s, (cx + 15) * s, (top + handle_h * 0.6) * s],
                180,
                360,
                fill=0,
                width=width,
            )
    flap_y = top + (bottom - top) * rng.uniform(0.3, 0.45)
    flap = [(128 - edge_x(flap_y), flap_y), (128, flap_y + rng.uniform(0, 20)), (128 + edge_x(flap_y), flap_y)]
    draw.line([(x * s, y * s) for x, y in flap], fill=0, width=width)
    clasp_y = flap[1][1]
    draw.rectangle([120 * s, (clasp_y - 6) * s, 136 * s, (clasp_y + 8) * s], outline=0, width=width)


def draw_edges(size: int = 256, seed: int = 0, obj: str = "shoe", sketchy: bool = False) -> Image.Image:
    """Black edges of a shoe or handbag on white (HED-like); `sketchy` wobbles the strokes like a hand drawing."""
    rng = np.random.default_rng(seed)
    canvas = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(canvas)
    width = max(1, size // (80 if sketchy else 128))
    (_shoe_outline if obj == "shoe" else _handbag_outline)(draw, size, rng, width)
    if sketchy:  # displace pixels along a smooth random field, as a hand would
        field = rng.normal(0, 1, (8, 8, 2))
        flow = (
            np.stack(
                [
                    np.asarray(Image.fromarray(field[..., i].astype(np.float32)).resize((size, size), Image.BICUBIC))
                    for i in range(2)
                ],
                -1,
            )
            * size
            / 100
        )
        yy, xx = np.mgrid[:size, :size]
        src_y = np.clip(yy + flow[..., 0], 0, size - 1).astype(int)
        src_x = np.clip(xx + flow[..., 1], 0, size - 1).astype(int)
        canvas = Image.fromarray(np.asarray(canvas)[src_y, src_x])
    return canvas.convert("RGB")


def draw_map_tile(size: int = 256, seed: int = 0) -> Image.Image:
    """A Google-Maps-like tile: light blocks, white streets in a grid, a park and sometimes water."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (size, size), (235, 232, 225))
    draw = ImageDraw.Draw(img)
    if rng.random() < 0.5:
        draw.polygon(
            [(0, size * rng.uniform(0.6, 0.9)), (size, size * rng.uniform(0.7, 1.0)), (size, size), (0, size)],
            fill=(170, 200, 240),
        )
    px, py = rng.uniform(0.1, 0.6, 2) * size
    draw.rectangle([px, py, px + size * 0.25, py + size * 0.2], fill=(200, 228, 190))
    angle = rng.uniform(-0.3, 0.3)
    spacing = size / rng.uniform(3, 6)
    for i in range(-3, 10):  # two families of streets, slightly rotated
        offset = i * spacing
        draw.line([(offset, 0), (offset + size * angle, size)], fill=(255, 255, 255), width=max(2, size // 50))
        draw.line([(0, offset), (size, offset - size * angle)], fill=(255, 255, 255), width=max(2, size // 50))
    avenue_y = rng.uniform(0.2, 0.8) * size
    draw.line([(0, avenue_y), (size, avenue_y + size * 0.1)], fill=(250, 210, 130), width=max(3, size // 30))
    return img


def draw_scene(size: int = 256, seed: int = 0) -> Image.Image:
    """A photo-like outdoor scene: graded sky, buildings with lit windows, trees, a street, and sensor noise."""
    rng = np.random.default_rng(seed)
    yy = np.linspace(0, 1, size)[:, None, None]
    sky = (np.array([90, 140, 210]) * (1 - yy) + np.array([200, 220, 240]) * yy).astype(np.float64)
    img = Image.fromarray(np.broadcast_to(sky, (size, size, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    horizon = int(size * rng.uniform(0.55, 0.7))
    x = 0
    while x < size:
        width = int(rng.integers(size // 7, size // 3))
        top = int(rng.integers(size // 8, horizon - size // 8))
        tone = int(rng.integers(90, 200))
        tint = rng.integers(-20, 20, 3)
        draw.rectangle([x, top, x + width, horizon], fill=tuple(int(np.clip(tone + t, 0, 255)) for t in tint))
        for wy in range(top + size // 32, horizon - size // 16, size // 16):
            for wx in range(x + size // 40, x + width - size // 40, size // 20):
                lit = (230, 220, 160) if rng.random() < 0.3 else (60, 70, 85)
                draw.rectangle([wx, wy, wx + size // 40, wy + size // 32], fill=lit)
        x += width
    for _ in range(int(rng.integers(1, 4))):
        cx, r = int(rng.integers(0, size)), int(rng.integers(size // 14, size // 7))
        draw.ellipse([cx - r, horizon - 2 * r, cx + r, horizon + r // 3], fill=(60, 110, 50))
    draw.rectangle([0, horizon, size, size], fill=(95, 95, 100))
    draw.line([(size / 2, horizon), (size / 2, size)], fill=(230, 230, 230), width=max(1, size // 64))
    img = img.filter(ImageFilter.GaussianBlur(radius=size / 512))
    noise = rng.normal(0, 6, (size, size, 3))
    return Image.fromarray(np.clip(np.asarray(img, dtype=np.float64) + noise, 0, 255).astype(np.uint8))


def draw_aerial(size: int = 256, seed: int = 0) -> Image.Image:
    """An aerial-photo-like tile: roofs of varied tones between dark streets, with trees and noise."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (size, size), (70, 72, 70))
    draw = ImageDraw.Draw(img)
    block = size / rng.uniform(3, 5)
    for by in np.arange(0, size, block):
        for bx in np.arange(0, size, block):
            for _ in range(int(rng.integers(2, 6))):
                x0, y0 = bx + rng.uniform(0.1, 0.6) * block, by + rng.uniform(0.1, 0.6) * block
                roof = tuple(int(v) for v in rng.integers(90, 200, 3))
                draw.rectangle(
                    [x0, y0, x0 + rng.uniform(0.2, 0.4) * block, y0 + rng.uniform(0.2, 0.4) * block], fill=roof
                )
            if rng.random() < 0.3:
                r = block * 0.15
                cx, cy = bx + block / 2, by + block / 2
                draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(50, 90, 45))
    noise = rng.normal(0, 10, (size, size, 3))
    return Image.fromarray(np.clip(np.asarray(img, dtype=np.float64) + noise, 0, 255).astype(np.uint8))


def mask_hole(photo: Image.Image, seed: int = 0) -> Image.Image:
    """The photo with a rectangular hole filled with `HOLE_COLOUR`, as the inpainting task's inputs are made."""
    rng = np.random.default_rng(seed)
    width, height = photo.size
    hole_w, hole_h = (int(v) for v in rng.uniform(0.25, 0.45, 2) * (width, height))
    x0, y0 = int(rng.integers(0, width - hole_w)), int(rng.integers(0, height - hole_h))
    out = photo.convert("RGB")
    ImageDraw.Draw(out).rectangle([x0, y0, x0 + hole_w - 1, y0 + hole_h - 1], fill=HOLE_COLOUR)
    return out


__all__ = [
    "HOLE_COLOUR",
    "draw_aerial",
    "draw_edges",
    "draw_facade_labels",
    "draw_map_tile",
    "draw_scene",
    "draw_street_labels",
    "mask_hole",
]
