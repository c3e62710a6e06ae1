"""Reading a file of the release: read-only, whole, and refused above a size limit."""

from __future__ import annotations

import os
import re
from pathlib import Path

MAX_DOCUMENT_BYTES = 512 * 1024 * 1024  # a JSON, CSV or XML file larger than this is refused
BOM = b"\xef\xbb\xbf"  # the UTF-8 byte-order mark


class Unreadable(Exception):
    """The file could not be read; the message says why, in words for a finding."""


def files_in(folder: Path, suffix: str, root: Path | None = None) -> list[tuple[str, str]]:
    """(name, path) of the files in `folder` whose name ends with `suffix` (in lower case: the
    release's own spelling, or in any other case, which LAY008 reports: fracqa reads such a file
    so that the rest of the audit stays true, a reader on a case-sensitive file system does
    not; but not beside a file of the same name spelt with `suffix`, see `stray_twin`), sorted
    by name; a link that leads outside `root` is left out (the layout rules report it). Paths
    are strings: a release has thousands of these files, and pathlib's objects cost more than
    reading them."""
    try:
        with os.scandir(folder) as entries:
            found = sorted((e.name, e.path, e.is_symlink()) for e in entries
                           if e.name.lower().endswith(suffix) and e.is_file())  # fmt: skip
    except OSError:
        return []
    names = {name for name, _, _ in found}
    return [(name, path) for name, path, link in found
            if not (link and root and not inside(Path(path), root))
            and not stray_twin(name, suffix, names)]  # fmt: skip


def stray_twin(name: str, suffix: str, names: set[str]) -> bool:
    """True when `name` ends with `suffix` in another case (`IMG0000019.TXT`) beside a file of
    the same name with the suffix as written (`IMG0000019.txt`): that one is the file readers
    open on a case-sensitive file system, and fracqa reads it alone (LAY008 reports the twin)."""
    return not name.endswith(suffix) and f"{name[:-len(suffix)]}{suffix}" in names


def links_out(folder: Path | None, root: Path) -> list[Path]:
    """The files of `folder` that are links leading outside `root`."""
    if folder is None:
        return []
    try:
        with os.scandir(folder) as entries:
            links = sorted(Path(e.path) for e in entries if e.is_symlink())
    except OSError:
        return []
    return [path for path in links if not inside(path, root)]


def inside(path: Path, root: Path) -> bool:
    """True when `path`, links resolved, lies within `root`."""
    target = Path(os.path.realpath(path))
    return target == root or root in target.parents


def read_document(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a text document of the release (JSON, CSV, XML, TXT), refused above
    `limit` (MAX_DOCUMENT_BYTES by default) without reading further."""
    limit = limit or MAX_DOCUMENT_BYTES
    try:
        with open(path, "rb") as handle:
            # Asked for `limit + 1` bytes, Python allocates that much first: ask for the
            # file's size (one more, to see a file that grew past the limit meanwhile).
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(size, limit) + 1)
    except OSError as error:
        raise Unreadable(f"cannot be read: {error.strerror}") from None
    if len(data) > limit:
        raise Unreadable(f"is larger than {limit // (1024 * 1024)} MiB: refused")
    return data


def read_text(path: Path, limit: int | None = None) -> str:
    """A UTF-8 document (a byte-order mark is dropped: the caller that reads it with
    `read_document` and `as_text` sees it with `data.startswith(BOM)` and reports it)."""
    return as_text(read_document(path, limit))


def as_text(data: bytes) -> str:
    """The UTF-8 text of `data`, a leading byte-order mark dropped. A plain reader (Python's
    `open()`, json.load, the YOLO trainers) keeps the mark as the character U+FEFF: every
    loader that reads text checks `data.startswith(BOM)` and records it as a problem."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(f"is not UTF-8 text (byte {error.start})") from None


_LINE_END = re.compile(r"\r\n|\r|\n")


def text_lines(text: str) -> list[str]:
    """The lines of `text`, ended at CR, LF or CRLF only, as open() in text mode, pandas, the
    csv module and C's line readers end them; str.splitlines() also ends a line at a form
    feed, a vertical tab, \\x1c-\\x1e, \\x85, U+2028 and U+2029, which those readers keep in
    the line."""
    lines = _LINE_END.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines
