"""Reading a file of the release: read-only, whole, and refused above a size limit."""

from __future__ import annotations

from pathlib import Path

MAX_DOCUMENT_BYTES = 512 * 1024 * 1024  # a JSON, CSV or XML file larger than this is refused


class Unreadable(Exception):
    """The file could not be read; the message says why, in words for a finding."""


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
    data = read_document(path, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(f"is not UTF-8 text (byte {error.start})") from None
