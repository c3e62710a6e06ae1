"""Instances that are not fractures of their own: an object written again in one format,
exactly (ANN029) or nearly in place or heavily overlapping (ANN032), and an outline of fewer
than three points (ANN011) with the boxes the other formats hold for it.

fracture_count counts fractures. Where leaving these out makes every format's count agree with
it, the counts are not in question (CSV003 is silent) and the finding about them says so
(`count_note`). Registers no rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from fracqa.checks.annotation_facts import instances, labels, shape_key
from fracqa.checks.annotation_votes import (
    CHAIN,
    GROUP_INPUTS,
    Object,
    instance_groups,
    listing,
)
from fracqa.geometry import box, iou
from fracqa.inputs import ANNOTATION_FORMATS, CSV
from fracqa.release import Release

DUPLICATE_IOU = 0.95  # the same object written twice
POLYGON_OVERLAP_IOU = 0.5  # two outlines sharing most of their area
NESTED = 0.9  # an outline this much inside another of at least NESTED_SIZE of its area
NESTED_SIZE = 0.2
BOX_OVERLAP_IOU = 0.7  # two boxes, when no format has both outlines to tell
BOX_ONLY = ("yolo", "voc")  # the formats without outlines
EXTRA_INPUTS = (*GROUP_INPUTS, CSV)


@dataclass
class Copies:
    """Instances of one image and format with the very same shape (ANN029)."""

    fmt: str
    image_id: str
    rows: list  # in file order; every one after the first is a copy


def exact_copies(release: Release) -> list[Copies]:
    """The instances each image holds more than once with the same shape in one format, but
    not boxes that coincide in YOLO or VOC where COCO or VGG outline the image's objects as
    that many distinct shapes (two fracture lines crossing in an X share one box)."""
    def compute():
        table = instances(release, readable=True)
        if table.empty:
            return []
        codes: dict[tuple, int] = {}
        keyed = table.assign(shape=[codes.setdefault(shape_key(row), len(codes))
                                    for row in table.itertuples(index=False)])  # fmt: skip
        duplicated = keyed.duplicated(["format", "image_id", "shape"], keep=False)
        outlined = _distinct_outlines(keyed)
        per_format = keyed.groupby(["format", "image_id"]).size().to_dict()
        found = []
        for (fmt, image_id, _), group in keyed[duplicated].groupby(
                ["format", "image_id", "shape"], sort=True, dropna=False):  # fmt: skip
            if fmt in BOX_ONLY and outlined.get(image_id, 0) >= per_format[(fmt, image_id)]:
                continue
            found.append(Copies(fmt, image_id, list(group.itertuples(index=False))))
        return found

    return release.derived("exact-copies", compute, uses=ANNOTATION_FORMATS)


def _distinct_outlines(keyed) -> dict[str, int]:
    """image_id -> the most instances COCO or VGG outline it with, where all their shapes
    differ (a format with a repeated shape says nothing about distinct objects)."""
    outlines = keyed[keyed["format"].isin(["coco", "vgg"])]
    found: dict[str, int] = {}
    for (image_id, _), shapes in outlines.groupby(["image_id", "format"])["shape"]:
        if shapes.is_unique:
            found[image_id] = max(found.get(image_id, 0), len(shapes))
    return found


def identical(first: Object, second: Object, formats: list[str]) -> bool:
    """Whether the two objects have the very same shape in every format that holds both."""
    return all(shape_key(first.members[f]) == shape_key(second.members[f]) for f in formats)


def overlaps(release: Release) -> list[tuple[Object, Object, dict]]:
    """Every pair of objects of one image that some format holds both of, with their overlap:
    the IoU of their outlines where a format has both, else of their boxes (ANN032)."""
    def compute():
        found = []
        for objects in instance_groups(release).values():
            for i, first in enumerate(objects):
                for second in objects[i + 1:]:
                    formats = [f for f in CHAIN if f in first.members and f in second.members]
                    if formats:
                        found.append((first, second, _overlap(first, second, formats)))
        return found

    return release.derived("overlaps", compute, uses=GROUP_INPUTS)


def _overlap(first: Object, second: Object, formats: list[str]) -> dict:
    boxes = [(box(first.members[f]), box(second.members[f])) for f in formats]
    box_iou = max(iou(a, b) for a, b in boxes)
    for fmt in ("coco", "vgg"):
        if fmt not in formats:
            continue
        a, b = first.members[fmt].polygon, second.members[fmt].polygon
        if a is None or b is None or not (a.is_valid and b.is_valid):
            continue
        value = inside = 0.0
        if box_iou > 0 and a.area > 0 and b.area > 0:
            shared = a.intersection(b).area
            value = shared / (a.area + b.area - shared)
            small, large = sorted((a.area, b.area))
            if small >= NESTED_SIZE * large:
                inside = shared / small
        return {"iou": value, "inside": inside, "by": "polygon", "formats": formats,
                "flagged": value >= POLYGON_OVERLAP_IOU or inside >= NESTED}  # fmt: skip
    return {"iou": box_iou, "inside": None, "by": "box", "formats": formats,
            "flagged": box_iou >= BOX_OVERLAP_IOU}  # fmt: skip


def extras(release: Release) -> dict[tuple[str, str], set[int]]:
    """(format, image_id) -> the instances (their `instance` numbers) that are no fracture of
    their own, each format judged alone so that the counts can be judged without the images'
    sizes: a later instance that is an exact copy of an earlier one (as ANN029 finds them), or
    nearly the same or heavily overlapping (ANN032's measures: its outlines where the format
    has them, else its boxes, which YOLO gives in fractions of the image: the IoU is the same),
    and an outline of fewer than three points that the other outline format does not draw
    whole, with the YOLO or VOC box drawn on its box."""
    def compute():
        found: dict[tuple[str, str], set[int]] = {}
        for copies in exact_copies(release):
            found.setdefault((copies.fmt, copies.image_id), set()).update(
                row.instance for row in copies.rows[1:])
        grouped: dict[tuple[str, str], list] = {}
        for row in instances(release, readable=True).itertuples(index=False):
            if isinstance(row.image_id, str):
                grouped.setdefault((row.format, row.image_id), []).append(row)
        for (fmt, image_id), rows in grouped.items():
            spare = found.setdefault((fmt, image_id), set())
            for i, first in enumerate(rows):
                for second in rows[i + 1:]:
                    if (first.instance not in spare and second.instance not in spare
                            and _near(first, second)):  # fmt: skip
                        spare.add(second.instance)
        sizes = _stated_sizes(release)
        for (fmt, image_id), rows in grouped.items():
            if fmt not in ("coco", "vgg"):
                continue
            other = grouped.get(("vgg" if fmt == "coco" else "coco", image_id), [])
            for row in rows:
                if not (row.rings and row.polygon is None
                        and any(len(ring) < 3 for ring in row.rings)):  # fmt: skip
                    continue
                if any(o.polygon is not None and iou(_box(o), _box(row)) >= BOX_OVERLAP_IOU
                       for o in other):  # fmt: skip
                    continue  # the other format outlines it whole: a fracture, drawn wrong
                found.setdefault((fmt, image_id), set()).add(row.instance)
                for boxed in ("yolo", "voc"):
                    for candidate in grouped.get((boxed, image_id), []):
                        if iou(_box(candidate, sizes.get(image_id)),
                               _box(row)) >= BOX_OVERLAP_IOU:  # fmt: skip
                            found.setdefault((boxed, image_id), set()).add(candidate.instance)
        return {key: value for key, value in found.items() if value}

    return release.derived("extras", compute, uses=ANNOTATION_FORMATS)


def _stated_sizes(release: Release) -> dict[str, tuple[float, float]]:
    """image_id -> the size its COCO or VOC entry states (to place YOLO boxes without the
    images)."""
    entries = release.annotations.entries
    found = {}
    for row in entries[entries["format"].isin(["coco", "voc"])].itertuples(index=False):
        if isinstance(row.width, int | float) and isinstance(row.height, int | float) and (
                row.width > 0 and row.height > 0):  # fmt: skip
            found.setdefault(row.image_id, (float(row.width), float(row.height)))
    return found


def _box(row, size=None) -> list[float]:
    """The instance's box in pixels; a YOLO box in fractions of the image unless `size`."""
    if row.format == "yolo":
        cx, cy, w, h = row.extra["normalised"]
        width, height = size or (1.0, 1.0)
        return [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width,
                (cy + h / 2) * height]  # fmt: skip
    return box(row)


def _near(first, second) -> bool:
    """ANN032's measure of two instances of one format: their outlines' IoU or nesting where
    both are valid polygons, else their boxes' IoU."""
    a, b = first.polygon, second.polygon
    if a is not None and b is not None and a.is_valid and b.is_valid and a.area > 0 and (
            b.area > 0):  # fmt: skip
        if iou(_box(first), _box(second)) <= 0:
            return False
        shared = a.intersection(b).area
        small, large = sorted((a.area, b.area))
        return (shared / (a.area + b.area - shared) >= POLYGON_OVERLAP_IOU
                or (small >= NESTED_SIZE * large and shared / small >= NESTED))  # fmt: skip
    if first.format in ("coco", "vgg"):
        return False  # an outline that is not a valid polygon: ANN011 or ANN012 reports it
    return iou(_box(first), _box(second)) >= BOX_OVERLAP_IOU


def counts(release: Release) -> dict[tuple[str, str], int]:
    """(format, image_id) -> number of instances, malformed ones included."""
    def compute():
        table = instances(release)
        return table.groupby(["format", "image_id"]).size().to_dict()

    return release.derived("instance-counts", compute, uses=ANNOTATION_FORMATS)


def explained(release: Release, image_id: str, stated: int, found: dict[str, int]) -> bool:
    """Whether leaving the image's extras out makes every format's count `stated`."""
    spare = extras(release)
    return any(spare.get((fmt, image_id)) for fmt in found) and all(
        count - len(spare.get((fmt, image_id), ())) == stated for fmt, count in found.items())


def count_note(release: Release, image_id: str, noun: str, counted: bool = True) -> str:
    """What fracture_count says of the image's extras, for the finding that reports them:
    '; fracture_count is 1, as VGG, YOLO and VOC have: without the copy, COCO agrees with it',
    '; fracture_count (2) counts the copy too' (if `counted`), or '' (no readable count, or
    the counts disagree otherwise: CSV003 reports them). A rule that calls it declares
    EXTRA_INPUTS."""
    table = labels(release)
    if image_id not in table.index:
        return ""
    stated = int(table.loc[image_id, "fracture_count"])
    formats = [f for f in CHAIN if release.annotations.readable(f)]
    found = {f: counts(release).get((f, image_id), 0) for f in formats}
    found = {f: n for f, n in found.items() if n}
    if not found:
        return ""
    if all(n == stated for n in found.values()):
        return f"; fracture_count ({stated}) counts {noun} too" if counted else ""
    if not explained(release, image_id, stated, found):
        return ""
    spare = extras(release)
    carrying = [f for f in found if spare.get((f, image_id))]
    others = [f for f in found if f not in carrying]
    said = f"; fracture_count is {stated}"
    if others:
        said += f", as {listing(others)} {'have' if len(others) > 1 else 'has'}"
    return (f"{said}: without {noun}, {listing(carrying)} "
            f"{'agree' if len(carrying) > 1 else 'agrees'} with it")
