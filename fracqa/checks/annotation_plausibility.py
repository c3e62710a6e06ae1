"""Plausibility: each annotated object judged against the release's own distribution of boxes
(their share of the image, their elongation, how much of its box a polygon fills), objects
written twice in one format, and masks as pycocotools rasterises them for training.

The limits come from the release itself: the median and the median absolute deviation (MAD) of
each measure on a log scale, `DEVIATIONS` robust deviations either side, but never inside a
floor band that holds every real FracAtlas instance with room to spare (a release of a few
dozen instances, whose own spread says little, is judged by the floor band alone).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely

from fracqa.catalogue import rule
from fracqa.checks.annotation_extras import (
    DUPLICATE_IOU,
    POLYGON_OVERLAP_IOU,
    count_note,
    identical,
    overlaps,
)
from fracqa.checks.annotation_facts import (
    evidence,
    instances,
    label,
    polygon_points,
    sizes,
    stated_sizes,
)
from fracqa.checks.annotation_parts import polygon_wrong
from fracqa.checks.annotation_votes import CHAIN, Object, instance_groups, listing
from fracqa.geometry import box, corner_distance, iou
from fracqa.inputs import COCO, CSV, IMAGE_HEADERS, VGG, VOC, YOLO
from fracqa.model import Hit
from fracqa.release import Release

DEVIATIONS = 4.0  # robust deviations from the median (on a log scale) that are still plausible
# The real release's 922 boxes cover 0.047 % to 6.4 % of their image; nothing between these is
# ever implausible (percent of the image).
SHARE_FLOOR = (0.01, 10.0)
# Its boxes run from 7 times as tall as wide to 4.6 times as wide as tall.
ELONGATION_FLOOR = 10.0
# Its polygons fill 17 % to 89 % of their box.
FILL_FLOOR = 0.05
# The least spread assumed (natural log), however alike a small release's instances are.
LEAST_SPREAD = {"share": 0.5, "aspect": 0.35, "fill": 0.3}



# ------------------------------------------------------------------ the release's distribution


@dataclass(frozen=True)
class Limits:
    """A measure's plausible range on its log scale, and where the release's values lie."""

    values: np.ndarray  # the release's values (log scale)
    median: float
    spread: float  # 1.4826 MAD, at least the least spread
    low: float
    high: float

    @classmethod
    def of(cls, values: np.ndarray, least_spread: float, floor: tuple[float, float]) -> Limits:
        values = np.asarray(values, dtype=float)
        median = float(np.median(values)) if len(values) else 0.0
        mad = float(np.median(np.abs(values - median))) * 1.4826 if len(values) else 0.0
        spread = max(mad, least_spread)
        return cls(values, median, spread, min(median - DEVIATIONS * spread, floor[0]),
                   max(median + DEVIATIONS * spread, floor[1]))  # fmt: skip

    def plausible(self) -> np.ndarray:
        """The release's values within the limits (the others are what the rule reports)."""
        inside = self.values[(self.values >= self.low) & (self.values <= self.high)]
        return inside if len(inside) else self.values

    def deviations(self, value: float) -> float:
        return (value - self.median) / self.spread

    def percentile(self, value: float) -> float:
        """The share of the release's values at or below `value`, in percent."""
        return round(100.0 * float(np.mean(self.values <= value + 1e-12)), 1)

    def quantiles(self, show) -> dict[str, float]:
        """The release's distribution, as `show` (from the log scale) gives each value."""
        points = {"min": 0, "1%": 1, "5%": 5, "25%": 25, "median": 50, "75%": 75, "95%": 95,
                  "99%": 99, "max": 100}  # fmt: skip
        found = np.percentile(self.values, list(points.values()))
        return {name: show(float(v)) for name, v in zip(points, found, strict=True)}


def _percent(value: float) -> float:
    return float(f"{100 * math.exp(value):.3g}")


def _ratio(value: float) -> float:
    return float(f"{math.exp(value):.3g}")


@dataclass
class Measured:
    """One object as the plausibility rules see it."""

    found: Object
    row: object  # the instance that stands for the object
    width: float  # box, pixels
    height: float
    image: tuple[int, int]  # the image's width and height
    polygon: object | None  # the representative outline (COCO's, else VGG's), if valid
    share: float  # log of the box's fraction of the image
    aspect: float  # log of width / height
    fill: float | None  # log of the polygon's fraction of its box


PLAUSIBILITY_INPUTS = (COCO, VGG, YOLO, VOC, IMAGE_HEADERS)


def _measured(release: Release) -> list[Measured]:
    return release.derived("plausibility-measures", lambda: _measure(release),
                           uses=PLAUSIBILITY_INPUTS)  # fmt: skip


def _size_of(release: Release, image_id: str) -> tuple[int, int] | None:
    size = sizes(release).get(image_id)
    if size is not None:
        return size
    for entry in stated_sizes(release).get(image_id, []):
        width, height = entry.width, entry.height
        numbers = isinstance(width, int | float) and isinstance(height, int | float)
        if numbers and math.isfinite(width) and math.isfinite(height) and min(width, height) > 0:
            return int(width), int(height)
    return None


def _measure(release: Release) -> list[Measured]:
    """Every object with a real box inside its image (ANN013 and ANN014 report the others)."""
    tolerance, found = release.tolerances.pixels, []
    for image_id, objects in instance_groups(release).items():
        size = _size_of(release, image_id)
        if size is None:
            continue
        image_width, image_height = size
        for item in objects:
            row = item.representative
            x0, y0, x1, y1 = box(row)
            width, height = x1 - x0, y1 - y0
            if width <= 0 or height <= 0:
                continue
            if max(-x0, -y0, x1 - image_width, y1 - image_height) > tolerance:
                continue
            polygon = _outline(item)
            fill = None
            if polygon is not None:
                fill = math.log(max(polygon.area, 1e-9) / (width * height))
            found.append(Measured(item, row, width, height, size, polygon,
                                  math.log(width * height / (image_width * image_height)),
                                  math.log(width / height), fill))  # fmt: skip
    return found


def _outline(item: Object):
    for fmt in ("coco", "vgg"):
        row = item.members.get(fmt)
        polygon = None if row is None else row.polygon
        if polygon is not None and polygon.is_valid and polygon.area > 0:
            return polygon
    return None


def _limits(release: Release) -> dict[str, Limits]:
    def compute():
        measured = _measured(release)
        fills = [m.fill for m in measured if m.fill is not None]
        return {
            "share": Limits.of([m.share for m in measured], LEAST_SPREAD["share"],
                               (math.log(SHARE_FLOOR[0] / 100), math.log(SHARE_FLOOR[1] / 100))),
            "aspect": Limits.of([m.aspect for m in measured], LEAST_SPREAD["aspect"],
                                (-math.log(ELONGATION_FLOOR), math.log(ELONGATION_FLOOR))),
            "fill": Limits.of(fills, LEAST_SPREAD["fill"], (math.log(FILL_FLOOR), 0.0)),
        }  # fmt: skip

    return release.derived("plausibility-limits", compute, uses=PLAUSIBILITY_INPUTS)


def _where(item: Measured) -> tuple[str, dict]:
    """The object's name in a message and the evidence every plausibility finding carries."""
    row = item.row
    formats = [f for f in CHAIN if f in item.found.members]
    files = list(dict.fromkeys(item.found.members[f].file for f in formats))
    details = {**evidence(row), "formats": formats, "files": files,
               "image_size": list(item.image)}  # fmt: skip
    if "polygon" not in details and item.polygon is not None and item.polygon.geom_type == (
            "Polygon"):  # fmt: skip
        details["polygon"] = [[round(float(x), 2), round(float(y), 2)]
                              for x, y in item.polygon.exterior.coords[:-1]]  # fmt: skip
    shared = f" (as in {listing(formats[1:])})" if len(formats) > 1 else ""
    return f"{label(row.format)} {row.location}{shared}", details


# ------------------------------------------------------------------------------------ the rules


def _too_large_or_small(item: Measured, limits: Limits) -> bool:
    return not limits.low <= item.share <= limits.high


def _share_said(item: Measured, limits: Limits) -> str:
    """'its box 2x2 px covers 0.00236 % of its 373x454 image; ...' (ANN030's words)."""
    large = item.share > limits.high
    bound = limits.high if large else limits.low
    width, height = item.image
    quantiles, usual = limits.quantiles(_percent), limits.plausible()
    return (f"box {item.width:g}x{item.height:g} px covers {_percent(item.share):g} % of its "
            f"{width}x{height} image; the release's other instances cover "
            f"{_percent(usual.min()):g}-{_percent(usual.max()):g} % (median "
            f"{quantiles['median']:g} %), and {'over' if large else 'under'} "
            f"{_percent(bound):g} % is implausible")  # fmt: skip


def _shape_said(item: Measured, every: dict[str, Limits], masked: bool) -> tuple[list, dict]:
    """ANN031's sentences about the object's elongation and fill, and their details."""
    said, extra = [], {}
    aspect = every["aspect"]
    if not aspect.low <= item.aspect <= aspect.high:
        bound = aspect.high if item.aspect > aspect.high else aspect.low
        usual = aspect.plausible()
        said.append(f"its box is {_shape(item.aspect)} ({item.width:g}x{item.height:g} px); "
                    f"the release's other boxes run from {_shape(usual.min())} to "
                    f"{_shape(usual.max())}, and beyond {_shape(bound)} is "
                    "implausible")  # fmt: skip
        extra["aspect"] = {"width_to_height": _ratio(item.aspect),
                           "release_width_to_height": aspect.quantiles(_ratio),
                           "limits": [_ratio(aspect.low), _ratio(aspect.high)],
                           "robust_deviations": round(aspect.deviations(item.aspect), 1),
                           "percentile": aspect.percentile(item.aspect)}  # fmt: skip
    fill = every["fill"]
    if item.fill is not None and item.fill < fill.low and not masked:
        quantiles, usual = fill.quantiles(_percent), fill.plausible()
        said.append(f"its polygon fills {_percent(item.fill):g} % of its box; the release's "
                    f"others fill {_percent(usual.min()):g}-{_percent(usual.max()):g} % "
                    f"(median {quantiles['median']:g} %), and under "
                    f"{_percent(fill.low):g} % is a line or a sliver, not an "
                    "outline")  # fmt: skip
        extra["fill"] = {"fill_pct": _percent(item.fill), "release_fill_pct": quantiles,
                         "limit_pct": _percent(fill.low),
                         "robust_deviations": round(fill.deviations(item.fill), 1),
                         "percentile": fill.percentile(item.fill)}  # fmt: skip
    return said, extra


def _also(item: Measured, every: dict[str, Limits], shape: bool = True) -> str:
    """What else is implausible about the object, in short, for the one finding that reports
    it: '; its box is also 400:1 (120x0.3 px) and covers 0.0213 % of its image'."""
    said = []
    if shape and not every["aspect"].low <= item.aspect <= every["aspect"].high:
        said.append(f"is also {_shape(item.aspect)} ({item.width:g}x{item.height:g} px)")
    if _too_large_or_small(item, every["share"]):
        usual = every["share"].plausible()
        said.append(f"{'' if said else 'also '}covers {_percent(item.share):g} % of its image "
                    f"(the release's other instances: {_percent(usual.min()):g}-"
                    f"{_percent(usual.max()):g} %)")
    return f"; its box {' and '.join(said)}" if said else ""


def _measured_by_coco(release: Release) -> dict[tuple[str, int], Measured]:
    """(image_id, instance) of the COCO member -> the measured object."""
    return {(item.found.members["coco"].image_id, item.found.members["coco"].instance): item
            for item in _measured(release) if "coco" in item.found.members}  # fmt: skip


@rule("ANN030", "implausible-box-size", "annotations", "warning",
      "an instance covers a share of its image far outside the release's distribution",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def implausible_box_size(release: Release) -> Iterator[Hit]:
    """An annotated object's box covers a share of its image far from what the release's other
    boxes cover: more than 4 robust deviations (MAD) from the median on a log scale, and
    outside 0.01 % to 10 % of the image (the real release's boxes cover 0.05 % to 6.4 %). The
    object is judged once, on the box the formats agree on; the details show the release's
    quantiles and where this box falls. An object that is also far too elongated or too thin
    (ANN031), or whose mask pycocotools rasterises wrong (ANN033), is that rule's one finding,
    which says this too.

    Why: a box over most of the image (dragged by mistake, or written in the wrong units) or of
    a few pixels (a stray click) teaches a detector that fractures look like whole radiographs
    or like specks, and skews every size-based metric.
    Fix: look at the image and redraw the fracture's outline and box (in every format).
    """
    every = _limits(release)
    limits = every["share"]
    masks = _reported_masks(release) if release.runs("ANN033") else set()
    shaped = release.runs("ANN031")
    for item in _measured(release):
        if not _too_large_or_small(item, limits):
            continue
        if _coco_key(item) in masks or (shaped and _shape_said(item, every, False)[0]):
            continue  # ANN033's or ANN031's finding says it
        name, details = _where(item)
        yield Hit(f"{name} {_share_said(item, limits)}",
                  item.found.image_id, item.row.file, item.row.location,
                  {**details, "box_size": [item.width, item.height],
                   "share_pct": _percent(item.share),
                   "release": {"instances": len(limits.values),
                               "share_pct": limits.quantiles(_percent),
                               "limits_pct": [_percent(limits.low), _percent(limits.high)],
                               "robust_deviations": round(limits.deviations(item.share), 1),
                               "percentile": limits.percentile(item.share)}})  # fmt: skip


def _coco_key(item: Measured) -> tuple | None:
    coco = item.found.members.get("coco")
    return None if coco is None else (coco.image_id, coco.instance)


@rule("ANN031", "implausible-box-shape", "annotations", "warning",
      "an instance is far more elongated, or its outline far thinner, than the release's",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def implausible_box_shape(release: Release) -> Iterator[Hit]:
    """An annotated object's box is far more elongated than the release's boxes (its width to
    height ratio more than 4 robust deviations from the median on a log scale, and beyond
    10:1 either way; the real release's run from 1:7 to 4.6:1), or its polygon fills far less
    of its box than the release's polygons do (beyond the same deviations, and under 5 %; the
    real release's fill 17 % to 89 %). The details show the release's quantiles and where this
    object falls. One finding per object, which also says when its box covers an implausible
    share of its image (ANN030); an object whose mask pycocotools rasterises wrong is ANN033's
    one finding.

    Why: a box a pixel or two thick or an outline that is a line rather than a region is a slip
    of the annotation tool (a click-drag, a polyline closed on itself); the detector and the
    segmentation model learn a shape no fracture has, and mask metrics on it are meaningless.
    Fix: look at the image and redraw the fracture's outline; regenerate the boxes from it.
    """
    every = _limits(release)
    masks = _reported_masks(release) if release.runs("ANN033") else set()
    troubles = _mask_troubles(release)
    for item in _measured(release):
        if _coco_key(item) in masks:
            continue  # ANN033's finding says it
        said, extra = _shape_said(item, every, _coco_key(item) in troubles)
        if said:
            name, details = _where(item)
            yield Hit(f"{name}: {'; and '.join(said)}{_also(item, every, shape=False)}",
                      item.found.image_id, item.row.file, item.row.location,
                      {**details, "box_size": [item.width, item.height], **extra,
                       "release": {"instances": len(every["aspect"].values),
                                   "polygons": len(every["fill"].values)}})  # fmt: skip


def _shape(aspect: float) -> str:
    """'1:7.2' (taller than wide) or '4.6:1'."""
    ratio = f"{math.exp(abs(aspect)):.3g}"
    return f"1:{ratio}" if aspect < 0 else f"{ratio}:1"


@rule("ANN032", "overlapping-instances", "annotations", "warning",
      "one image has nearly the same object twice, or two heavily overlapping ones, in one format",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS, CSV))  # fmt: skip
def overlapping_instances(release: Release) -> Iterator[Hit]:
    """Two instances of one image in one format are nearly the same object written twice, or
    overlap heavily: their polygons' IoU is at least 0.5 (0.95: a duplicate), or 90 % of the smaller
    outline lies inside the other (one at least a fifth of the other's area), or, where no
    format has both outlines, their boxes' IoU is at least 0.7. Outlines decide when a format
    has them (two crossing fracture lines have overlapping boxes but not overlapping outlines).
    A pair repeated in several formats (written twice at the source, then converted) is one
    finding, naming the first format's file and listing the others; the details show how much
    the release's other instances of one image overlap. A pair whose shapes are identical in
    every format that holds both is ANN029's (duplicate-instance), not this rule's. The finding
    says what fracture_count makes of the pair: when the formats count one instance more than
    it does only because of such pairs, the count is right and CSV003 does not report it.

    Why: an exporter that writes an object twice, or a polygon pasted twice, counts one
    fracture as two: detectors are trained on conflicting duplicates, the instance counts and
    the per-instance metrics are wrong, and non-maximum suppression is taught to keep both.
    Fix: delete the second copy (and correct fracture_count if it counted it); if the two are
    really distinct fractures, redraw them so that each outlines its own.
    """
    found_pairs = overlaps(release)
    flagged = sum(1 for _, _, o in found_pairs if o["flagged"])
    unflagged = [o["iou"] for _, _, o in found_pairs if not o["flagged"]]
    distribution = {"pairs": len(found_pairs), "overlapping": sum(1 for v in unflagged if v > 0),
                    "largest_other_iou": round(max(unflagged, default=0.0), 3)}  # fmt: skip
    for first, second, found in found_pairs:
        if not found["flagged"] or identical(first, second, found["formats"]):
            continue
        formats = found["formats"]
        fmt = formats[0]
        a, b = first.members[fmt], second.members[fmt]
        what = ("the same object written twice" if found["iou"] >= DUPLICATE_IOU
                else "two heavily overlapping objects")  # fmt: skip
        measure = "outlines" if found["by"] == "polygon" else "boxes"
        how = f"their {measure}' IoU is {found['iou']:.2f}"
        if found["inside"] and found["iou"] < POLYGON_OVERLAP_IOU:
            how += f" and {found['inside']:.0%} of the smaller lies inside the other"
        also = f" (and in {listing(formats[1:])})" if len(formats) > 1 else ""
        noun = "the copy" if found["iou"] >= DUPLICATE_IOU else "the overlapping instance"
        if len(formats) > 1:
            noun = "the copies" if noun == "the copy" else "the overlapping instances"
        yield Hit(f"{label(fmt)} {a.location} and {b.location} are {what}: {how}{also}; the "
                  "release's other pairs of instances of one image overlap at most "
                  f"{distribution['largest_other_iou']:.2f}"
                  f"{count_note(release, first.image_id, noun)}",
                  first.image_id, b.file, b.location,
                  {**evidence(b), "first": {"location": a.location, "box": box(a),
                                            "polygon": polygon_points(a)},
                   "iou": round(found["iou"], 3), "measured_on": measure, "formats": formats,
                   "inside": None if found["inside"] is None else round(found["inside"], 3),
                   "files": list(dict.fromkeys(second.members[f].file for f in formats)),
                   "release": {**distribution, "flagged_pairs": flagged}})  # fmt: skip


# ------------------------------------------------------------------------------------ masks

# pycocotools traces an outline at 5 points per pixel of its length; no real outline is longer
# than a few thousand pixels (the release's longest: 1,963).
MAX_OUTLINE = 1_000_000


@dataclass(frozen=True)
class MaskFacts:
    """What pycocotools makes of one COCO annotation's segmentation."""

    area: int  # pixels of the mask
    bounds: list[float]  # the mask's [x0, y0, x1, y1]
    image: tuple[int, int]  # the width and height it was rasterised at
    polygon_area: float | None = None  # the outline's own area (polygons)
    perimeter: float | None = None
    rle_size: tuple[int, int] | None = None  # (height, width) an RLE states

    @property
    def empty(self) -> bool:
        return self.area == 0


def _mask_facts(release: Release) -> dict[tuple[str, int], MaskFacts]:
    """(image_id, instance) -> the mask of each COCO annotation pycocotools can rasterise: a
    valid polygon inside the image size its COCO entry states (ANN011, ANN012, ANN013 and
    ANN007 report the others), or a run-length encoded mask."""
    return release.derived("coco-masks", lambda: _rasterise(release), uses=(COCO,))


def _coco_sizes(release: Release) -> dict[int | str, tuple[int, int]]:
    entries = release.annotations.entries
    found: dict[int, tuple[int, int]] = {}
    for entry in entries[entries["format"] == "coco"].itertuples(index=False):
        coco_id = entry.extra.get("coco_id")
        if coco_id is not None and coco_id not in found and not entry.extra.get("size_reported"):
            found[coco_id] = (int(entry.width), int(entry.height))
    return found


def _rasterise(release: Release) -> dict[tuple[str, int], MaskFacts]:
    from pycocotools import mask as coco_mask  # a C extension: only the mask rules load it

    stated, limit = _coco_sizes(release), release.settings.pixel_limit
    tolerance, found = release.tolerances.pixels, {}
    table = instances(release, "coco", readable=True)
    geometries = table["polygon"].to_numpy()
    # The outline's facts for every annotation at once (shapely is slow one geometry at a time)
    valid = shapely.is_valid(geometries) & (shapely.area(geometries) > 0)
    areas, lengths = shapely.area(geometries), shapely.length(geometries)
    bounds = shapely.bounds(geometries)
    for k, row in enumerate(table.itertuples(index=False)):
        size = stated.get(row.extra.get("coco_image_id"))
        if not isinstance(row.image_id, str) or size is None:
            continue
        width, height = size
        if width <= 0 or height <= 0 or width * height > limit:
            continue
        rle = row.extra.get("rle")
        if rle is not None:
            facts = _rle_facts(coco_mask, rle, size)
        elif valid[k] and _drawable(row.rings, bounds[k], lengths[k], size, tolerance):
            rings = [[float(v) for point in ring for v in point] for ring in row.rings]
            encoded = coco_mask.merge(coco_mask.frPyObjects(rings, height, width))
            facts = MaskFacts(int(coco_mask.area(encoded)), _rle_bounds(coco_mask, encoded),
                              size, float(areas[k]), float(lengths[k]))  # fmt: skip
        else:
            continue
        found[(row.image_id, row.instance)] = facts
    return found


def _drawable(rings, bounds, length: float, size: tuple[int, int], tolerance: float) -> bool:
    """A polygon pycocotools rasterises as drawn: rings of three points or more, inside the
    image size its entry states, and of a sane length (pycocotools allocates memory in
    proportion to it)."""
    (x0, y0, x1, y1), (width, height) = bounds, size
    return (bool(rings) and all(len(ring) >= 3 for ring in rings) and length <= MAX_OUTLINE
            and min(x0, y0) >= -tolerance and x1 <= width + tolerance
            and y1 <= height + tolerance)  # fmt: skip


def _rle_facts(coco_mask, rle: dict, size: tuple[int, int]) -> MaskFacts:
    """The mask of a run-length encoding (the loader checked that it decodes: ANN002)."""
    height, width = (int(v) for v in rle["size"])
    if isinstance(rle["counts"], list):
        encoded = coco_mask.frPyObjects(rle, height, width)
    else:
        encoded = {"size": [height, width], "counts": rle["counts"].encode("ascii")}
    return MaskFacts(int(coco_mask.area(encoded)), _rle_bounds(coco_mask, encoded), size,
                     rle_size=(height, width))  # fmt: skip


def _rle_bounds(coco_mask, rle) -> list[float]:
    x, y, w, h = (float(v) for v in coco_mask.toBbox(rle))
    return [x, y, x + w, y + h]


@rule("ANN033", "mask-rasterisation", "annotations", "warning",
      "pycocotools rasterises a COCO segmentation to a mask its polygon or bbox does not say",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def mask_rasterisation(release: Release) -> Iterator[Hit]:
    """Each COCO segmentation is rasterised as training pipelines do (pycocotools.mask:
    frPyObjects at the image size the COCO entry states, merge, area, toBbox): the mask must
    not be empty, must not be much smaller than the area its polygon encloses (by more than
    half of it and more than half its perimeter, far beyond what rasterising edges loses), and
    its bounds must be near the annotation's bbox (a box IoU of at least 0.5, or no corner
    further than the pixel tolerance plus 2 px and a quarter of the box's longer side). A
    run-length encoded mask must also be of its image's size and agree with the annotation's
    `area`. Polygons that other rules report (too few points, invalid, outside the image or
    the size its entry states) are not rasterised, and a mask is not judged where the finding
    about its annotation says it all: a polygon ANN016 finds wrong (in 0-1 units, say), or a
    COCO annotation whose box every other format outvotes (ANN018). The finding also says
    when the object's box is implausibly elongated (ANN031) or covers an implausible share of
    its image (ANN030): one outline too thin to be drawn is one finding. The details show the
    release's distribution of mask-to-polygon areas.

    Why: the mask is what a segmentation model learns and what mask AP is computed on; an
    outline too thin to cover a pixel centre, or one whose pixels lie away from its box, gives
    the model an empty or misplaced target while the box says there is a fracture.
    Fix: redraw the outline as a region around the fracture (not a line), or re-export the
    mask from the original annotation tool; regenerate bbox and area from it.
    """
    masks, troubles = _mask_facts(release), _mask_troubles(release)
    ratios = np.array([m.area / m.polygon_area for m in masks.values() if m.polygon_area])
    distribution = {"polygons": int(len(ratios))}
    if len(ratios):
        distribution["mask_to_polygon_area"] = {
            name: round(float(v), 3)
            for name, v in zip(("min", "1%", "median", "99%", "max"),
                               np.percentile(ratios, [0, 1, 50, 99, 100]), strict=True)
        }  # fmt: skip
    reported, every = _reported_masks(release), _limits(release)
    measured = _measured_by_coco(release)
    for row in instances(release, "coco", readable=True).itertuples(index=False):
        said = troubles.get((row.image_id, row.instance))
        if said is None or (row.image_id, row.instance) not in reported:
            continue
        item = measured.get((row.image_id, row.instance))
        also = "" if item is None else _also(item, every)
        facts = masks[(row.image_id, row.instance)]
        details = {**evidence(row), "mask_area": facts.area, "mask_bounds": facts.bounds,
                   "image_size": list(facts.image), "release": distribution}  # fmt: skip
        if facts.polygon_area is not None:
            details["polygon_area"] = float(f"{facts.polygon_area:.4g}")
            details["mask_to_polygon_area"] = round(facts.area / facts.polygon_area, 3)
        if facts.rle_size is not None:
            details["rle_size"] = list(facts.rle_size)
        yield Hit(f"COCO {row.location}: {said}{also}", row.image_id, row.file, row.location,
                  details)


def _reported_masks(release: Release) -> set[tuple[str, int]]:
    """(image_id, instance) of the COCO annotations whose mask ANN033 reports: those with a
    mask trouble that no other finding about the annotation explains (a polygon ANN016 finds
    wrong, a box every other format outvotes)."""
    def compute():
        elsewhere = _coco_outvoted(release)
        table = instances(release, "coco", readable=True)
        troubles = _mask_troubles(release)
        return {(row.image_id, row.instance) for row in table.itertuples(index=False)
                if (row.image_id, row.instance) in troubles
                and (row.image_id, row.instance) not in elsewhere
                and not polygon_wrong(release, row)}  # fmt: skip

    return release.derived("reported-masks", compute, uses=PLAUSIBILITY_INPUTS)


def _coco_outvoted(release: Release) -> set[tuple[str, int]]:
    """(image_id, instance) of the COCO annotations whose box every other format's majority
    outvotes (ANN018 reports them)."""
    found = set()
    for objects in instance_groups(release).values():
        for item in objects:
            result, coco = item.verdict, item.members.get("coco")
            if coco is not None and result.majority is not None and "coco" in result.odd:
                found.add((coco.image_id, coco.instance))
    return found


def _mask_troubles(release: Release) -> dict[tuple[str, int], str]:
    """(image_id, instance) -> what is wrong with the COCO annotation's mask, for those with
    something wrong."""
    def compute():
        masks, tolerances = _mask_facts(release), release.tolerances
        found = {}
        for row in instances(release, "coco", readable=True).itertuples(index=False):
            facts = masks.get((row.image_id, row.instance))
            said = None if facts is None else _mask_trouble(row, facts, tolerances)
            if said is not None:
                found[(row.image_id, row.instance)] = said
        return found

    return release.derived("coco-mask-troubles", compute, uses=(COCO,))


def _mask_trouble(row, facts: MaskFacts, tolerances) -> str | None:
    width, height = facts.image
    what = "its run-length mask" if facts.rle_size is not None else "its polygon"
    if facts.rle_size is not None and facts.rle_size != (height, width):
        return (f"its run-length mask is {facts.rle_size[1]}x{facts.rle_size[0]} px where its "
                f"image is {width}x{height}: pipelines cannot lay it on the image")
    if facts.empty:
        enclosed = (f" (it encloses {facts.polygon_area:.2g} px²)"
                    if facts.polygon_area is not None else "")  # fmt: skip
        return (f"{what}{enclosed} rasterises to an empty mask with pycocotools at "
                f"{width}x{height}: training sees a box with no mask")
    if facts.polygon_area is not None:
        lost = facts.polygon_area - facts.area
        if lost > max(0.5 * facts.polygon_area, 0.5 * facts.perimeter):
            return (f"its polygon encloses {facts.polygon_area:.1f} px² but pycocotools rasterises "
                    f"it to {facts.area} px ({facts.area / facts.polygon_area:.2f}x): it is "
                    "too thin to cover the pixels it outlines")
    bbox = box(row)
    overlap, off = iou(facts.bounds, bbox), corner_distance(facts.bounds, bbox)
    side = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
    if overlap < tolerances.iou and off > max(tolerances.pixels + 2, side / 4):
        if facts.polygon_area is not None and row.polygon is not None:
            bounds = [round(float(v), 2) for v in row.polygon.bounds]
            if corner_distance(bounds, bbox) > tolerances.pixels:
                return None  # the bbox is not its polygon's bounds: ANN016
        shown = [round(v, 1) for v in facts.bounds]
        return (f"{what} rasterises to a mask whose bounds {shown} are {off:.1f} px from its "
                f"bbox {bbox} (IoU {overlap:.2f}): the mask and the box mark different places")
    stated = row.extra.get("area")
    if (facts.rle_size is not None and stated is not None
            and abs(stated - facts.area) > tolerances.area * facts.area + 1):  # fmt: skip
        return f"its area is {stated:g} but its run-length mask has {facts.area} px"
    return None
