"""A published Croissant description to compare the release with (`--croissant FILE`).

What it says of the release's files: each FileObject with a SHA-256 (its file found by its
`contentUrl` from the description's folder when that lands in the release, else by its `name`,
a path relative to the release's root as `fracqa croissant` writes it), and, in a description
fracqa wrote, the inline record set `file_checksums` (every file, images included, with its
SHA-256 and size) and `record_counts` (the records of dataset.csv and of each split file).
Nothing of the release is opened here: the rules compare with the digests the other loaders
took. A file that is not a usable description (missing, not JSON, not Croissant, naming no file
with a checksum) stops the audit before it starts (BadCroissant, exit 2).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from fracqa.errors import Unusable
from fracqa.load.files import Unreadable, read_document

CROISSANT_NAMESPACE = "mlcommons.org/croissant/"
CHECKSUMS = "file_checksums"
COUNTS = "record_counts"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BadCroissant(Unusable, ValueError):
    """A --croissant file that cannot be used as a Croissant description."""


@dataclass(frozen=True)
class DescribedFile:
    """A file of the release as the description states it."""

    path: str  # relative to the release's root, POSIX
    sha256: str
    bytes: int | None = None
    where: str = ""  # what in the description states it: a FileObject, or file_checksums


@dataclass
class Description:
    """What a Croissant description says of the release's files and tables."""

    path: Path
    files: dict[str, DescribedFile] = field(default_factory=dict)  # by path
    records: dict[str, int] = field(default_factory=dict)  # table file -> its records
    lists_every_file: bool = False  # it has file_checksums: a file it does not name is new

    @property
    def label(self) -> str:
        return self.path.name


def load_description(path: Path, root: Path) -> Description:
    """Read the description at `path` of the release whose root is `root`."""
    path = Path(path)
    if not path.is_file():
        reason = "does not exist" if not path.exists() else "is not a file"
        raise BadCroissant(f"--croissant {path} {reason}")
    try:
        document = json.loads(read_document(path))
    except Unreadable as error:
        raise BadCroissant(f"--croissant {path} {error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BadCroissant(f"--croissant {path} is not JSON: {error}") from None
    except RecursionError:
        raise BadCroissant(f"--croissant {path} is not usable JSON: nested too deeply") from None
    if not isinstance(document, dict) or not _is_croissant(document):
        raise BadCroissant(f"--croissant {path} is not a Croissant description (a JSON-LD "
                           f"sc:Dataset whose conformsTo names http://mlcommons.org/croissant/"
                           f"1.0 or 1.1)")  # fmt: skip
    description = Description(path)
    base = Path(os.path.abspath(path)).parent
    for entry in _list(document.get("distribution")):
        if isinstance(entry, dict) and _is_type(entry, "FileObject"):
            _file_object(entry, base, Path(root).resolve(), description)
    for record_set in _list(document.get("recordSet")):
        if not isinstance(record_set, dict):
            continue
        if record_set.get("@id") == CHECKSUMS:
            _checksums(record_set, description)
        elif record_set.get("@id") == COUNTS:
            _counts(record_set, description)
    if not description.files:
        raise BadCroissant(f"--croissant {path} names no file with a SHA-256: there is nothing "
                           "to compare the release with")  # fmt: skip
    return description


def _is_croissant(document: dict) -> bool:
    conforms = document.get("conformsTo", document.get("dct:conformsTo"))
    named = [c for c in _list(conforms) if isinstance(c, str)]
    core = [c for c in named if CROISSANT_NAMESPACE in c and "/RAI/" not in c]
    return bool(core) and _is_type(document, "Dataset")


def _is_type(entry: dict, kind: str) -> bool:
    types = [t for t in _list(entry.get("@type")) if isinstance(t, str)]
    return any(t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == kind for t in types)


def _list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _file_object(entry: dict, base: Path, root: Path, description: Description) -> None:
    digest = entry.get("sha256")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
        return
    release_path = _from_url(entry.get("contentUrl"), base, root) or _relative(entry.get("name"))
    if release_path is None:
        return
    description.files[release_path] = DescribedFile(
        release_path, digest.lower(), _size(entry.get("contentSize")),
        f"FileObject {entry.get('@id') or release_path}")  # fmt: skip


def _from_url(url, base: Path, root: Path) -> str | None:
    """The path relative to `root` that a relative contentUrl names from `base`, when it lies
    within the release; None otherwise (a URL, or a path elsewhere)."""
    if not isinstance(url, str) or not url or urlparse(url).scheme:
        return None
    target = Path(os.path.normpath(base / url))
    try:
        return target.relative_to(root).as_posix()
    except ValueError:
        return None


def _relative(name) -> str | None:
    """`name` as a path relative to the release's root, when it is one."""
    if not isinstance(name, str) or not name or urlparse(name).scheme:
        return None
    clean = posixpath.normpath(name.replace("\\", "/"))
    if clean.startswith(("/", "../")) or clean in (".", ".."):
        return None
    return clean


def _size(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*(B|bytes?)?\s*", value)
        return int(match.group(1)) if match else None
    return None


def _rows(record_set: dict) -> list[dict]:
    return [row for row in _list(record_set.get("data")) if isinstance(row, dict)]


def _checksums(record_set: dict, description: Description) -> None:
    description.lists_every_file = True
    for row in _rows(record_set):
        path = _relative(row.get(f"{CHECKSUMS}/path"))
        digest = row.get(f"{CHECKSUMS}/sha256")
        if path is None or not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
            continue
        if path not in description.files:
            description.files[path] = DescribedFile(path, digest.lower(),
                                                    _size(row.get(f"{CHECKSUMS}/bytes")),
                                                    f"record set {CHECKSUMS}")  # fmt: skip


def _counts(record_set: dict, description: Description) -> None:
    for row in _rows(record_set):
        path, records = _relative(row.get(f"{COUNTS}/file")), row.get(f"{COUNTS}/records")
        if path is not None and isinstance(records, int) and not isinstance(records, bool):
            description.records[path] = records
