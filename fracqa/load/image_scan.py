"""The image scan, the one costly step of an audit: every image read and decoded once, in a
process pool.

Per image: the SHA-256 of its bytes, its format, mode and size from the header, whether it
decodes completely, a hash of its decoded pixels and a perceptual hash. A JPEG is decoded in
draft mode (libjpeg's DCT scaling to 1/8 of its size): the whole compressed stream is still
decoded, so truncation and corruption are caught, at a fraction of the cost of full resolution,
which no check needs. An image whose header announces more pixels than the limit is refused
before any decoding.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import imagehash
from PIL import Image

from fracqa.load.files import remembering
from fracqa.workers import Workers

DEFAULT_PIXEL_LIMIT = 50_000_000  # the release's largest radiographs have 6.6 million
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
SCAN_FIELDS = (
    "bytes", "format", "width", "height", "mode", "sha256", "decoded", "decode_error",
    "pixel_hash", "phash", "refused",
)  # fmt: skip


@dataclass(frozen=True)
class ScanSettings:
    workers: int | None = None  # None: every core
    pixel_limit: int = DEFAULT_PIXEL_LIMIT
    progress: bool = False


def sniff_format(head: bytes) -> str | None:
    """The image format the leading bytes announce, or None."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    return None


def scan_image(path: str, pixel_limit: int = DEFAULT_PIXEL_LIMIT) -> dict:
    """Everything the audit needs to know about one image file; never raises."""
    found = dict.fromkeys(SCAN_FIELDS)
    found.update(decoded=False, refused=False)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        found["decode_error"] = f"cannot be read: {error.strerror}"
        return found
    found.update(bytes=len(data), format=sniff_format(data[:16]),
                 sha256=hashlib.sha256(data).hexdigest())  # fmt: skip
    if not data:
        found["decode_error"] = "the file is empty"
        return found
    try:
        _decode(data, pixel_limit, found)
    except Exception as error:  # noqa: BLE001 - every decoder failure is a finding, not a crash
        found["decode_error"] = _reason(error)
    return found


def _decode(data: bytes, pixel_limit: int, found: dict) -> None:
    with _header_only_bomb_check(pixel_limit), Image.open(io.BytesIO(data)) as image:
        found.update(width=image.width, height=image.height, mode=image.mode)
        if image.width * image.height > pixel_limit:
            found["refused"] = True
            found["decode_error"] = (f"{image.width}x{image.height} is over the limit of "
                                     f"{pixel_limit:,} pixels: not decoded")  # fmt: skip
            return
        if image.format == "JPEG":
            image.draft("L", (image.width // DRAFT_SCALE, image.height // DRAFT_SCALE))
        image.load()
        pixels = image.convert("L")
    found["decoded"] = True
    found["pixel_hash"] = hashlib.sha256(
        f"{pixels.size}".encode() + pixels.tobytes()
    ).hexdigest()
    found["phash"] = str(imagehash.phash(pixels))


@contextlib.contextmanager
def _header_only_bomb_check(pixel_limit: int):
    """Let Image.open read any header: the size is checked against `pixel_limit` right after,
    before anything is decoded (Pillow's own check would refuse without telling the size)."""
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


# Scans of unchanged files within this process, keyed by identity: inode, size and times.
_MEMO: dict[tuple, dict] = {}
_MEMO_LIMIT = 500_000


def _identity(path: str, pixel_limit: int) -> tuple | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns,
            pixel_limit)  # fmt: skip


def scan_images(paths: Iterable[Path], settings: ScanSettings | None = None) -> list[dict]:
    """Scan every image, in a pool of `settings.workers` processes, in the given order."""
    settings = settings or ScanSettings()
    with Workers(settings.workers) as workers:
        return PendingScan(paths, settings, workers).results()


class PendingScan:
    """A scan under way in the worker pool while the caller loads everything else."""

    def __init__(self, paths: Iterable[Path], settings: ScanSettings, workers: Workers):
        self._paths = [str(p) for p in paths]
        self._keys = [_identity(p, settings.pixel_limit) if remembering() else None
                      for p in self._paths]  # fmt: skip
        self._todo = [i for i, key in enumerate(self._keys) if key is None or key not in _MEMO]
        tasks = [(self._paths[i], settings.pixel_limit) for i in self._todo]
        self._progress = _progress(len(tasks), settings.progress)
        size = max(1, min(64, len(tasks) // (workers.count * 8)))
        self._chunks = [workers.submit(_scan_chunk, tasks[i:i + size])
                        for i in range(0, len(tasks), size)]  # fmt: skip
        for chunk in self._chunks:
            chunk.add_done_callback(lambda done: self._progress.update(len(done.result())))

    def results(self) -> list[dict]:
        """Every image's scan, in the order given; waits for the pool."""
        scanned = [result for chunk in self._chunks for result in chunk.result()]
        self._progress.close()
        for i, result in zip(self._todo, scanned, strict=True):
            if self._keys[i] is not None and len(_MEMO) < _MEMO_LIMIT and remembering():
                _MEMO[self._keys[i]] = result
        done = dict(zip(self._todo, scanned, strict=True))
        return [done[i] if i in done else dict(_MEMO[self._keys[i]])
                for i in range(len(self._paths))]  # fmt: skip


def _scan_chunk(tasks: list[tuple[str, int]]) -> list[dict]:
    return [scan_image(*task) for task in tasks]


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, wanted: bool):
    """A progress bar on a terminal's stderr, nothing otherwise."""
    if not wanted or not sys.stderr.isatty() or total == 0:
        return _Silent()
    from tqdm import tqdm

    return tqdm(total=total, unit="image", desc="scanning images", leave=False, file=sys.stderr)
