"""SPL: the official split is readable, disjoint, complete for the fractured images and free of
everything else."""

from __future__ import annotations

from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.checks.annotation_facts import known_images, labels
from fracqa.inputs import CSV, IMAGE_FILES, SPLITS
from fracqa.model import Hit
from fracqa.names import spelt_otherwise
from fracqa.release import Release


@rule("SPL001", "split-file-malformed", "splits", "error",
      "a split file cannot be read or lacks its header", needs=(SPLITS,))  # fmt: skip
def split_file_malformed(release: Release) -> Iterator[Hit]:
    """A split file cannot be read, or its first line is not the header `image_id`.

    Why: loaders that expect the header drop the first image or fail; the split cannot be
    checked, so fracqa does not read the file.
    Fix: write the file as `image_id` followed by one image id per line.
    """
    yield from release.problems("SPL001")


@rule("SPL002", "split-unknown-id", "splits", "error",
      "a split lists an image the release does not have",
      needs=(SPLITS, CSV, IMAGE_FILES))  # fmt: skip
def split_unknown_id(release: Release) -> Iterator[Hit]:
    """A split file lists an id that is neither in dataset.csv nor an image file.

    Why: loaders fail on it or skip it, and the split's size is not what it claims.
    Fix: correct the id, or remove the line.
    """
    known = known_images(release)
    table = release.splits.table
    unknown = table[~table["image_id"].isin(known)]
    spelt = spelt_otherwise(unknown["image_id"], known)
    for row in unknown.itertuples(index=False):
        if row.image_id in spelt:
            meant, how = spelt[row.image_id]
            yield Hit(f"{row.file} lists {row.image_id!r}, which is {meant} written {how}: a "
                      f"reader that joins the split to the images or dataset.csv by name misses "
                      f"it", meant, row.file, f"line {row.line}",
                      {"written": row.image_id, "image": meant})  # fmt: skip
            continue
        yield Hit(f"{row.file} lists {row.image_id!r}, which is not an image of the release",
                  row.image_id, row.file, f"line {row.line}")  # fmt: skip


@rule("SPL003", "split-overlap", "splits", "error", "an image is in more than one split",
      needs=(SPLITS,))
def split_overlap(release: Release) -> Iterator[Hit]:
    """An image is listed in two or three of train, valid and test.

    Why: the model is evaluated on an image it was trained on (or tuned on): scores are inflated.
    Fix: keep the image in exactly one split (the one the published split gives).
    """
    table = release.splits.table.drop_duplicates(["image_id", "split"])
    for image_id, group in table.groupby("image_id", sort=True):
        if len(group) > 1:
            splits = list(group["split"])
            yield Hit(f"{image_id} is in {' and '.join(splits)}", image_id, group["file"].iloc[-1],
                      f"line {group['line'].iloc[-1]}", {"splits": splits})  # fmt: skip


@rule("SPL004", "split-missing-image", "splits", "error",
      "a fractured image is in no split", needs=(SPLITS, CSV, IMAGE_FILES))  # fmt: skip
def split_missing_image(release: Release) -> Iterator[Hit]:
    """A fractured image (fractured=1) is in none of train, valid and test. Checked only when
    all three split files could be read. An image a split lists under a name spelt otherwise is
    SPL002's.

    Why: the image is left out of every experiment that follows the official split, and the
    split's published sizes no longer add up.
    Fix: add the image to the split the published split gives it.
    """
    if not release.splits.complete:
        return  # LAY005 or SPL001 reports the unreadable file
    listed = set(release.splits.table["image_id"])
    if release.runs("SPL002"):  # spelt otherwise: SPL002's
        known = known_images(release)
        listed |= {meant for meant, _ in spelt_otherwise(listed - known, known).values()}
    fractured = labels(release)
    fractured = fractured[fractured["fractured"] == 1]
    for row in fractured[~fractured["image_id"].isin(listed)].itertuples(index=False):
        yield Hit(f"{row.image_id} is fractured but in no split", row.image_id,
                  release.dataset_csv.file, f"line {row.line}")  # fmt: skip


@rule("SPL005", "split-non-fractured", "splits", "error",
      "a non-fractured image is in a split", needs=(SPLITS, CSV))  # fmt: skip
def split_non_fractured(release: Release) -> Iterator[Hit]:
    """The Fracture Split holds fractured images only; a split lists an image with fractured=0.

    Why: the split is for fracture localisation; a negative in it is an image without
    annotations, which trains a detector to find nothing there (and skews the split's sizes).
    Fix: remove the image from the split, or correct its label if it is fractured.
    """
    negatives = labels(release)
    negatives = set(negatives.loc[negatives["fractured"] == 0, "image_id"])
    table = release.splits.table
    for row in table[table["image_id"].isin(negatives)].itertuples(index=False):
        yield Hit(f"{row.file} lists {row.image_id}, which is labelled fractured=0",
                  row.image_id, row.file, f"line {row.line}")  # fmt: skip


@rule("SPL006", "split-duplicate-entry", "splits", "error",
      "an image is listed twice in one split file", needs=(SPLITS,))  # fmt: skip
def split_duplicate_entry(release: Release) -> Iterator[Hit]:
    """The same id appears on two lines of one split file.

    Why: loaders that sample by line weight the image double, and the split's size is wrong.
    Fix: remove the repeated line.
    """
    table = release.splits.table
    repeated = table[table.duplicated(["image_id", "split"], keep="first")]
    for row in repeated.itertuples(index=False):
        yield Hit(f"{row.image_id} is listed again on line {row.line} of {row.file}",
                  row.image_id, row.file, f"line {row.line}")  # fmt: skip
