"""Images for the showcase tests (test client and browser): made with Pillow, kept in memory."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageChops


def png(size: tuple[int, int] = (240, 120), color: tuple[int, int, int] = (20, 160, 60)) -> bytes:
    """A PNG of one colour."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (160, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format="JPEG")
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb's
    header: the few bytes of data that follow would expand to gigabytes)."""
    data = png((1, 1))
    # The IHDR chunk follows the 8-byte signature: length (4), type (4), data (13), CRC (4).
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


def changed_pixels(a: Image.Image, b: Image.Image) -> int:
    """How many pixels differ between two images of the same size."""
    assert a.size == b.size
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    # A pixel differs when any of its channels does: the max channel, then non-zero or not.
    channels = diff.split()
    changed = channels[0].point(lambda v: 255 if v else 0)
    for channel in channels[1:]:
        changed = ImageChops.lighter(changed, channel.point(lambda v: 255 if v else 0))
    return changed.histogram()[255]
