"""LAY, IMG: what of the release could not be read at all: a folder that cannot be listed, an
image file that cannot be opened, an image whose reading kills the process reading it."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fracqa.catalogue import rule
from fracqa.inputs import IMAGE_HEADERS
from fracqa.model import Hit
from fracqa.release import Release


@rule("LAY010", "unreadable-part", "layout", "error", "a folder of the release cannot be read")
def unreadable_part(release: Release) -> Iterator[Hit]:
    """A folder of the release exists but cannot be listed (its permissions, a broken mount):
    nothing in it is audited, and what it holds is neither reported missing nor checked.

    Why: whoever builds on the release hits the same wall: a loader sees an empty folder and
    trains on a release without those images or annotations, silently.
    Fix: make the folder readable (`chmod -R a+rX`, or fix the mount), then audit again.
    """
    for note in release.layout.notes:
        if note.kind == "unreadable":
            yield Hit(note.message, file=note.path, details={"folder": note.path})


def _read(release: Release) -> pd.DataFrame:
    """The image files fracqa tried to read: not those behind a link out of the release."""
    images = release.images
    return images[~images["outside_root"]]


@rule("IMG017", "image-unreadable", "images", "error", "an image file cannot be read",
      needs=(IMAGE_HEADERS,))
def image_unreadable(release: Release) -> Iterator[Hit]:
    """An image file under images/ cannot be opened or read (its permissions, an I/O error);
    nothing of it is known.

    Why: every loader fails on it the same way; the radiograph is effectively missing while its
    labels and annotations remain.
    Fix: make the file readable (`chmod a+r`), or restore it from the source export.
    """
    images = _read(release)
    unread = images[images["bytes"].isna() & images["header_error"].notna()
                    & ~images["killed_reader"]]  # fmt: skip
    for image in unread.itertuples(index=False):
        yield Hit(f"{image.file} {image.header_error}", image.image_id, image.file,
                  details={"error": image.header_error})  # fmt: skip


@rule("IMG019", "image-kills-reader", "images", "error",
      "reading an image kills the process that reads it", needs=(IMAGE_HEADERS,))  # fmt: skip
def image_kills_reader(release: Release) -> Iterator[Hit]:
    """Reading an image killed the worker process reading it, and killed it again when it was
    read alone: the out-of-memory killer ending a process that decodes a hostile file, or a
    crash of the decoder. The image is not read any further; the rest of the audit goes on.

    Why: every training loader that opens it dies the same way (or brings down its machine);
    such a file is corrupt or crafted, not a radiograph.
    Fix: replace the file with the real radiograph from the source export, and check how the
    one published was made.
    """
    images = _read(release)
    for image in images[images["killed_reader"]].itertuples(index=False):
        yield Hit(f"{image.file} {image.header_error}", image.image_id, image.file,
                  details={"error": image.header_error})  # fmt: skip
