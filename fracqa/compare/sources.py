"""Whether a source (dataset.csv, an annotation format) can be compared: it must be readable
in both versions."""

from __future__ import annotations

from collections.abc import Callable

from fracqa.release import Release


def unreadable(old: Release, new: Release, readable: Callable[[Release], bool]) -> str | None:
    """Why a source cannot be compared (`readable` fails in either version), else None."""
    sides = [side for side, release in (("old", old), ("new", new)) if not readable(release)]
    return f"unreadable or missing in {' and '.join(sides)}" if sides else None


def csv_readable(release: Release) -> bool:
    """dataset.csv was read and has an image_id column."""
    rows = release.dataset_csv.rows if release.dataset_csv else None
    return rows is not None and "image_id" in rows


def format_readable(release: Release, fmt: str) -> bool:
    """The annotation format `fmt` was read."""
    return release.annotations.readable(fmt)
