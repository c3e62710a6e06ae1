"""Facts about the release that several annotation rules share, each computed once."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from fracqa.geometry import box, open_ring
from fracqa.inputs import COCO, CSV, IMAGE_HEADERS, VOC
from fracqa.load.annotation_table import FORMAT_LABEL
from fracqa.release import Release, real_sizes

FORMATS = tuple(FORMAT_LABEL)


def sizes(release: Release) -> dict[str, tuple[int, int]]:
    """image_id -> the real (width, height) read from the image's header."""
    return release.derived("real-sizes", lambda: real_sizes(release.images), uses=(IMAGE_HEADERS,))


def labels(release: Release) -> pd.DataFrame:
    """The readable labels: image_id (unique), fractured, fracture_count, line."""
    def compute():
        meta = release.meta.dropna(subset=["image_id", "fractured", "fracture_count"])
        meta = meta[meta["fractured"].isin([0, 1]) & meta["fracture_count"].between(0, 99)]
        return meta.drop_duplicates("image_id").set_index("image_id", drop=False)

    return release.derived("readable-labels", compute, uses=(CSV,))


def known_images(release: Release) -> set[str]:
    """The names an annotation or split file may use for an image of the release: the files in
    the two class folders and the ids of dataset.csv."""
    images = release.images
    in_class = images["folder"].isin(["fractured", "non_fractured"])
    return set(images.loc[in_class, "image_id"]) | set(release.meta["image_id"].dropna())


def instances(
    release: Release, fmt: str | None = None, readable: bool = False, boxed: bool = False
) -> pd.DataFrame:
    """Annotated instances: of one format if asked, only well-formed ones if `readable`, only
    those with a pixel box if `boxed` (a YOLO box has none when its image's size is unknown)."""
    table = release.annotations.instances
    if fmt:
        table = table[table["format"] == fmt]
    if readable or boxed:
        table = table[~table["malformed"].astype(bool)]
    if boxed:
        table = table[table["x0"].notna()]
    return table


def polygon_points(row) -> list[list[float]] | None:
    """The instance's first polygon ring as [[x, y], ...], for the report to draw."""
    if not row.rings:
        return None
    return [[round(float(x), 2), round(float(y), 2)] for x, y in row.rings[0]]


def shape_key(row) -> tuple:
    """What identifies an instance's shape within its format: two
    instances of one image and format with equal keys are the same shape written twice."""
    if row.format == "yolo":
        return ("yolo", row.extra.get("yolo_class"), *row.extra.get("normalised", ()))
    rings = (tuple(tuple(point) for ring in row.rings for point in open_ring(ring))
             if row.rings else ())  # fmt: skip
    return (row.x0, row.y0, row.x1, row.y1, rings)


def label(fmt: str) -> str:
    return FORMAT_LABEL[fmt]


def evidence(row) -> dict:
    """What a finding about one instance carries in its details."""
    details = {"format": row.format, "location": row.location}
    if pd.notna(row.x0):
        details["box"] = box(row)
    points = polygon_points(row)
    if points is not None:
        details["polygon"] = points
    return details


def stated_sizes(release: Release) -> dict[str, list]:
    """image_id -> the COCO and VOC entries that state a size for it."""
    def compute():
        entries = release.annotations.entries
        stated = entries[entries["format"].isin(["coco", "voc"])]
        grouped: dict[str, list] = {}
        for row in stated.itertuples(index=False):
            grouped.setdefault(row.image_id, []).append(row)
        return grouped

    return release.derived("stated-sizes", compute, uses=(COCO, VOC))


def _size(row) -> tuple | None:
    if row.width is None or row.height is None or pd.isna(row.width) or pd.isna(row.height):
        return None
    return (float(row.width), float(row.height))


# EXIF Orientation -> what a loader that applies it does to the stored pixels
ORIENTATIONS = {
    2: "mirror left-right", 3: "rotate 180°", 4: "mirror top-bottom",
    5: "mirror along the main diagonal (transpose)", 6: "rotate 90° clockwise",
    7: "mirror along the other diagonal (transverse)", 8: "rotate 90° counter-clockwise",
}  # fmt: skip
SWAPPING = (5, 6, 7, 8)  # the orientations that exchange width and height


class Orientation(NamedTuple):
    """An image's orientation tag: its value (2-8), where it is written ("EXIF" or "XMP"),
    and the image's stored and oriented (width, height)."""

    value: int
    source: str
    stored: tuple[int, int]
    oriented: tuple[int, int]


def orientations(release: Release) -> dict[str, Orientation]:
    """image_id -> the orientation tag of each image that has one other than 1. The EXIF tag
    is what OpenCV, browsers and ImageOps.exif_transpose apply; an XMP tiff:Orientation
    counts only without an EXIF one (only Pillow's exif_transpose falls back on it)."""
    def compute():
        images = release.images
        found = {}
        published = images[images["folder"].isin(["fractured", "non_fractured"])
                           & images["width"].notna()]  # fmt: skip
        for image_id, header, width, height in published[
                ["image_id", "header", "width", "height"]].itertuples(index=False):
            if not isinstance(header, dict) or image_id in found:
                continue
            exif, xmp = header.get("orientation"), header.get("xmp_orientation")
            value, source = (exif, "EXIF") if exif is not None else (xmp, "XMP")
            if value in ORIENTATIONS:
                stored = (int(width), int(height))
                oriented = stored[::-1] if value in SWAPPING else stored
                found[image_id] = Orientation(int(value), source, stored, oriented)
        return found

    return release.derived("orientations", compute, uses=(IMAGE_HEADERS,))


class Resized(NamedTuple):
    """Annotations drawn on a size the stored image does not have: the annotated size, the
    real (stored) size, the entries stating it, and whether the annotated size is the view an
    orientation tag gives (`oriented`: IMG020's) or the image was resized (IMG009's)."""

    stated: tuple
    real: tuple
    rows: list
    oriented: bool


def resized_images(release: Release) -> dict[str, Resized]:
    """Images whose annotations were drawn on a size the stored image does not have: every
    COCO and VOC entry of the image states its oriented size (an orientation tag that swaps
    width and height: IMG020 reports it), or they agree, in two formats or more, on a size
    that is neither its stored nor its oriented one (it was resized: IMG009). The rules that
    compare shapes with the image skip these images: one finding says what happened."""
    def compute():
        real, turned, found = sizes(release), orientations(release), {}
        for image_id, rows in stated_sizes(release).items():
            said = {_size(row) for row in rows}
            size = real.get(image_id)
            oriented = turned[image_id].oriented if image_id in turned else size
            if not size or len(said) != 1 or None in said:
                continue
            annotated = next(iter(said))
            if annotated == size:
                continue
            if annotated == oriented:
                found[image_id] = Resized(annotated, size, rows, True)
            elif len(rows) >= 2:
                found[image_id] = Resized(annotated, size, rows, False)
        return found

    return release.derived("resized-images", compute, uses=(IMAGE_HEADERS, COCO, VOC))


def size_disagreements(release: Release) -> list[tuple]:
    """(entry, stated size, real size) for each COCO or VOC entry stating a size other than the
    image's, where the image was not simply resized after annotation (see resized_images) and
    the entry does not state the image's oriented size (its orientation tag explains that
    one: IMG020)."""
    real, resized, found = sizes(release), resized_images(release), []
    turned = orientations(release)
    for image_id, rows in stated_sizes(release).items():
        size = real.get(image_id)
        if size is None or image_id in resized:
            continue
        oriented = turned[image_id].oriented if image_id in turned else size
        for row in rows:
            if row.extra.get("size_reported"):
                continue  # a size that is no integer: ANN002 reports it
            if _size(row) not in (size, oriented):
                found.append((row, _size(row), size))
    return found
