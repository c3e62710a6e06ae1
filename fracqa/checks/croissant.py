"""The release against a published Croissant description of it (`--croissant FILE`): every file
the description names is present with its SHA-256, and the records of its tables agree. The
rules run only when a description is given; each finding names the file that differs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from fracqa.catalogue import rule
from fracqa.inputs import COCO, CROISSANT, CSV, IMAGE_HEADERS, SPLITS, VGG, VOC, YOLO
from fracqa.load.identity import file_digests, record_counts
from fracqa.model import Hit

_READS = ("croissant digests", (CROISSANT, CSV, SPLITS, IMAGE_HEADERS, COCO, VGG, YOLO, VOC))


def _release_files(release) -> tuple[dict[str, str], dict[str, int]]:
    """Every file's SHA-256 (as the loaders took it) and each table's records, computed once
    for the three rules."""
    key, uses = _READS
    return release.derived(key, lambda: (
        file_digests(release.dataset_csv, release.annotations, release.splits, release.images),
        record_counts(release.dataset_csv, release.splits)), uses=uses)  # fmt: skip


def _image_id(path: str) -> str | None:
    """The image a path names, when it is an image file."""
    name = PurePosixPath(path)
    return name.name if name.suffix.lower() in (".jpg", ".jpeg") else None


def _records(count: int) -> str:
    return f"{count} record{'' if count == 1 else 's'}"


def _short(digest: str) -> str:
    return digest[:12]


@rule("CRO001", "croissant-file-missing", "croissant", "error",
      "a file the Croissant description names is not in the release",
      needs=(CROISSANT, CSV, SPLITS, IMAGE_HEADERS, COCO, VGG, YOLO, VOC))
def croissant_file_missing(release) -> Iterator[Hit]:
    """Every file the published Croissant description names (a FileObject with a SHA-256, or
    an entry of its `file_checksums` record set, as `fracqa croissant` writes it) must be in
    the release, where the description says, and readable.

    Why: a copy missing a file is not the release that was published: an image gone from a
    class folder, a split file or an annotation format lost in a transfer changes what a model
    trains and is evaluated on, silently.
    Fix: restore the file from the published release (its SHA-256 is in the description), or,
    if the release was changed on purpose, write and publish a new description
    (`fracqa croissant ROOT -o croissant.json`).
    """
    description = release.croissant
    if description is None:
        return
    digests, _ = _release_files(release)
    for path, described in sorted(description.files.items()):
        if path not in digests:
            yield Hit(f"{path} is named by {description.label} ({described.where}, SHA-256 "
                      f"{_short(described.sha256)}...) but is not in the release, or could not "
                      f"be read", _image_id(path), path,
                      details={"description": description.label,
                               "sha256": described.sha256})  # fmt: skip


@rule("CRO002", "croissant-checksum-mismatch", "croissant", "error",
      "a file differs from the one the Croissant description names",
      needs=(CROISSANT, CSV, SPLITS, IMAGE_HEADERS, COCO, VGG, YOLO, VOC))
def croissant_checksum_mismatch(release) -> Iterator[Hit]:
    """Every file of the release that the published Croissant description names must have the
    SHA-256 the description gives it; for dataset.csv and the split files the finding also
    says whether their records (rows, split sizes) still agree with the description's
    `record_counts`.

    Why: one replaced image, one edited label or one dropped split entry makes a different
    dataset under the same name: results computed on the copy are not comparable with those
    of the published release, and nothing else shows it.
    Fix: replace the file with the published one (its SHA-256 is in the description), or, if
    the change is intended, publish a new version with a new description
    (`fracqa croissant ROOT -o croissant.json`).
    """
    description = release.croissant
    if description is None:
        return
    digests, counts = _release_files(release)
    for path, described in sorted(description.files.items()):
        found = digests.get(path)
        if found is None or found == described.sha256:
            continue
        message = (f"{path} differs from the file {description.label} describes: SHA-256 "
                   f"{_short(found)}... where the description has {_short(described.sha256)}...")
        details = {"description": description.label, "sha256": found,
                   "described_sha256": described.sha256}  # fmt: skip
        published, now = description.records.get(path), counts.get(path)
        if published is not None and now is not None:
            details.update(records=now, described_records=published)
            message += (f"; {_records(now)} where the description has {published}"
                        if now != published else f"; its {_records(now)} are as many as described")
        yield Hit(message, _image_id(path), path, details=details)


@rule("CRO003", "croissant-unlisted-file", "croissant", "warning",
      "a file of the release is not in the Croissant description",
      needs=(CROISSANT, CSV, SPLITS, IMAGE_HEADERS, COCO, VGG, YOLO, VOC))
def croissant_unlisted_file(release) -> Iterator[Hit]:
    """A description that lists every file of the release (the `file_checksums` record set
    `fracqa croissant` writes) must name every image, annotation and split file fracqa reads
    in the release.

    Why: a file added to a copy (an image in a class folder, a YOLO label) is read by training
    code and changes the data, though every file the description names is intact.
    Fix: remove the file from the copy, or publish a new description that includes it.
    """
    description = release.croissant
    if description is None or not description.lists_every_file:
        return
    digests, _ = _release_files(release)
    for path, digest in digests.items():
        if path not in description.files:
            yield Hit(f"{path} is in the release but not in {description.label}, which lists "
                      f"every file of the release it describes", _image_id(path), path,
                      details={"description": description.label, "sha256": digest})  # fmt: skip
