"""Reading image files, the one costly step of an audit: each file read once, in a process pool.

`read_image` gives, per file: its length, the format its first bytes announce, the SHA-256 of
its bytes, and what Pillow reads from its header without decoding (size, mode and the header
record of `image_header`). With `decode`, the image is also decoded: a JPEG in draft mode
(libjpeg's DCT scaling to 1/8 of its size): the whole compressed stream is still decoded, so
truncation and corruption are caught, at a fraction of the cost of full resolution, which no
check needs. The decoded pixels give a hash of the pixels, a perceptual hash and the pixel
statistics of `pixel_stats` (an image of more than 8 bits per sample is scaled to 8 bits for
them, as an image viewer shows it). An image whose header announces more pixels than the limit
is refused before any decoding.

An image that fails to decode because its file is truncated is decoded once more, leniently
(Pillow's `ImageFile.LOAD_TRUNCATED_IMAGES`, switched on for that decode only), to measure
what a tolerant loader would show of it: `lenient_missing` is the number of rows at the bottom that
hold nothing but one flat grey level (the rows a truncated file lost), `lenient_level` that
level. A file Pillow cannot open at all is explained from its JPEG frame header where it has
one (a 12-bit or lossless JPEG).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from typing import Any

import numpy as np
from PIL import Image, ImageFile, JpegImagePlugin

from fracqa.config import DEFAULT_PIXEL_LIMIT
from fracqa.load.image_hashes import FIELDS as VIEW_FIELDS
from fracqa.load.image_hashes import WorkingView, view_hashes, working_view
from fracqa.load.image_header import header_record, jpeg_frame
from fracqa.load.pixel_stats import STAT_COLUMNS, bottom_band, pixel_stats

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
DECODE_FIELDS = ("decoded", "decode_error", "pixel_hash", "phash", *VIEW_FIELDS, *STAT_COLUMNS,
                 "lenient_missing", "lenient_level")  # fmt: skip
TEXT_FIELDS = ("text_regions", "ocr_error")  # with `ocr`: see burned_text


def sniff_format(head: bytes) -> str | None:
    """The image format the leading bytes announce, or None."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    return None


def read_image(path: str, pixel_limit: int = DEFAULT_PIXEL_LIMIT, decode: bool = True,
               ocr: bool = False) -> dict:  # fmt: skip
    """What the audit knows of one image file (HEADER_FIELDS, DECODE_FIELDS when `decode`,
    TEXT_FIELDS when `ocr`); never raises."""
    found: dict[str, Any] = dict.fromkeys(HEADER_FIELDS + (DECODE_FIELDS if decode else ())
                                          + (TEXT_FIELDS if ocr else ()))  # fmt: skip
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
        if ocr:
            from fracqa.load.burned_text import read_text

            found["text_regions"], found["ocr_error"] = read_text(data)
    except Exception as error:  # noqa: BLE001 - every decoder failure is a finding, not a crash
        reason = _reason(error, data)
        if found["header"] is None:
            found["header_error"] = reason
        if decode:
            found["decode_error"] = reason
            if found["header"] is not None and reason.startswith("the file is truncated"):
                _decode_leniently(data, found)
    return found


def read_working_view(path: str, header: dict | None = None,
                      pixel_limit: int = DEFAULT_PIXEL_LIMIT) -> WorkingView | None:  # fmt: skip
    """The working view of an image file (see `image_hashes.working_view`) as the scan
    computed the file's hashes from it, read again; None if it cannot be read now. The crop
    search reads the few originals it aligns a crop on this way instead of keeping every
    image's working view."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        with _header_only_bomb_check(), Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > pixel_limit:
                return None
            _draft(image)
            image.load()
            return working_view(_grey(image, header), width, height)
    except Exception:  # noqa: BLE001 - changed or broken since the scan: no crop is told
        return None


def _failed(found: dict, reason: str, decode: bool) -> None:
    found["header_error"] = reason
    if decode:
        found["decode_error"] = reason


def _decode(image: Image.Image, found: dict) -> None:
    size = image.size
    scale = _draft(image)
    image.load()
    pixels = _grey(image, found["header"])
    array = np.asarray(pixels, dtype=np.uint8)  # one copy of the pixels, for all that follows
    found["decoded"] = True
    digest = hashlib.sha256(f"{pixels.size}".encode())
    digest.update(np.ascontiguousarray(array).data)
    found["pixel_hash"] = digest.hexdigest()
    found.update(view_hashes(pixels, found["width"], found["height"], array))  # as stored
    found.update(pixel_stats(array, size, scale))


def _draft(image: Image.Image) -> int:
    """Switch a JPEG (or MPO) to draft mode: decoded at 1/8 of its size. The scale taken."""
    if not isinstance(image, JpegImagePlugin.JpegImageFile):
        return 1
    image.draft("L", (max(1, image.width // DRAFT_SCALE), max(1, image.height // DRAFT_SCALE)))
    config = getattr(image, "decoderconfig", ())
    return int(config[0]) if config and isinstance(config[0], int) and config[0] > 0 else 1


def _grey(image: Image.Image, header: dict | None) -> Image.Image:
    """The image as 8-bit grey levels; more than 8 bits per sample are scaled down, not
    clipped (Pillow's convert("L") clips 16-bit values at 255)."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        bits = (header or {}).get("bit_depth") or 16
        wide = np.asarray(image, dtype=np.float64)
        top = float(2 ** min(int(bits), 16) - 1) if image.mode != "F" else max(wide.max(), 1.0)
        return Image.fromarray(np.clip(wide * (255.0 / top), 0, 255).astype(np.uint8), "L")
    return image if image.mode == "L" else image.convert("L")


def _decode_leniently(data: bytes, found: dict) -> None:
    """What a loader tolerant of truncated files shows of this one: the flat rows at its
    bottom (at full resolution) and their grey level."""
    try:
        with _header_only_bomb_check(), _lenient(), Image.open(io.BytesIO(data)) as image:
            height = image.height
            scale = _draft(image)
            image.load()
            pixels = np.asarray(_grey(image, found["header"]))
    except Exception:  # noqa: BLE001 - not even a lenient decoder shows anything of it
        return
    rows, level = bottom_band(pixels)
    # draft row i holds full rows i*scale ... i*scale + scale - 1 (the last one fewer)
    found["lenient_missing"] = max(0, height - (len(pixels) - rows) * scale) if rows else 0
    found["lenient_level"] = level


@contextlib.contextmanager
def _lenient():
    """Pillow's tolerance of truncated files, on for one decode only."""
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


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


def _reason(error: Exception, data: bytes = b"") -> str:
    text = str(error) or type(error).__name__
    if "truncated" in text:
        return f"the file is truncated ({text})"
    if isinstance(error, Image.UnidentifiedImageError):
        return _unidentified(data)
    if isinstance(error, Image.DecompressionBombError):
        return f"refused as a decompression bomb ({text})"
    return f"cannot be decoded ({text})"


def _unidentified(data: bytes) -> str:
    """Why Pillow cannot open a file, where its JPEG frame header tells."""
    frame = jpeg_frame(data) if sniff_format(data[:16]) == "JPEG" else {}
    if not frame:
        return "not an image Pillow can identify"
    what = f"a {frame['precision']}-bit {frame['coding']} JPEG"
    if frame["precision"] != 8 or frame["coding"].startswith(("lossless", "hierarchical")):
        return (f"{what}, which Pillow and web browsers cannot decode (they decode 8-bit "
                "sequential and progressive JPEGs only)")  # fmt: skip
    if frame["components"] not in (1, 3, 4):
        return f"{what} with {frame['components']} components, which Pillow cannot decode"
    return f"{what} that Pillow cannot identify"
