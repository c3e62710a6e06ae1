"""The two parts of a COCO annotation, its bbox and its polygon, when they disagree: which of
the two is wrong, and which other formats carry it.

A part is wrong when it is written one of the ways exporters write it wrong (a bbox as
[x1, y1, x2, y2], as [cx, cy, w, h] or in 0-1 units; a polygon whose points are (y, x) or in
0-1 units, or that has another part far outside its bbox); otherwise the other formats decide:
YOLO's and VOC's boxes and the bounds of VGG's polygon each agree with the bbox, with the
polygon, or with neither. The conversion chain carries one part or the other (YOLO and VOC
were converted from the bbox, VGG is a copy of the polygon), so when the formats split along
it no vote decides: the bbox, which COCO defines as the polygon's bounds, is then presumed
wrong, and the finding says so. ANN016 reports each split; the rules that would report what
follows from a wrong polygon (ANN017, ANN019, ANN033) or a wrong bbox (ANN013, ANN018) leave
it to ANN016. Registers no rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fracqa.checks.annotation_facts import instances, sizes, stated_sizes
from fracqa.checks.annotation_votes import GROUP_INPUTS, instance_groups
from fracqa.geometry import box, corner_distance
from fracqa.release import Release


@dataclass
class Split:
    """A COCO annotation whose bbox is not its polygon's bounds, and what is wrong with it."""

    row: object  # the COCO instance
    bbox: list[float]  # its bbox's corners
    bounds: list[float]  # its polygon's bounds
    off: float  # the largest corner distance between the two
    wrong: str  # "bbox" or "polygon"
    pattern: str | None = None  # how it is written wrong, when recognised
    said: str | None = None  # that, in words
    read_as: list[float] | None = None  # the wrong bbox's corners, read as written that way
    with_bbox: list[str] = field(default_factory=list)  # formats whose box agrees with the bbox
    with_polygon: list[str] = field(default_factory=list)  # ... with the polygon's bounds
    carriers: list = field(default_factory=list)  # the other formats' rows carrying the wrong part
    presumed: bool = False  # no pattern and no vote decides: the bbox is presumed wrong
    outside: tuple | None = None  # (px, image width, height) the wrong part reaches outside

    @property
    def supporters(self) -> list[str]:
        """The formats that agree with the right part."""
        return self.with_polygon if self.wrong == "bbox" else self.with_bbox


def splits(release: Release) -> dict[tuple[str, int], Split]:
    """(image_id, instance) -> the Split of each COCO annotation whose bbox is further than
    the pixel tolerance from its polygon's bounds. A rule that reads it declares GROUP_INPUTS."""
    return release.derived("coco-splits", lambda: _splits(release), uses=GROUP_INPUTS)


def carried(release: Release) -> dict[tuple[str, str, int], Split]:
    """(format, image_id, instance) -> the Split whose wrong part the instance carries."""
    def compute():
        found = {}
        for split in splits(release).values():
            for row in split.carriers:
                found[(row.format, row.image_id, row.instance)] = split
        return found

    return release.derived("coco-split-carriers", compute, uses=GROUP_INPUTS)


def polygon_wrong(release: Release, row) -> bool:
    """Whether the COCO annotation's polygon is the wrong part of a Split."""
    split = splits(release).get((row.image_id, row.instance))
    return split is not None and split.wrong == "polygon"


def image_size(release: Release, image_id: str) -> tuple[float, float] | None:
    size = sizes(release).get(image_id)
    if size is not None:
        return size
    for entry in stated_sizes(release).get(image_id, []):
        if entry.format == "coco" and entry.width and entry.height:
            return float(entry.width), float(entry.height)
    return None


def _splits(release: Release) -> dict[tuple[str, int], Split]:
    tolerance = release.tolerances.pixels
    objects = {}
    for image_objects in instance_groups(release).values():
        for found in image_objects:
            coco = found.members.get("coco")
            if coco is not None:
                objects[(coco.image_id, coco.instance)] = found
    result = {}
    for row in instances(release, "coco", boxed=True).itertuples(index=False):
        if row.polygon is None or not isinstance(row.image_id, str):
            continue
        bbox, bounds = box(row), [round(float(v), 2) for v in row.polygon.bounds]
        off = corner_distance(bbox, bounds)
        if off <= tolerance:
            continue
        split = Split(row, bbox, bounds, round(off, 1), "bbox")
        size = image_size(release, row.image_id)
        pattern = _bbox_pattern(row, bounds, size, tolerance)
        if pattern is None:
            pattern = _polygon_pattern(row, bbox, size, tolerance)
        if pattern is not None:
            split.wrong, split.pattern, split.said, split.read_as = pattern
        found = objects.get((row.image_id, row.instance))
        if found is not None:
            _vote(split, found, tolerance)
        if pattern is None:
            if split.with_bbox and not split.with_polygon:
                split.wrong = "polygon"
            elif not split.with_polygon:
                split.presumed = True  # no format agrees with either part, or with both
            elif split.with_bbox:
                split.presumed = True
        if found is not None:
            wrong = split.with_bbox if split.wrong == "bbox" else split.with_polygon
            split.carriers = [found.members[f] for f in wrong]
        if size is not None and split.read_as is None:
            x0, y0, x1, y1 = split.bbox if split.wrong == "bbox" else split.bounds
            beyond = max(-x0, -y0, x1 - size[0], y1 - size[1])
            if beyond > tolerance:
                split.outside = (round(beyond, 1), size[0], size[1])
        result[(row.image_id, row.instance)] = split
    return result


def _vote(split: Split, found, tolerance: float) -> None:
    for fmt, vote in found.verdict.votes.items():
        if fmt == "coco":
            continue
        if corner_distance(vote, split.bbox) <= tolerance:
            split.with_bbox.append(fmt)
        if corner_distance(vote, split.bounds) <= tolerance:
            split.with_polygon.append(fmt)


def _near(a, b, tolerance: float) -> bool:
    return corner_distance([round(v, 2) for v in a], b) <= tolerance


def _bbox_pattern(row, bounds, size, tolerance: float):
    """('bbox', pattern, words, the bbox read so) when the bbox is written a way exporters
    write it wrong, or None."""
    x, y, w, h = row.x0, row.y0, row.x1 - row.x0, row.y1 - row.y0
    if _near([x, y, w, h], bounds, tolerance):
        return ("bbox", "x1y1x2y2", "is written [x1, y1, x2, y2], not [x, y, width, height]: "
                "its last two numbers are its polygon's right and bottom edges",
                [x, y, w, h])  # fmt: skip
    centred = [x - w / 2, y - h / 2, x + w / 2, y + h / 2]
    if _near(centred, bounds, tolerance):
        return ("bbox", "cxcywh", "is written [cx, cy, width, height] (its centre, as YOLO writes "
                "it), not [x, y, width, height]", centred)  # fmt: skip
    if size is not None and max(abs(v) for v in (x, y, w, h)) <= 1.5:
        width, height = size
        scaled = [x * width, y * height, (x + w) * width, (y + h) * height]
        if _near(scaled, bounds, tolerance):
            return ("bbox", "normalised", f"is in 0-1 units (a fraction of the image's "
                    f"{width:g}x{height:g}), not pixels", scaled)  # fmt: skip
    return None


def _polygon_pattern(row, bbox, size, tolerance: float):
    """('polygon', pattern, words, None) when the polygon is written a way exporters write it
    wrong, or None."""
    x0, y0, x1, y1 = row.polygon.bounds
    if _near([y0, x0, y1, x1], bbox, tolerance):
        return ("polygon", "yx", "has its points written (y, x): swapped back, it lies on its "
                "bbox", None)  # fmt: skip
    if size is not None and max(abs(v) for v in (x0, y0, x1, y1)) <= 1.5:
        width, height = size
        if _near([x0 * width, y0 * height, x1 * width, y1 * height], bbox, tolerance):
            return ("polygon", "normalised", f"is in 0-1 units (a fraction of the image's "
                    f"{width:g}x{height:g}), not pixels: so scaled, it lies on its bbox",
                    None)  # fmt: skip
    rings = row.rings or []
    if len(rings) >= 2:
        parts = [_ring_bounds(ring) for ring in rings if len(ring) >= 3]
        inside = [b for b in parts if _within(b, bbox, tolerance)]
        outside = [b for b in parts if not _within(b, bbox, tolerance)]
        if inside and outside and _near(_union(inside), bbox, tolerance):
            where = "; ".join(str(b) for b in outside[:3])
            return ("polygon", "stray-part",
                    f"has {len(outside)} more part{'s' if len(outside) > 1 else ''} outside its "
                    f"bbox ({where}), which pycocotools merges into the mask: "
                    f"{'its other parts lie' if len(inside) > 1 else 'its first part lies'} "
                    "on the bbox", None)  # fmt: skip
    return None


def _ring_bounds(ring) -> list[float]:
    xs, ys = [float(p[0]) for p in ring], [float(p[1]) for p in ring]
    return [round(v, 2) for v in (min(xs), min(ys), max(xs), max(ys))]


def _within(inner, outer, tolerance: float) -> bool:
    return (inner[0] >= outer[0] - tolerance and inner[1] >= outer[1] - tolerance
            and inner[2] <= outer[2] + tolerance and inner[3] <= outer[3] + tolerance)  # fmt: skip


def _union(boxes) -> list[float]:
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes)]  # fmt: skip
