"""ANN, structure: each annotation file can be read and refers to images and classes that exist."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fracqa.catalogue import rule
from fracqa.checks.annotation_facts import (
    instances,
    known_images,
    label,
    size_disagreements,
)
from fracqa.checks.reader_structure import folder_named
from fracqa.inputs import COCO, CSV, IMAGE_FILES, IMAGE_HEADERS, VGG, VOC, YOLO
from fracqa.load.annotation_table import is_integer
from fracqa.model import Hit
from fracqa.names import spelt_otherwise
from fracqa.release import Release

CLASS_NAME = "fractured"


@rule("ANN001", "annotation-unreadable", "annotations", "error",
      "an annotation file cannot be parsed", needs=(COCO, VGG, YOLO, VOC))  # fmt: skip
def annotation_unreadable(release: Release) -> Iterator[Hit]:
    """A COCO or VGG JSON file is not valid JSON or lacks its top-level structure, a VOC file
    is not well-formed XML (or declares entities, which fracqa refuses), or a YOLO file cannot
    be read as text.

    Why: a framework that loads the file fails, or loads nothing and trains on no masks; a
    truncated COCO file usually means an interrupted upload.
    Fix: re-export the file from the annotation source; the other rules still check the rest.
    """
    yield from release.problems("ANN001")


@rule("ANN002", "annotation-malformed", "annotations", "error",
      "an annotation entry lacks a field or holds a non-number",
      needs=(COCO, VGG, YOLO, VOC))  # fmt: skip
def annotation_malformed(release: Release) -> Iterator[Hit]:
    """One entry of an otherwise readable file cannot be read: a COCO annotation without id,
    bbox or polygon, a VOC object without a numeric bndbox, a VGG region without points. In
    COCO, annotations without `iscrowd` or `area`, and images entries whose width or height is
    not an integer ("373"), are one finding per file naming every entry (fracqa reads the
    entry, and the number a string holds). For a
    YOLO file, one finding names every line that is no box (a comment, a polygon, a line
    without five fields or with a value that is no number) and says what ultralytics and
    darknet make of the whole file; a comment is no instance.

    Why: loaders skip or crash on the entry, so the fracture it marks is lost silently;
    pycocotools' COCOeval.evaluate() reads `iscrowd` and `area` of every annotation and fails
    with a KeyError on the first without them, and annToRLE and frPyObjects fail on a size
    that is not an integer; a YOLO
    file with one such line is lost whole: ultralytics cannot make a table of its lines and
    leaves the image out of training as corrupt (or, for a polygon line, reads every line as a
    polygon, turning the boxes into two-point outlines), and darknet stops reading or reads
    shifted values from that line on.
    Fix: correct the entry; it still counts as an instance of its image in the count rules.
    """
    yield from release.problems("ANN002")


@rule("ANN003", "unknown-class", "annotations", "error",
      "an annotation's class is not `fractured`", needs=(COCO, YOLO, VOC))  # fmt: skip
def unknown_class(release: Release) -> Iterator[Hit]:
    """The only class of the release is `fractured`: COCO categories must be exactly that one
    and every annotation's category_id one of them; YOLO classes.txt must list `fractured` and
    every class index exist in it; every VOC object must be named `fractured`.

    Why: a detector trained with an unknown or extra class learns a label that does not exist,
    and class-filtered evaluation drops the instance.
    Fix: map the annotation to the `fractured` class (COCO category, YOLO index 0, VOC name).
    """
    yield from _coco_classes(release)
    yield from _yolo_classes(release)
    for row in instances(release, "voc", readable=True).itertuples(index=False):
        name = row.extra.get("name")
        if name != CLASS_NAME:
            yield Hit(f"{row.file} {row.location} is named {name!r}, not {CLASS_NAME!r}",
                      row.image_id, row.file, row.location, {"name": name})  # fmt: skip


def _coco_classes(release: Release) -> Iterator[Hit]:
    source = release.annotations.sources["coco"]
    by_file: dict[str, dict[int, str]] = {}
    for category in source.classes:
        by_file.setdefault(category["file"], {})[category["id"]] = category["name"]
    for file, categories in sorted(by_file.items()):
        if sorted(categories.values()) != [CLASS_NAME]:
            yield Hit(f"COCO categories are {sorted(categories.values())}, not just "
                      f"[{CLASS_NAME!r}]", None, file, "categories",
                      {"categories": categories})  # fmt: skip
    for row in instances(release, "coco").itertuples(index=False):
        category = row.extra.get("category_id")
        known = by_file.get(row.file, {})
        # pycocotools keys categories by their ids as written: "1" is not 1
        if not (is_integer(category) or isinstance(category, str)) or category not in known:
            yield Hit(f"COCO {row.location} has category_id {category!r}, which is not a "
                      "category of the file", row.image_id, row.file, row.location,
                      {"category_id": category})  # fmt: skip


def _yolo_classes(release: Release) -> Iterator[Hit]:
    source = release.annotations.sources["yolo"]
    if not source.present:
        return
    names = [c["name"] for c in source.classes]
    classes_file = f"{release.layout.relative(release.layout.annotation_dirs['yolo'])}/classes.txt"
    if names != [CLASS_NAME]:
        shown = "missing or empty" if not names else f"lists {names}"
        yield Hit(f"YOLO classes.txt is {shown}, not just {CLASS_NAME!r}", None, classes_file,
                  details={"classes": names})  # fmt: skip
    for row in instances(release, "yolo", readable=True).itertuples(index=False):
        index = row.extra.get("yolo_class")
        if index is None or index != int(index) or not 0 <= index < max(len(names), 1):
            yield Hit(f"{row.file} {row.location} has class {index:g}, not an index of "
                      "classes.txt", row.image_id, row.file, row.location,
                      {"class": index, "classes": names})  # fmt: skip


@rule("ANN004", "coco-dangling-annotation", "annotations", "error",
      "a COCO annotation points to an image id that is not listed", needs=(COCO,))  # fmt: skip
def coco_dangling_annotation(release: Release) -> Iterator[Hit]:
    """A COCO annotation's image_id is not the id of any entry of the file's images list.

    Why: the mask belongs to no image; COCO loaders drop it or fail, and the fracture it marks
    is lost from training and evaluation.
    Fix: point the annotation at the right image id, or add the missing images entry.
    """
    entries = release.annotations.entries
    listed: dict[str, dict[str, object]] = {}  # file -> str(id) -> the id as written
    for entry in entries[entries["format"] == "coco"].itertuples(index=False):
        listed.setdefault(entry.file, {})[str(entry.extra.get("coco_id"))] = entry.extra.get(
            "coco_id")
    for row in instances(release, "coco").itertuples(index=False):
        if row.image_id is None or pd.isna(row.image_id):
            coco_id = row.extra.get("coco_image_id")
            other = listed.get(row.file, {}).get(str(coco_id))
            typed = (f" (it lists {other!r}: pycocotools matches ids as written, and "
                     f"{coco_id!r} is not {other!r})" if other is not None else "")  # fmt: skip
            yield Hit(f"COCO {row.location} points to image id {coco_id!r}, which is not in the "
                      f"images list{typed}", None, row.file, row.location,
                      {"coco_image_id": coco_id})  # fmt: skip


@rule("ANN005", "coco-duplicate-id", "annotations", "error",
      "a COCO annotation id or image id is used twice", needs=(COCO,))  # fmt: skip
def coco_duplicate_id(release: Release) -> Iterator[Hit]:
    """Two COCO annotations share an id, or two images entries share an id.

    Why: pycocotools and most COCO loaders index by id, so one of the two silently replaces the
    other: a fracture disappears, or annotations attach to the wrong radiograph.
    Fix: give every annotation and every image a unique id (and re-point annotations).
    """
    entries = release.annotations.entries
    coco_images = entries[entries["format"] == "coco"]
    keyed = coco_images.assign(coco_id=[e.get("coco_id") for e in coco_images["extra"]])
    keyed = keyed[keyed.duplicated(["file", "coco_id"], keep=False)]
    for (file, coco_id), group in keyed.groupby(["file", "coco_id"], sort=False):
        images = list(group["image_id"])
        for image_id in images[1:]:
            yield Hit(f"COCO image id {coco_id} of {image_id} is already the id of {images[0]}",
                      image_id, file, f"image id {coco_id}", {"images": images})  # fmt: skip
    annotations = instances(release, "coco")
    keyed = annotations.assign(ann_id=[e.get("ann_id") for e in annotations["extra"]])
    keyed = keyed[keyed.duplicated(["file", "ann_id"], keep=False)]
    for (file, ann_id), group in keyed.groupby(["file", "ann_id"], sort=False):
        images = [str(i) for i in group["image_id"]]
        for image_id in images[1:]:
            yield Hit(f"COCO annotation id {ann_id} of {image_id} is already the id of an "
                      f"annotation of {images[0]}", image_id, file, f"annotation id {ann_id}",
                      {"images": images})  # fmt: skip


@rule("ANN006", "unknown-image", "annotations", "error",
      "an annotation file names an image the release does not have",
      needs=(COCO, VGG, YOLO, VOC, CSV, IMAGE_FILES))  # fmt: skip
def unknown_image(release: Release) -> Iterator[Hit]:
    """A COCO file_name, a VGG filename, or the name of a YOLO or VOC file names an image that
    is neither in images/Fractured or images/Non_fractured nor in dataset.csv (an image that is
    in dataset.csv but not on disk is IMG001's). One finding per image, naming every format.

    Why: the annotations describe a radiograph that is not published (or is published under
    another name); loaders fail on them or quietly drop them.
    Fix: rename the entry or file to its image, or remove it with the image it belonged to.
    """
    layout = release.layout
    if layout.fractured_dir is None or layout.non_fractured_dir is None:
        return  # LAY002 reports the missing folder; every image would look unknown
    known = known_images(release)
    entries = release.annotations.entries
    # The YOLO and VOC files that could not be read speak of an image too (ANN001 says why).
    files = {(fmt, source.present) for fmt, source in release.annotations.sources.items()}
    unread = [{"format": fmt, "image_id": image_id, "file": _file_of(release, fmt, image_id),
               "location": None}
              for fmt, present in sorted(files) if present
              for image_id in sorted(release.annotations.sources[fmt].unreadable_images)]
    entries = pd.concat([entries, pd.DataFrame(unread, columns=entries.columns)],
                        ignore_index=True) if unread else entries  # fmt: skip
    named = folder_named(release)  # a known image behind a folder: ANN025's
    unknown = entries[~entries["image_id"].isin(known)]
    behind_folder = [(fmt, name) in named
                     for fmt, name in unknown[["format", "image_id"]].itertuples(index=False)]
    unknown = unknown[~pd.Series(behind_folder, index=unknown.index, dtype=bool)]
    spelt = spelt_otherwise(unknown["image_id"], known)
    for image_id, group in unknown.groupby("image_id", sort=True):
        named = ", ".join(sorted({label(fmt) for fmt in group["format"]}))
        details = {"files": sorted(set(group["file"])), "formats": sorted(set(group["format"]))}
        if image_id in spelt:
            meant, how = spelt[image_id]
            yield Hit(f"{named} annotate{'s' if len(group) == 1 else ''} {image_id!r}, which is "
                      f"{meant} written {how}: a reader that opens the image by this name on a "
                      f"case-sensitive file system, or joins the annotations to dataset.csv or "
                      f"the split by name, misses the image and its annotations",
                      meant, group["file"].iloc[0], group["location"].iloc[0],
                      {**details, "written": image_id, "image": meant})  # fmt: skip
            continue
        what = ("a path, not an image name (it is not followed)"
                if any(mark in image_id for mark in ("/", "\\", "..")) else
                "not an image of the release")  # fmt: skip
        yield Hit(f"{named} annotate{'s' if len(group) == 1 else ''} {image_id!r}, which is "
                  f"{what}", image_id, group["file"].iloc[0],
                  group["location"].iloc[0], details)  # fmt: skip


@rule("ANN007", "annotated-size-mismatch", "annotations", "error",
      "COCO or VOC states an image size that is not the image's",
      needs=(COCO, VOC, IMAGE_HEADERS))  # fmt: skip
def annotated_size_mismatch(release: Release) -> Iterator[Hit]:
    """The width and height a COCO images entry or a VOC <size> states differ from the real
    size of the image (read from its JPEG header), where the formats disagree among themselves.
    (When COCO and VOC agree on a size the image does not have, the image was resized after it
    was annotated: IMG009 reports that, once. An entry that states the size the image's EXIF
    orientation gives it, width and height exchanged, is IMG020's: it names the cause.)

    Why: tools normalise and rescale boxes with the stated size; a wrong one (swapped width and
    height is the usual case) puts every box of the image in the wrong place.
    Fix: write the image's real width and height into the entry.
    """
    for row, said, size in size_disagreements(release):
        shown = "no size" if said is None else f"the size {_wh(said)}"
        yield Hit(f"{label(row.format)} gives {row.image_id} {shown}; the image is "
                  f"{_wh(size)} (width x height)", row.image_id, row.file, row.location,
                  {"format": row.format, "stated": None if said is None else list(said),
                   "real": list(size)})  # fmt: skip


def _file_of(release: Release, fmt: str, image_id: str) -> str:
    """The YOLO or VOC file of an image (named after it)."""
    folder = release.layout.relative(release.layout.annotation_dirs[fmt])
    suffix = {"yolo": ".txt", "voc": ".xml"}.get(fmt, "")
    return f"{folder}/{image_id.removesuffix('.jpg')}{suffix}"


def _wh(size) -> str:
    return f"{size[0]:g}x{size[1]:g}"


@rule("ANN008", "voc-filename-mismatch", "annotations", "error",
      "a VOC file's <filename> names another image", needs=(VOC,))  # fmt: skip
def voc_filename_mismatch(release: Release) -> Iterator[Hit]:
    """The <filename> inside a VOC file is not the image the file is named after.

    Why: VOC loaders take the image from <filename>: the boxes are drawn on another radiograph
    (or on none, when the field is empty).
    Fix: set <filename> to the image the XML file is named after.
    """
    entries = release.annotations.entries
    for row in entries[entries["format"] == "voc"].itertuples(index=False):
        if row.filename != row.image_id:
            said = repr(row.filename) if row.filename else "nothing"
            yield Hit(f"{row.file} is {row.image_id}'s file but its <filename> names {said}",
                      row.image_id, row.file, "<filename>",
                      {"filename": row.filename})  # fmt: skip
