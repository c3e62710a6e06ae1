"""Counts: every fractured image is annotated in every format with fracture_count instances,
and no non-fractured image is annotated at all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.checks.annotation_extras import explained
from fracqa.checks.annotation_facts import FORMATS, instances, known_images, label, labels
from fracqa.checks.annotation_votes import listing
from fracqa.checks.reader_structure import folder_named
from fracqa.inputs import ANNOTATION_FORMATS, COCO, CSV, IMAGE_FILES, VGG, VOC, YOLO
from fracqa.model import Hit
from fracqa.names import spelt_otherwise
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
    dataset.csv's fracture_count. Each image is one finding, whatever the number of formats
    that disagree, and fracture_count and the formats vote: when fracture_count and most
    formats agree, the finding names the file of the format that departs from them (the first
    in the conversion chain COCO, VGG, YOLO, VOC, listing the others); when the formats agree
    with each other against fracture_count, or no majority agrees, it names dataset.csv.
    Instances that are no fracture of their own are not counted where leaving them out makes
    every format agree with fracture_count: an object written again in place in one format
    (ANN029, ANN032) or an outline of fewer than three points with the boxes drawn on it
    (ANN011); the finding about them says that the count is right.

    Why: either a fracture is labelled but not outlined (a detector is taught to miss it) or
    outlined but not counted; which format you train on changes what the model learns.
    Fix: compare the formats on the image, restore the missing instance or remove the extra one,
    and set fracture_count to the true number.
    """
    counts = _counts(release)
    fractured = labels(release)
    fractured = fractured[fractured["fractured"] == 1]
    formats = [f for f in FORMATS if release.annotations.readable(f)]
    entered = {fmt: _entered(release, fmt) - release.annotations.sources[fmt].unreadable_images
               for fmt in formats}  # fmt: skip
    mismatches = []
    for row in fractured.itertuples(index=False):
        image_id, stated = row.image_id, int(row.fracture_count)
        found = {fmt: counts.get((fmt, image_id), 0) for fmt in formats
                 if image_id in entered[fmt]}  # fmt: skip
        odd = [fmt for fmt, count in found.items() if count != stated]
        if odd and not explained(release, image_id, stated, found):
            mismatches.append((row, stated, found, odd))
    places = _places(release, {row.image_id for row, *_ in mismatches})
    for row, stated, found, odd in mismatches:
        yield _count_mismatch(release, row, stated, found, odd, places)


def _count_mismatch(release: Release, row, stated: int, found: dict[str, int], odd: list[str],
                    places: dict) -> Hit:  # fmt: skip
    """One finding for the image, blamed on the file the votes point to."""
    tally = Counter([stated, *found.values()])
    value, votes = tally.most_common(1)[0]
    majority = value if votes > (len(found) + 1) / 2 else None
    csv_file, csv_location = release.dataset_csv.file, f"line {row.line}"
    agreeing = [fmt for fmt in found if fmt not in odd]
    if majority == stated:
        blamed = odd[0]
        file, location = places.get((blamed, row.image_id), (None, None))
        file = file or release.layout.relative(release.layout.annotation_dirs[blamed])
        differing = _say(found, odd)
        message = f"fracture_count is {stated} but {differing}"
        if agreeing:
            message += f" ({listing(agreeing)} {_have(agreeing)} {stated})"
    else:
        file, location = csv_file, csv_location
        message = f"fracture_count is {stated} but {_say(found, odd)}"
        if majority is None:
            agree = f"; {listing(agreeing)} {_have(agreeing)} {stated}" if agreeing else ""
            message += f"{agree}: no majority decides which is right"
    files = [file, *(places.get((f, row.image_id), (None,))[0] for f in odd), csv_file]
    return Hit(message, row.image_id, file, location,
               {"csv": stated, **found, "disagreeing": odd, "majority": majority,
                "csv_line": int(row.line),
                "files": [f for f in dict.fromkeys(files) if f]})  # fmt: skip


def _say(found: dict[str, int], formats: list[str]) -> str:
    """'VGG has 1 instance', 'YOLO and VOC have 1 instance', 'COCO has 3 instances and VOC
    has 1 instance'."""
    by_count: dict[int, list[str]] = {}
    for fmt in formats:
        by_count.setdefault(found[fmt], []).append(fmt)
    return " and ".join(f"{listing(group)} {_have(group)} {count} "
                        f"{'instance' if count == 1 else 'instances'}"
                        for count, group in by_count.items())  # fmt: skip


def _have(formats: list[str]) -> str:
    return "has" if len(formats) == 1 else "have"


def _places(release: Release, images: set[str]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(format, image_id) -> the file and location of the entry of each of `images` in each
    format."""
    entries = release.annotations.entries
    entries = entries[entries["image_id"].isin(images)]
    places: dict[tuple[str, str], tuple[str, str | None]] = {}
    for entry in entries.itertuples(index=False):
        location = entry.location if isinstance(entry.location, str) else None
        places.setdefault((entry.format, entry.image_id), (entry.file, location))
    return places


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
      "a fractured image is absent from a format",
      needs=(COCO, VGG, YOLO, VOC, CSV, IMAGE_FILES))  # fmt: skip
def missing_annotation_entry(release: Release) -> Iterator[Hit]:
    """A fractured image has no entry in the COCO or VGG file, or no YOLO or VOC file.
    (Non-fractured images may have empty YOLO and VOC files or none: both are normal.) An entry
    that names the image with a folder in front of it is ANN025's, one that spells its name
    otherwise ANN006's: each says that a join by file name misses it.

    Why: users of that format get the image without its fracture, as if it were a negative.
    Fix: regenerate the format's annotations for the image from the COCO masks.
    """
    fractured = labels(release)
    fractured = list(fractured.loc[fractured["fractured"] == 1, "image_id"])
    elsewhere = _named_otherwise(release)
    for fmt in FORMATS:
        if not release.annotations.readable(fmt):
            continue  # LAY003 or ANN001 already reports the whole format
        entered = _entered(release, fmt)
        folder = release.layout.annotation_dirs[fmt]
        where = release.layout.relative(folder)
        for image_id in fractured:
            if image_id not in entered and (fmt, image_id) not in elsewhere:
                yield Hit(f"{image_id} is fractured but has no {label(fmt)} annotation "
                          f"({_what(fmt)})", image_id, where,
                          details={"format": fmt})  # fmt: skip


def _named_otherwise(release: Release) -> set[tuple[str, str]]:
    """(format, image) for the images a format enters under a name with a folder in front of
    it (ANN025) or spelt otherwise (ANN006), when those rules run: they say that a reader that
    matches names misses the image, which is then not reported again as absent."""
    found = set()
    if release.runs("ANN025"):
        found |= {(fmt, base) for (fmt, _), base in folder_named(release).items()}
    if release.runs("ANN006"):
        known = known_images(release)
        entries = release.annotations.entries
        spelt = spelt_otherwise(entries.loc[~entries["image_id"].isin(known), "image_id"], known)
        found |= {(fmt, spelt[name][0]) for fmt, name
                  in entries[["format", "image_id"]].itertuples(index=False) if name in spelt}
    return found


def _what(fmt: str) -> str:
    return {"coco": "no images entry", "vgg": "no entry", "yolo": "no .txt file",
            "voc": "no .xml file"}[fmt]  # fmt: skip
