"""Shelf "photos" for the bounding-box project: coloured rectangles on a plain wall.

A scene is a list of labelled boxes in pixels, drawn from a seeded stream per image
index, so the ground truth always matches the picture. :func:`png_bytes` is a
small pure-Python PNG encoder (zlib + struct), enough for flat-colour images.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from databrewery_lab.demo.label_configs import BOX_COLORS, BOX_LABELS
from databrewery_lab.demo.rng import streams

WIDTH, HEIGHT = 320, 240
#: At most this many distinct images; tasks reuse them cyclically.
MAX_IMAGES = 300
IMAGE_DIR = "demo-images"

RGB = tuple[int, int, int]

#: (min, max) width and height in pixels per label: bottles are tall, cans short...
_SHAPES = {
    "Bottle": ((22, 34), (70, 100)),
    "Can": ((26, 36), (34, 48)),
    "Carton": ((60, 90), (50, 80)),
    "Jar": ((34, 48), (40, 60)),
}
_SHELF: RGB = (120, 94, 64)
_WALLS: tuple[RGB, ...] = ((236, 232, 224), (222, 228, 234), (240, 240, 240), (228, 236, 226))


@dataclass(frozen=True)
class Box:
    """One object in a scene, in pixels (x, y = top-left)."""

    label: str
    x: int
    y: int
    w: int
    h: int


def image_name(index: int) -> str:
    """Path of image ``index`` relative to the local-files document root."""
    return f"{IMAGE_DIR}/img_{index + 1:05d}.png"


def image_url(index: int) -> str:
    """Label Studio's local-files URL for image ``index``."""
    return f"/data/local-files/?d={image_name(index)}"


def _hex_rgb(color: str) -> RGB:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def scene(seed: int, index: int) -> tuple[RGB, list[Box]]:
    """Wall colour and 1–4 non-overlapping boxes for image ``index``."""
    rnd, _ = streams(seed, "image", index)
    wall = rnd.choice(_WALLS)
    cells = [(cx, cy) for cx in range(3) for cy in range(2)]  # 3x2 grid, one object per cell
    boxes: list[Box] = []
    for cx, cy in rnd.sample(cells, rnd.randint(1, 4)):
        label = rnd.choice(BOX_LABELS)
        (wmin, wmax), (hmin, hmax) = _SHAPES[label]
        w, h = rnd.randint(wmin, wmax), rnd.randint(hmin, hmax)
        cell_w, cell_h = WIDTH // 3, HEIGHT // 2
        x = cx * cell_w + rnd.randint(2, cell_w - w - 2)
        y = cy * cell_h + rnd.randint(2, cell_h - h - 2)
        boxes.append(Box(label, x, y, w, h))
    return wall, boxes


def render(wall: RGB, boxes: list[Box], width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """Raw RGB rows of the scene (each object a filled box with a darker outline)."""
    pixels = bytearray(bytes(wall) * (width * height))
    shelf = bytes(_SHELF) * width
    for y in (height // 2 - 2, height // 2 - 1, height - 2, height - 1):  # below each row
        pixels[y * width * 3 : (y + 1) * width * 3] = shelf
    for box in boxes:
        fill = _hex_rgb(BOX_COLORS[box.label])
        edge = tuple(c * 3 // 5 for c in fill)
        for y in range(box.y, box.y + box.h):
            outline = y in (box.y, box.y + 1, box.y + box.h - 2, box.y + box.h - 1)
            row = bytes(edge if outline else fill) * box.w
            if not outline:
                row = bytes(edge) * 2 + row[6:-6] + bytes(edge) * 2
            start = (y * width + box.x) * 3
            pixels[start : start + 3 * box.w] = row
    return bytes(pixels)


def png_bytes(rgb: bytes, width: int, height: int) -> bytes:
    """Encode raw 8-bit RGB rows as a PNG file (no filtering, zlib-compressed)."""
    if len(rgb) != width * height * 3:
        raise ValueError(f"expected {width * height * 3} bytes of RGB, got {len(rgb)}")
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride : (y + 1) * stride] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def write_images(seed: int, count: int, media_dir: Path) -> list[Path]:
    """Write images 0..count-1 under ``media_dir/demo-images/``; return their paths."""
    paths = []
    for index in range(count):
        wall, boxes = scene(seed, index)
        path = media_dir / image_name(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes(render(wall, boxes), WIDTH, HEIGHT))
        paths.append(path)
    return paths


def percent_box(box: Box) -> dict[str, float]:
    """The box in Label Studio's percent coordinates (4 decimals)."""
    return jitter(random.Random(0), box, 0.0)


def jitter(rnd: random.Random, box: Box, sigma: float) -> dict[str, float]:
    """An annotator's (or model's) drawing of ``box``: edges off by ~``sigma`` px."""
    x0 = min(max(box.x + rnd.gauss(0, sigma), 0.0), WIDTH - 2.0)
    y0 = min(max(box.y + rnd.gauss(0, sigma), 0.0), HEIGHT - 2.0)
    x1 = min(max(box.x + box.w + rnd.gauss(0, sigma), x0 + 2.0), float(WIDTH))
    y1 = min(max(box.y + box.h + rnd.gauss(0, sigma), y0 + 2.0), float(HEIGHT))
    x, y = round(x0 * 100.0 / WIDTH, 4), round(y0 * 100.0 / HEIGHT, 4)
    right, bottom = round(x1 * 100.0 / WIDTH, 4), round(y1 * 100.0 / HEIGHT, 4)
    return {"x": x, "y": y, "width": round(right - x, 4), "height": round(bottom - y, 4)}
