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


def file_digests(dataset_csv, annotations, splits, images) -> dict[str, str]:
    """SHA-256 of every file of the release that the loaders read, by its path relative to the
    root: dataset.csv, each annotation file, each split file and (with the image headers) each
    image. Each is the digest the loader took of the bytes it read; nothing is read again."""
    found: dict[str, str] = {}
    if dataset_csv is not None and dataset_csv.sha256:
        found[dataset_csv.file] = dataset_csv.sha256
    for source in annotations.sources.values():
        found.update(source.digests)
    found.update(splits.digests)
    if "sha256" in images:
        known = images[images["sha256"].notna() & ~images["outside_root"].astype(bool)]
        found.update(zip(known["file"], known["sha256"], strict=True))
    return dict(sorted(found.items()))


def record_counts(dataset_csv, splits) -> dict[str, int]:
    """The records of each table of the release: dataset.csv's rows and each split file's ids."""
    counts: dict[str, int] = {}
    if dataset_csv is not None and dataset_csv.rows is not None:
        counts[dataset_csv.file] = len(dataset_csv.rows)
    for file in splits.digests:
        counts[file] = int((splits.table["file"] == file).sum())
    return counts
