"""Facts about the release that several annotation rules share, each computed once."""

from __future__ import annotations

import pandas as pd

from fracqa.geometry import box
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


def release_images(release: Release) -> set[str]:
    """The ids of the .jpg files in the two class folders."""
    images = release.images
    in_class = images["folder"].isin(["fractured", "non_fractured"])
    return set(images.loc[in_class, "image_id"])


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


def resized_images(release: Release) -> dict[str, tuple]:
    """Images whose annotations agree (in two formats or more) on a size that the image does
    not have: image_id -> (annotated size, real size, the entries stating it)."""
    def compute():
        real, found = sizes(release), {}
        for image_id, rows in stated_sizes(release).items():
            said = {_size(row) for row in rows}
            size = real.get(image_id)
            if size and len(rows) >= 2 and len(said) == 1 and None not in said:
                annotated = said.pop()
                if annotated != size:
                    found[image_id] = (annotated, size, rows)
        return found

    return release.derived("resized-images", compute, uses=(IMAGE_HEADERS, COCO, VOC))


def size_disagreements(release: Release) -> list[tuple]:
    """(entry, stated size, real size) for each COCO or VOC entry stating a size other than the
    image's, where the image was not simply resized after annotation (see resized_images)."""
    real, resized, found = sizes(release), resized_images(release), []
    for image_id, rows in stated_sizes(release).items():
        size = real.get(image_id)
        if size is None or image_id in resized:
            continue
        for row in rows:
            if _size(row) != size:
                found.append((row, _size(row), size))
    return found
