"""The inventory of every file under images/: where it sits, its size, and what its header says.

Only headers are read here (Pillow's open() stops after the JPEG frame header), so the
inventory of the full release takes a second or two.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from PIL import Image

from fracqa.layout import Layout

# Leading bytes of the formats an image folder may really hold, whatever the file's extension.
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"RIFF", "WEBP"),
)

IMAGE_COLUMNS = ("image_id", "file", "folder", "bytes", "format", "width", "height", "mode")


def inventory(layout: Layout) -> pd.DataFrame:
    """One row per file under images/: image_id (the file name), file (relative path),
    folder ("fractured", "non_fractured" or "other"), bytes, format (sniffed from the content,
    None when unknown or empty), and width, height, mode from the header where it parses."""
    if layout.images_dir is None:
        return pd.DataFrame(columns=IMAGE_COLUMNS)
    folders = {layout.fractured_dir: "fractured", layout.non_fractured_dir: "non_fractured"}
    rows = []
    for path in _files_under(layout.images_dir):
        rows.append(_describe(path, folders.get(path.parent, "other"), layout))
    frame = pd.DataFrame(rows, columns=IMAGE_COLUMNS)
    for column in ("bytes", "width", "height"):
        frame[column] = frame[column].astype("Int64")
    return frame.sort_values("file", ignore_index=True)


def _files_under(folder: Path) -> list[Path]:
    files = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories.sort()
        files.extend(Path(directory, name) for name in names)
    return files


def _describe(path: Path, folder: str, layout: Layout) -> dict:
    row = dict.fromkeys(IMAGE_COLUMNS)
    row.update(image_id=path.name, file=layout.relative(path), folder=folder)
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
            row["bytes"] = os.fstat(handle.fileno()).st_size
            row["format"] = sniff_format(head)
            handle.seek(0)
            with Image.open(handle) as image:
                row.update(width=image.width, height=image.height, mode=image.mode)
    except Exception:  # noqa: BLE001 - any unreadable header leaves width/height unknown
        pass
    return row


def sniff_format(head: bytes) -> str | None:
    """The image format the leading bytes announce, or None."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None
