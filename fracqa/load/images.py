"""The image table: every file under images/, where it sits, and what reading it found.

Files are listed without being opened. When the image headers or the image scan are asked
for, `image_scan.read_image` then reads each file once, in the worker pool, while the caller
loads the rest of the release. A link that leads outside the release is listed but never read.
A folder that cannot be listed is noted on the layout (LAY010). An image whose reading kills
the worker process twice (see fracqa.workers) is not read: its row says so (`killed_reader`,
IMG019) and holds nothing else read from the file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from fracqa import inputs
from fracqa.config import ScanSettings
from fracqa.layout import Layout
from fracqa.load.files import inside
from fracqa.load.image_scan import DECODE_FIELDS, HEADER_FIELDS, read_image
from fracqa.workers import Workers

FILE_COLUMNS = ("image_id", "file", "folder", "outside_root")
HEADER_COLUMNS = (*HEADER_FIELDS, "killed_reader")  # the reading killed its process twice
SCAN_COLUMNS = DECODE_FIELDS


class PendingImages:
    """The listing of images/, with the reading of its files (to `depth`: the image headers or
    the image scan; None reads nothing) under way in the worker pool."""

    def __init__(self, layout: Layout, settings: ScanSettings, workers: Workers,
                 depth: str | None = inputs.IMAGE_SCAN):  # fmt: skip
        self.rows = list(_listing(layout))
        self.columns = list(FILE_COLUMNS)
        self._readable = [row for row in self.rows if not row["outside_root"]] if depth else []
        self._chunks = None
        if depth:
            decode = depth == inputs.IMAGE_SCAN
            if decode:
                _import_decoders()
            self.columns += HEADER_COLUMNS + (SCAN_COLUMNS if decode else ())
            tasks = [(str(row["path"]), settings.pixel_limit, decode) for row in self._readable]
            self._chunks = workers.in_chunks(_read_chunk, tasks)
            self._progress = _progress(len(tasks), settings.progress)
            self._chunks.add_done_callback(self._progress.update)

    def table(self) -> pd.DataFrame:
        """One row per file under images/: image_id (the file name), file (relative path),
        folder ("fractured", "non_fractured" or "other"), outside_root (a link leading out of
        the release), and what reading the file found (image_scan.HEADER_FIELDS and
        DECODE_FIELDS)."""
        if self._chunks is not None:
            found = [result for part in self._chunks.results(_not_read) for result in part]
            self._progress.close()
            for row, read in zip(self._readable, found, strict=True):
                row.update(read)
                row.setdefault("killed_reader", False)
        frame = pd.DataFrame([{k: v for k, v in row.items() if k != "path"} for row in self.rows],
                             columns=self.columns)  # fmt: skip
        for column in ("bytes", "width", "height"):
            if column in frame:
                frame[column] = frame[column].astype("Int64")
        for column in ("decoded", "refused", "outside_root", "killed_reader"):
            if column in frame:
                frame[column] = frame[column].astype("boolean").fillna(False).astype(bool)
        return frame.sort_values("file", ignore_index=True)


def image_table(layout: Layout, settings: ScanSettings | None = None,
                depth: str | None = inputs.IMAGE_SCAN) -> pd.DataFrame:  # fmt: skip
    """The image table of a release, read to `depth`, on its own."""
    settings = settings or ScanSettings()
    with Workers(settings.workers) as workers:
        return PendingImages(layout, settings, workers, depth).table()


def _import_decoders() -> None:
    """Import what decoding needs here, before the pool forks its workers: each would import
    it again otherwise (perceptual hashing pulls in scipy's FFT: a second per process)."""
    import imagehash  # noqa: F401
    import scipy.fftpack  # noqa: F401  (what imagehash.phash imports)


def _read_chunk(tasks: list[tuple[str, int, bool]]) -> list[dict]:
    return [read_image(*task) for task in tasks]


def _not_read(task: tuple[str, int, bool], how: str) -> list[dict]:
    """The row of an image whose reading killed its process twice (`how`: "killed by SIGKILL",
    ...): nothing is known of the file, which is not touched again."""
    _, _, decode = task
    found: dict = dict.fromkeys(HEADER_FIELDS + (DECODE_FIELDS if decode else ()))
    reason = f"killed the process reading it, twice ({how}): not read"
    found.update(refused=False, header_error=reason, killed_reader=True)
    if decode:
        found.update(decoded=False, decode_error=reason)
    return [found]


def _listing(layout: Layout):
    if layout.images_dir is None:
        return
    folders = {layout.fractured_dir: "fractured", layout.non_fractured_dir: "non_fractured"}
    prefix = len(str(layout.root)) + 1  # the walk yields paths under the root, as strings
    for directory, entries in _walk(layout.images_dir, layout.note_unreadable):
        folder = folders.get(directory, "other")
        for entry in entries:
            outside = entry.is_symlink() and not inside(Path(entry.path), layout.root)
            yield {"image_id": entry.name, "file": entry.path[prefix:].replace(os.sep, "/"),
                   "folder": folder, "outside_root": outside, "path": entry.path}  # fmt: skip


def _walk(folder: Path, unreadable=None):
    """(folder, its file entries) for the folder and every sub-folder, links not followed;
    `unreadable(folder, error)` for a folder that cannot be listed."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            if unreadable is not None:
                unreadable(Path(current), error)
            continue
        files = [e for e in entries if not e.is_dir(follow_symlinks=False)]
        yield current, files
        stack.extend(Path(e.path) for e in reversed(entries) if e.is_dir(follow_symlinks=False))


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

    return tqdm(total=total, unit="image", desc="reading images", leave=False, file=sys.stderr)
