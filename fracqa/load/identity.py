"""The release's identity for the report: content digests of dataset.csv, of each annotation
format (over every file its loader read) and of the images (from the scan), so that an audit
names exactly which release it judged. Nothing is read again for it."""

from __future__ import annotations

import hashlib

from fracqa.layout import ANNOTATION_FORMATS


def release_identity(release) -> dict:
    """The digests of what the audit read; None for a part it did not read (not asked for by
    the rules that ran, or missing)."""
    return {
        "dataset.csv": release.dataset_csv.sha256 if release.dataset_csv else None,
        "annotations": {fmt: release.annotations.digest(fmt) for fmt in ANNOTATION_FORMATS},
        "images": _images_digest(release.images),
    }


def _images_digest(images) -> str | None:
    if "sha256" not in images:
        return None
    digest = hashlib.sha256()
    for row in images.sort_values("file")[["file", "sha256"]].itertuples(index=False):
        digest.update(f"{row.file}\0{row.sha256}\n".encode())
    return digest.hexdigest()
