"""The inventory of every file under images/: where it sits, and what the image scan found.

Files are listed without being opened; `image_scan` then reads each one once, in a process
pool, while the caller loads the rest of the release. A link that leads outside the release is
listed but never read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from fracqa.layout import Layout
from fracqa.load.files import inside
from fracqa.load.image_scan import SCAN_FIELDS, PendingScan, ScanSettings
from fracqa.workers import Workers

IMAGE_COLUMNS = ("image_id", "file", "folder", "outside_root", *SCAN_FIELDS)


class PendingInventory:
    """The listing of images/, with its scan under way."""

    def __init__(self, layout: Layout, settings: ScanSettings, workers: Workers):
        self.rows = list(_listing(layout))
        readable = [row for row in self.rows if not row["outside_root"]]
        self._readable = readable
        self._scan = PendingScan([row.pop("path") for row in readable], settings, workers)

    def table(self) -> pd.DataFrame:
        """One row per file under images/: image_id (the file name), file (relative path),
        folder ("fractured", "non_fractured" or "other"), outside_root (a link leading out of
        the release), and what the scan found: bytes, format (sniffed from the content), width,
        height, mode, sha256, decoded, decode_error, pixel_hash, phash, refused (over the pixel
        limit)."""
        for row, scanned in zip(self._readable, self._scan.results(), strict=True):
            row.update(scanned)
        frame = pd.DataFrame(self.rows, columns=IMAGE_COLUMNS)
        for column in ("bytes", "width", "height"):
            frame[column] = frame[column].astype("Int64")
        for column in ("decoded", "refused", "outside_root"):
            frame[column] = frame[column].fillna(False).astype(bool)
        return frame.sort_values("file", ignore_index=True)


def inventory(layout: Layout, settings: ScanSettings | None = None) -> pd.DataFrame:
    settings = settings or ScanSettings()
    with Workers(settings.workers) as workers:
        return PendingInventory(layout, settings, workers).table()


def _listing(layout: Layout):
    if layout.images_dir is None:
        return
    folders = {layout.fractured_dir: "fractured", layout.non_fractured_dir: "non_fractured"}
    for directory, entries in _walk(layout.images_dir):
        folder = folders.get(directory, "other")
        for entry in entries:
            path = Path(entry.path)
            outside = entry.is_symlink() and not inside(path, layout.root)
            yield {"image_id": entry.name, "file": layout.relative(path), "folder": folder,
                   "outside_root": outside, "path": path}  # fmt: skip


def _walk(folder: Path):
    """(folder, its file entries) for the folder and every sub-folder, links not followed."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        files = [e for e in entries if not e.is_dir(follow_symlinks=False)]
        yield current, files
        stack.extend(Path(e.path) for e in reversed(entries) if e.is_dir(follow_symlinks=False))

