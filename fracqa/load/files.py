"""Reading a file of the release: read-only, whole, and refused above a size limit."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

MAX_DOCUMENT_BYTES = 512 * 1024 * 1024  # a JSON, CSV or XML file larger than this is refused


class Unreadable(Exception):
    """The file could not be read; the message says why, in words for a finding."""


def files_in(folder: Path, suffix: str) -> list[tuple[str, Path]]:
    """(name, path) of the files in `folder` whose name ends with `suffix`, sorted by name."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(suffix) and e.is_file())
    except OSError:
        return []
    return [(name, folder / name) for name in names]


def read_document(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of a text document of the release (JSON, CSV, XML, TXT)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise Unreadable(f"cannot be read: {error.strerror}") from None
    if len(data) > limit:
        raise Unreadable(f"is larger than {limit // (1024 * 1024)} MiB: refused")
    return data


def read_text(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> str:
    """A UTF-8 document (a byte-order mark is dropped)."""
    return as_text(read_document(path, limit))


def as_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(f"is not UTF-8 text (byte {error.start})") from None


# Parsed per-image files of this process, keyed by identity (an unchanged file, or a hard link
# to one, is parsed once however many audits read it).
_PARSED: dict[tuple, Any] = {}
_PARSED_LIMIT = 1_000_000


def parsed_once(path: Path, kind: str, parse: Callable[..., T], *args) -> T:
    """`parse(*args)`, or what it returned for this very file before."""
    try:
        status = os.stat(path)
    except OSError:
        return parse(*args)
    key = (kind, status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns,
           status.st_ctime_ns)  # fmt: skip
    if key not in _PARSED:
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[key] = parse(*args)
    return _PARSED[key]


def forget_parsed() -> None:
    """Drop every remembered parse (benchmarks measure a cold start with it)."""
    _PARSED.clear()
