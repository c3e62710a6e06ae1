"""The full-size replica, built once per version of its builder and shared by every test run and
every pytest-xdist worker on the machine.

The replica (4,083 images, about 130 MB) lives in ``$FRACQA_REPLICA_CACHE`` or, without it,
the system's temporary folder, in ``fracqa-replica-<uid>-<digest>/FracAtlas``, where the digest
covers the fixture builder's sources (its modules and fixtures/reference/*) and the versions of
the libraries that draw its pixels. The first process to need it builds it in a temporary
sibling folder and renames that into place under an exclusive lock (fcntl.flock), after writing
its marker file last; every other process waits for the lock and reuses it.

The marker records what the replica was built as: the SHA-256 of each release-wide file
(dataset.csv, the JSON files, the split lists) and the size and modification time of every file.
Tests never write into the shared replica: they clone it (fixtures.defects.clone_release
hard-links the per-image files, and planters replace a file rather than write into it).
`changes` says what no longer matches the marker; a replica that changed is rebuilt by the next
process that asks for it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy
import PIL

from fixtures.writer import RELEASE_NAME

CACHE_ENV = "FRACQA_REPLICA_CACHE"
MARKER = "complete.json"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PER_IMAGE_TOP = "images"


BUILDER_MODULES = ("spec.py", "writer.py", "imagery.py")  # what write_release(full_spec()) runs


def builder_sources() -> list[Path]:
    """The files the replica is made from: the builder's code and its reference tables (not
    the defect planters, which only ever write into clones)."""
    reference = (path for path in (FIXTURES / "reference").rglob("*") if path.is_file())
    return sorted([*(FIXTURES / name for name in BUILDER_MODULES), *reference])


def builder_digest() -> str:
    """A digest of the builder's sources and of the libraries that write the pixels."""
    digest = hashlib.sha256()
    for path in builder_sources():
        digest.update(path.relative_to(FIXTURES).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    versions = f"python {sys.version_info[:2]} numpy {numpy.__version__} Pillow {PIL.__version__}"
    digest.update(versions.encode())
    return digest.hexdigest()[:16]


def cache_parent() -> Path:
    return Path(os.environ.get(CACHE_ENV) or tempfile.gettempdir())


def shared_replica(build: Callable[[Path], Path]) -> Path:
    """The root of the shared replica; ``build(dest)`` writes ``dest/FracAtlas`` when no complete
    and unchanged replica of this builder version exists yet."""
    parent = cache_parent()
    parent.mkdir(parents=True, exist_ok=True)
    name = f"fracqa-replica-{os.getuid()}-{builder_digest()}"  # per user: /tmp is shared
    folder = parent / name
    with _locked(parent / f"{name}.lock"):
        if (folder / MARKER).is_file() and not changes(folder / RELEASE_NAME):
            return folder / RELEASE_NAME
        for leftover in [*parent.glob(f"{name}.building-*"), *parent.glob(f"{name}.stale-*")]:
            shutil.rmtree(leftover, ignore_errors=True)  # builds that never finished
        if folder.exists():  # incomplete or changed: moved aside, then removed
            stale = Path(tempfile.mkdtemp(prefix=f"{name}.stale-", dir=parent))
            os.rename(folder, stale / "replica")
            shutil.rmtree(stale, ignore_errors=True)
        building = Path(tempfile.mkdtemp(prefix=f"{name}.building-", dir=parent))
        root = build(building)
        if root != building / RELEASE_NAME:
            raise RuntimeError(f"the replica builder wrote {root}, not {building / RELEASE_NAME}")
        marker = json.dumps(fingerprint(root), indent=0, sort_keys=True)
        (building / MARKER).write_text(marker, encoding="utf-8")  # last: the build is complete
        os.rename(building, folder)
    return folder / RELEASE_NAME


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _per_image(relative: Path) -> bool:
    return relative.parts[0] == PER_IMAGE_TOP or relative.parent.name in ("YOLO", "PASCAL VOC")


def fingerprint(root: Path) -> dict:
    """SHA-256 of every release-wide file; size and modification time of every file (a write
    into a hard-linked image changes both the shared inode's mtime and the clone's)."""
    digests, stats = {}, {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            relative = path.relative_to(root)
            stat = path.lstat()
            stats[relative.as_posix()] = [stat.st_size, stat.st_mtime_ns]
            if not _per_image(relative):
                digests[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"digests": digests, "stats": stats}


def recorded(root: Path) -> dict:
    """The fingerprint the replica at ``root`` was built with."""
    return json.loads((Path(root).parent / MARKER).read_text(encoding="utf-8"))


def changes(root: Path) -> list[str]:
    """What differs between the replica at ``root`` and its marker (empty: nothing)."""
    try:
        before = recorded(root)
    except (OSError, ValueError):
        return ["the marker file is missing or unreadable"]
    now = fingerprint(root)
    found = [f"{path}: removed" for path in sorted(before["stats"].keys() - now["stats"].keys())]
    found += [f"{path}: added" for path in sorted(now["stats"].keys() - before["stats"].keys())]
    for path, digest in sorted(before["digests"].items()):
        if now["digests"].get(path, digest) != digest:
            found.append(f"{path}: content changed")
    for path, stat in sorted(before["stats"].items()):
        if path not in before["digests"] and now["stats"].get(path, stat) != stat:
            found.append(f"{path}: size or modification time changed")
    return found
