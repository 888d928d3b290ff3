"""The demo's PNG writer and shelf scenes (pure Python, no database)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from databrewery_lab.demo import images
from databrewery_lab.demo.label_configs import BOX_COLORS


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        out.append((kind, body))
        pos += 12 + length
    return out


def _decode(data: bytes) -> tuple[int, int, bytes]:
    chunks = _chunks(data)
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color, interlace) == (8, 2, 0)
    raw = zlib.decompress(chunks[1][1])
    stride = 1 + 3 * width
    assert len(raw) == stride * height
    assert all(raw[y * stride] == 0 for y in range(height))  # filter type None
    rgb = b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height))
    return width, height, rgb


def test_png_bytes_is_a_valid_png_of_the_right_size() -> None:
    rgb = bytes(range(256))[:48] * 4  # 8 x 8 pixels of varied colours
    width, height, decoded = _decode(images.png_bytes(rgb[: 8 * 8 * 3], 8, 8))
    assert (width, height) == (8, 8) and decoded == rgb[: 8 * 8 * 3]


def test_png_bytes_rejects_a_wrong_buffer_size() -> None:
    with pytest.raises(ValueError, match="expected 12 bytes"):
        images.png_bytes(b"\x00" * 11, 2, 2)


def test_scene_boxes_are_drawn_in_their_label_colour() -> None:
    wall, boxes = images.scene(seed=0, index=7)
    assert 1 <= len(boxes) <= 4
    width, height, rgb = _decode(images.png_bytes(images.render(wall, boxes), 320, 240))
    assert (width, height) == (320, 240)
    for box in boxes:
        cx, cy = box.x + box.w // 2, box.y + box.h // 2
        pixel = rgb[(cy * width + cx) * 3 : (cy * width + cx) * 3 + 3]
        color = BOX_COLORS[box.label]
        assert pixel == bytes(int(color[i : i + 2], 16) for i in (1, 3, 5))
        assert box.x >= 0 and box.x + box.w <= width and box.y >= 0 and box.y + box.h <= height


def test_scenes_are_deterministic_and_boxes_do_not_overlap() -> None:
    assert images.scene(3, 5) == images.scene(3, 5)
    assert images.scene(3, 5) != images.scene(4, 5)
    for index in range(50):
        _, boxes = images.scene(1, index)
        for a in boxes:
            for b in boxes:
                if a is not b:
                    apart = a.x + a.w <= b.x or b.x + b.w <= a.x
                    apart |= a.y + a.h <= b.y or b.y + b.h <= a.y
                    assert apart


def test_percent_boxes_stay_inside_the_image() -> None:
    import random

    rnd = random.Random(0)
    for index in range(30):
        for box in images.scene(0, index)[1]:
            for drawn in (images.percent_box(box), images.jitter(rnd, box, 8.0)):
                assert drawn["x"] >= 0 and drawn["y"] >= 0
                assert drawn["width"] > 0 and drawn["height"] > 0
                assert drawn["x"] + drawn["width"] <= 100 + 1e-9
                assert drawn["y"] + drawn["height"] <= 100 + 1e-9


def test_write_images_names_match_the_task_urls(tmp_path: Path) -> None:
    paths = images.write_images(seed=0, count=3, media_dir=tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        images.image_name(i) for i in range(3)
    ]
    assert images.image_url(0) == "/data/local-files/?d=demo-images/img_00001.png"
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)
