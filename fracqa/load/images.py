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
import sys
from pathlib import Path

import pandas as pd

from fracqa import inputs
from fracqa.config import ScanSettings
from fracqa.layout import Layout
from fracqa.load.files import inside
from fracqa.load.image_scan import DECODE_FIELDS, HEADER_FIELDS, read_image
from fracqa.workers import Workers

FILE_COLUMNS = ("image_id", "file", "folder", "outside_root", "same_file_as")
HEADER_COLUMNS = (*HEADER_FIELDS, "killed_reader")  # the reading killed its process twice
SCAN_COLUMNS = DECODE_FIELDS


class PendingImages:
    """The listing of images/, with the reading of its files (to `depth`: the image headers or
    the image scan; None reads nothing) under way in the worker pool."""

    def __init__(self, layout: Layout, settings: ScanSettings, workers: Workers,
                 depth: str | None = inputs.IMAGE_SCAN):  # fmt: skip
        self.rows = list(_listing(layout))
        _same_files(self.rows, layout)
        self.columns = list(FILE_COLUMNS)
        self._readable = [row for row in self.rows if not row["outside_root"]] if depth else []
        self._chunks = None
        if depth:
            decode = depth == inputs.IMAGE_SCAN
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
        frame = pd.DataFrame([{k: v for k, v in row.items() if k not in _PRIVATE}
                              for row in self.rows], columns=self.columns)  # fmt: skip
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
