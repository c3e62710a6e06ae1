"""The image table: every file under images/, where it sits, and what reading it found.

Files are listed without being opened. When the image headers or the image scan are asked
for, `image_scan.read_image` then reads each file once, in the worker pool, while the caller
loads the rest of the release. A link that leads outside the release is listed but never read;
a file that is another file of the release under a second name (a symbolic link to it, or a hard
link: the same inode) says which in `same_file_as`. A folder that cannot be listed is noted on
the layout (LAY010). An image whose reading kills the worker process twice (see
fracqa.workers) is not read: its row says so (`killed_reader`, IMG019) and holds nothing else
read from the file.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from pathlib import Path

import pandas as pd

from fracqa import inputs
from fracqa.config import ScanSettings
from fracqa.layout import Layout
from fracqa.load.files import inside
from fracqa.load.image_scan import (
    DECODE_FIELDS,
    HEADER_FIELDS,
    TEXT_FIELDS,
    read_image,
    read_working_view,
)
from fracqa.load.view_store import ViewBlock, ViewStore
from fracqa.workers import Workers

FILE_COLUMNS = ("image_id", "file", "folder", "outside_root", "same_file_as")
HEADER_COLUMNS = (*HEADER_FIELDS, "killed_reader")  # the reading killed its process twice
SCAN_COLUMNS = (*(f for f in DECODE_FIELDS if f != "view_hashes"), "view")  # view: its row
# in the release's ViewStore, which holds the view hashes
TEXT_COLUMNS = TEXT_FIELDS


class PendingImages:
    """The listing of images/, with the reading of its files (to `depth`: the image headers or
    the image scan; None reads nothing) under way in the worker pool. What the workers send
    back is gathered as it arrives (`_Gathered`), so that the audit holds each image's facts
    once, compactly: the table's columns, the header records that are equal held once, and the
    view hashes in one `ViewStore`."""

    def __init__(self, layout: Layout, settings: ScanSettings, workers: Workers,
                 depth: str | None = inputs.IMAGE_SCAN, ocr: bool = False):  # fmt: skip
        self.rows = list(_listing(layout))
        _same_files(self.rows, layout)
        self.columns = list(FILE_COLUMNS)
        self._readable = [row for row in self.rows if not row["outside_root"]] if depth else []
        self._chunks = None
        self.views: ViewStore | None = None
        if depth:
            decode = depth == inputs.IMAGE_SCAN
            read = HEADER_COLUMNS + (SCAN_COLUMNS if decode else ()) + (TEXT_COLUMNS if ocr else ())
            self.columns += read
            tasks = [(str(row["path"]), settings.pixel_limit, decode, ocr)
                     for row in self._readable]  # fmt: skip
            self._gathered = _Gathered(len(tasks), read, decode, self._readable,
                                       settings.pixel_limit)  # fmt: skip
            self.views = self._gathered.views
            self._chunks = workers.in_chunks(_read_chunk, tasks)
            self._chunks.add_result_callback(self._gathered.take)
            self._progress = _progress(len(tasks), settings.progress)
            self._chunks.add_done_callback(self._progress.update)

    def table(self) -> pd.DataFrame:
        """One row per file under images/: image_id (the file name), file (relative path),
        folder ("fractured", "non_fractured" or "other"), outside_root (a link leading out of
        the release), what reading the file found (image_scan.HEADER_FIELDS and
        DECODE_FIELDS), and `view`: the image's row in `self.views` (scan only)."""
        frame = pd.DataFrame([[row[name] for name in FILE_COLUMNS] for row in self.rows],
                             columns=list(FILE_COLUMNS))  # fmt: skip
        if self._chunks is not None:
            start = 0
            for part in self._chunks.results(_not_read):
                self._gathered.take(start, part)
                start += part.count
            self._progress.close()
            read = [index for index, row in enumerate(self.rows) if not row["outside_root"]]
            for name, values in self._gathered.columns().items():
                column = [None] * len(self.rows)
                for index, value in zip(read, values, strict=True):
                    column[index] = value
                frame[name] = pd.Series(column)
        for column in ("bytes", "width", "height", "view"):
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


class ScanChunk:
    """What a worker read of consecutive image files, in the form cheapest to send and keep:
    a column per field, each header record pickled (so that the main process keeps equal
    records once), and the view hashes stacked in a `ViewBlock`."""

    def __init__(self, rows: list[dict]):
        self.count = len(rows)
        views = [row.pop("view_hashes", None) for row in rows]
        self.views = ViewBlock.of(views) if any(v is not None for v in views) else None
        for row in rows:
            if row.get("header") is not None:
                row["header"] = pickle.dumps(row["header"], protocol=pickle.HIGHEST_PROTOCOL)
        names = list(rows[0]) if rows else []
        self.columns = {name: [row.get(name) for row in rows] for name in names}
        self.taken = False


class _Gathered:
    """The scan's results gathered in the main process, chunk by chunk as they arrive."""

    def __init__(self, count: int, columns: tuple[str, ...], decode: bool, rows: list[dict],
                 pixel_limit: int):  # fmt: skip
        self._values = {name: [None] * count for name in columns if name != "view_hashes"}
        self._values["killed_reader"] = [False] * count
        if decode:
            self._values["view"] = [None] * count
        self._headers: dict[bytes, dict] = {}
        self._lock = threading.Lock()
        paths = [str(row["path"]) for row in rows]
        headers = self._values["header"]
        self.views = ViewStore.empty(count, lambda row: read_working_view(
            paths[row], headers[row], pixel_limit)) if decode else None  # fmt: skip

    def take(self, start: int, chunk: ScanChunk) -> None:
        """Keep a chunk's results (rows start ... of the files read), once."""
        with self._lock:
            if chunk.taken:
                return
            chunk.taken = True
            rows = slice(start, start + chunk.count)
            for name, values in chunk.columns.items():
                if name == "header":
                    values = [self._header(value) for value in values]
                if name in self._values:
                    self._values[name][rows] = values
            if self.views is not None and chunk.views is not None:
                self.views.fill(start, chunk.views)
                self._values["view"][rows] = [start + i if present else None for i, present
                                              in enumerate(chunk.views.present)]  # fmt: skip
            chunk.columns, chunk.views = {}, None

    def _header(self, value):
        if not isinstance(value, bytes):
            return value
        if value not in self._headers:
            self._headers[value] = pickle.loads(value)
        return self._headers[value]

    def columns(self) -> dict[str, list]:
        return self._values


def _read_chunk(tasks: list[tuple[str, int, bool, bool]]) -> ScanChunk:
    return ScanChunk([read_image(*task) for task in tasks])


def _not_read(task: tuple[str, int, bool, bool], how: str) -> ScanChunk:
    """The row of an image whose reading killed its process twice (`how`: "killed by SIGKILL",
    ...): nothing is known of the file, which is not touched again."""
    _, _, decode, ocr = task
    found: dict = dict.fromkeys(HEADER_FIELDS + (DECODE_FIELDS if decode else ())
                                + (TEXT_FIELDS if ocr else ()))  # fmt: skip
    reason = f"killed the process reading it, twice ({how}): not read"
    found.update(refused=False, header_error=reason, killed_reader=True)
    if decode:
        found.update(decoded=False, decode_error=reason)
    return ScanChunk([found])


def _listing(layout: Layout):
    if layout.images_dir is None:
        return
    folders = {layout.fractured_dir: "fractured", layout.non_fractured_dir: "non_fractured"}
    prefix = len(str(layout.root)) + 1  # the walk yields paths under the root, as strings
    for directory, entries in _walk(layout.images_dir, layout.note_unreadable):
        folder = folders.get(directory, "other")
        for entry in entries:
            link = entry.is_symlink()
            outside = link and not inside(Path(entry.path), layout.root)
            yield {"image_id": entry.name, "file": entry.path[prefix:].replace(os.sep, "/"),
                   "folder": folder, "outside_root": outside, "same_file_as": None,
                   "path": entry.path, "link": link, "inode": entry.inode()}  # fmt: skip


_PRIVATE = ("path", "link", "inode")  # listing fields that are not columns of the table


def _same_files(rows: list[dict], layout: Layout) -> None:
    """Fill `same_file_as` for each file that is another file of the release under a second
    name: a symbolic link to a file inside the release, or a hard link (one inode, two names;
    every name after the first, in file order, names the first). Costs one stat per file that
    shares its inode number with another."""
    by_inode: dict[int, list[dict]] = {}
    for row in rows:
        if row["link"]:
            if not row["outside_root"]:
                row["same_file_as"] = layout.relative(Path(os.path.realpath(row["path"])))
        else:
            by_inode.setdefault(row["inode"], []).append(row)
    for group in by_inode.values():
        if len(group) < 2:
            continue
        same: dict[tuple[int, int], list[dict]] = {}
        for row in group:
            try:
                status = os.stat(row["path"], follow_symlinks=False)
            except OSError:
                continue
            same.setdefault((status.st_dev, status.st_ino), []).append(row)
        for names in same.values():
            names.sort(key=lambda r: r["file"])
            for row in names[1:]:
                row["same_file_as"] = names[0]["file"]


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
