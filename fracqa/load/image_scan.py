"""Reading image files, the one costly step of an audit: each file read once, in a process pool.

`read_image` gives, per file: its length, the format its first bytes announce, the SHA-256 of
its bytes, and what Pillow reads from its header without decoding (size, mode and the header
record of `image_header`). With `decode`, the image is also decoded: a JPEG in draft mode
(libjpeg's DCT scaling to 1/8 of its size): the whole compressed stream is still decoded, so
truncation and corruption are caught, at a fraction of the cost of full resolution, which no
check needs. The decoded pixels give a hash of the pixels, a perceptual hash and the pixel
statistics of `pixel_stats`. An image whose header announces more pixels than the limit is
refused before any decoding.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from typing import Any

import numpy as np
from PIL import Image

from fracqa.config import DEFAULT_PIXEL_LIMIT
from fracqa.load.image_hashes import FIELDS as VIEW_FIELDS
from fracqa.load.image_hashes import view_hashes
from fracqa.load.image_header import header_record
from fracqa.load.pixel_stats import STAT_COLUMNS, pixel_stats

DRAFT_SCALE = 8
MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"RIFF", "WEBP"),
)
HEADER_FIELDS = ("bytes", "format", "sha256", "width", "height", "mode", "refused",
                 "header_error", "header")  # fmt: skip
DECODE_FIELDS = ("decoded", "decode_error", "pixel_hash", "phash", *VIEW_FIELDS, *STAT_COLUMNS)


def sniff_format(head: bytes) -> str | None:
    """The image format the leading bytes announce, or None."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    return None


def read_image(path: str, pixel_limit: int = DEFAULT_PIXEL_LIMIT, decode: bool = True) -> dict:
    """What the audit knows of one image file (HEADER_FIELDS, and DECODE_FIELDS when
    `decode`); never raises."""
    found: dict[str, Any] = dict.fromkeys(HEADER_FIELDS + (DECODE_FIELDS if decode else ()))
    found.update(refused=False, **({"decoded": False} if decode else {}))
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        _failed(found, f"cannot be read: {error.strerror}", decode)
        return found
    found.update(bytes=len(data), format=sniff_format(data[:16]),
                 sha256=hashlib.sha256(data).hexdigest())  # fmt: skip
    if not data:
        _failed(found, "the file is empty", decode)
        return found
    try:
        with _header_only_bomb_check(), Image.open(io.BytesIO(data)) as image:
            found.update(width=image.width, height=image.height, mode=image.mode,
                         header=header_record(image, data))  # fmt: skip
            if image.width * image.height > pixel_limit:
                found["refused"] = True
                _failed(found, f"{image.width}x{image.height} is over the limit of "
                               f"{pixel_limit:,} pixels: not decoded", decode)  # fmt: skip
                return found
            if decode:
                _decode(image, found)
    except Exception as error:  # noqa: BLE001 - every decoder failure is a finding, not a crash
        reason = _reason(error)
        if found["header"] is None:
            found["header_error"] = reason
        if decode:
            found["decode_error"] = reason
    return found


def _failed(found: dict, reason: str, decode: bool) -> None:
    found["header_error"] = reason
    if decode:
        found["decode_error"] = reason


def _decode(image: Image.Image, found: dict) -> None:
    if image.format == "JPEG":
        image.draft("L", (image.width // DRAFT_SCALE, image.height // DRAFT_SCALE))
    image.load()
    pixels = image.convert("L")
    found["decoded"] = True
    found["pixel_hash"] = hashlib.sha256(
        f"{pixels.size}".encode() + pixels.tobytes()
    ).hexdigest()
    found.update(view_hashes(pixels, found["width"], found["height"]))  # phash, view_*: as stored
    found.update(pixel_stats(np.asarray(pixels)))


@contextlib.contextmanager
def _header_only_bomb_check():
    """Let Image.open read any header: the size is checked against the pixel limit right
    after, before anything is decoded (Pillow's own check would refuse without telling the
    size)."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "truncated" in text:
        return f"the file is truncated ({text})"
    if isinstance(error, Image.UnidentifiedImageError):
        return "not an image Pillow can identify"
    if isinstance(error, Image.DecompressionBombError):
        return f"refused as a decompression bomb ({text})"
    return f"cannot be decoded ({text})"
