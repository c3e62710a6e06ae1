"""Counts: every fractured image is annotated in every format with fracture_count instances,
and no non-fractured image is annotated at all."""

from __future__ import annotations

from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.checks.annotation_facts import FORMATS, instances, label, labels
from fracqa.inputs import ANNOTATION_FORMATS, COCO, CSV, VGG, VOC, YOLO
from fracqa.model import Hit
from fracqa.release import Release


def _counts(release: Release) -> dict[tuple[str, str], int]:
    """(format, image_id) -> number of instances, malformed ones included."""
    def compute():
        table = instances(release)
        return table.groupby(["format", "image_id"]).size().to_dict()

    return release.derived("instance-counts", compute, uses=ANNOTATION_FORMATS)


def _entered(release: Release, fmt: str) -> set[str]:
    """Images the format speaks of: a COCO image entry, a VGG entry, a YOLO or VOC file,
    readable or not."""
    entries = release.annotations.entries
    source = release.annotations.sources[fmt]
    return set(entries.loc[entries["format"] == fmt, "image_id"]) | source.unreadable_images


@rule("CSV003", "fracture-count-mismatch", "csv", "error",
      "fracture_count differs from the instances annotated in a format",
      needs=(CSV, COCO, VGG, YOLO, VOC))  # fmt: skip
def fracture_count_mismatch(release: Release) -> Iterator[Hit]:
    """For a fractured image, the number of instances in COCO, VGG, YOLO or VOC differs from
    dataset.csv's fracture_count.

    Why: either a fracture is labelled but not outlined (a detector is taught to miss it) or
    outlined but not counted; which format you train on changes what the model learns.
    Fix: compare the formats on the image, restore the missing instance or remove the extra one,
    and set fracture_count to the true number.
    """
    counts = _counts(release)
    fractured = labels(release)
    fractured = fractured[fractured["fractured"] == 1]
    for fmt in FORMATS:
        if not release.annotations.readable(fmt):
            continue
        entered = _entered(release, fmt) - release.annotations.sources[fmt].unreadable_images
        for row in fractured[fractured["image_id"].isin(entered)].itertuples(index=False):
            found = counts.get((fmt, row.image_id), 0)
            if found != row.fracture_count:
                noun = "instance" if found == 1 else "instances"
                yield Hit(f"fracture_count is {row.fracture_count} but {label(fmt)} has {found} "
                          f"{noun}", row.image_id, release.dataset_csv.file, f"line {row.line}",
                          {"csv": int(row.fracture_count), fmt: found})  # fmt: skip


@rule("ANN009", "annotation-on-non-fractured", "annotations", "error",
      "an image labelled non-fractured has annotations",
      needs=(COCO, VGG, YOLO, VOC, CSV))  # fmt: skip
def annotation_on_non_fractured(release: Release) -> Iterator[Hit]:
    """An image with fractured=0 has an instance in some format.

    Why: the image is a negative for classification and a positive for detection; models
    trained on the two tasks learn contradictory truths about it.
    Fix: look at the image: remove the annotation, or label the image fractured with its count
    and move it to images/Fractured.
    """
    negatives = labels(release)
    negatives = set(negatives.loc[negatives["fractured"] == 0, "image_id"])
    for (fmt, image_id), found in sorted(_counts(release).items()):
        if image_id in negatives:
            rows = instances(release, fmt)
            first = rows[rows["image_id"] == image_id].iloc[0]
            yield Hit(f"{image_id} is labelled fractured=0 but {label(fmt)} annotates {found} "
                      f"instance(s) on it", image_id, first["file"], first["location"],
                      {"format": fmt, "instances": found})  # fmt: skip


@rule("ANN010", "missing-annotation-entry", "annotations", "error",
      "a fractured image is absent from a format", needs=(COCO, VGG, YOLO, VOC, CSV))  # fmt: skip
def missing_annotation_entry(release: Release) -> Iterator[Hit]:
    """A fractured image has no entry in the COCO or VGG file, or no YOLO or VOC file.
    (Non-fractured images may have empty YOLO and VOC files or none: both are normal.)

    Why: users of that format get the image without its fracture, as if it were a negative.
    Fix: regenerate the format's annotations for the image from the COCO masks.
    """
    fractured = labels(release)
    fractured = list(fractured.loc[fractured["fractured"] == 1, "image_id"])
    for fmt in FORMATS:
        if not release.annotations.readable(fmt):
            continue  # LAY003 or ANN001 already reports the whole format
        entered = _entered(release, fmt)
        folder = release.layout.annotation_dirs[fmt]
        where = release.layout.relative(folder)
        for image_id in fractured:
            if image_id not in entered:
                yield Hit(f"{image_id} is fractured but has no {label(fmt)} annotation "
                          f"({_what(fmt)})", image_id, where,
                          details={"format": fmt})  # fmt: skip


def _what(fmt: str) -> str:
    return {"coco": "no images entry", "vgg": "no entry", "yolo": "no .txt file",
            "voc": "no .xml file"}[fmt]  # fmt: skip
