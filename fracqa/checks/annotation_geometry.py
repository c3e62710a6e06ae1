"""Geometry: every polygon is a valid shape and every box a real box, inside its image."""

from __future__ import annotations

from collections.abc import Iterator

import shapely

from fracqa.catalogue import rule
from fracqa.checks.annotation_facts import evidence, instances, label, resized_images, sizes
from fracqa.checks.annotation_parts import carried, splits
from fracqa.checks.annotation_votes import CHAIN, listing, object_of, read_box
from fracqa.geometry import box
from fracqa.inputs import COCO, IMAGE_HEADERS, VGG, VOC, YOLO
from fracqa.model import Hit
from fracqa.release import Release


@rule("ANN011", "polygon-too-few-points", "annotations", "error",
      "a polygon has fewer than three points", needs=(COCO, VGG))  # fmt: skip
def polygon_too_few_points(release: Release) -> Iterator[Hit]:
    """A COCO or VGG polygon has fewer than three vertices.

    Why: it encloses no area, so its mask is empty; public loaders skip such polygons, and the
    fracture silently disappears from segmentation training.
    Fix: redraw the fracture's outline.
    """
    for row in instances(release, readable=True).itertuples(index=False):
        for ring in row.rings or []:
            if len(ring) < 3:
                yield Hit(f"{label(row.format)} {row.location} has a polygon of {len(ring)} "
                          "point(s)", row.image_id, row.file, row.location,
                          {**evidence(row), "points": [list(p) for p in ring]})  # fmt: skip
                break


@rule("ANN012", "polygon-invalid", "annotations", "error",
      "a polygon is self-intersecting, of zero area or otherwise invalid",
      needs=(COCO, VGG))  # fmt: skip
def polygon_invalid(release: Release) -> Iterator[Hit]:
    """A polygon crosses itself (a bow-tie), encloses no area, or is otherwise not a valid
    simple shape.

    Why: rasterisers fill self-intersecting outlines differently (even-odd or non-zero), so the
    mask a model learns depends on the library, and its area and IoU are meaningless.
    Fix: redraw the outline without crossings.
    """
    for row in instances(release, readable=True).itertuples(index=False):
        polygon = row.polygon
        if polygon is None:
            continue
        if polygon.area == 0:
            why = "encloses no area"
        elif not polygon.is_valid:
            why = f"is invalid: {shapely.is_valid_reason(polygon)}"
        else:
            continue
        yield Hit(f"{label(row.format)} {row.location} polygon {why}", row.image_id, row.file,
                  row.location, evidence(row))  # fmt: skip


@rule("ANN013", "outside-image", "annotations", "error",
      "a polygon or box lies outside its image",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def outside_image(release: Release) -> Iterator[Hit]:
    """A polygon vertex or a box corner lies outside the image (beyond the pixel tolerance).
    An object that reaches outside in several formats (converted from one another) is one
    finding, on the first of them in the conversion chain, listing the others. A box that a
    whole file or format writes some recognised wrong way (ANN018, ANN016) is judged as it
    reads once that is undone; of a COCO annotation whose bbox and polygon disagree, ANN016
    reports the wrong part (and what reaches outside with it), so only the other is judged,
    and the other formats' copies of the wrong part are not.

    Why: the annotation marks pixels that do not exist; loaders clip it to something else or
    fail, and the drawn fracture is not where the radiograph shows it.
    Fix: redraw the annotation inside the image, or correct the image size it was drawn on.
    """
    real, tolerance = sizes(release), release.tolerances.pixels
    resized = resized_images(release)  # IMG009 reports those images, once
    parts, copies = splits(release), carried(release)
    by_object: dict[int, list] = {}
    for row in instances(release, boxed=True).itertuples(index=False):
        size = real.get(row.image_id)
        if size is None or row.image_id in resized:
            continue
        if (row.format, row.image_id, row.instance) in copies:
            continue  # it carries the wrong part of a COCO annotation: ANN016 lists it
        split = parts.get((row.image_id, row.instance)) if row.format == "coco" else None
        if split is not None and split.wrong == "polygon":
            continue  # ANN016 reports the polygon, and its bbox is inside the others'
        x0, y0, x1, y1 = read_box(release, row) or box(row)
        if split is not None:
            x0, y0, x1, y1 = split.read_as or row.polygon.bounds
        if row.polygon is not None:
            px0, py0, px1, py1 = row.polygon.bounds
            x0, y0, x1, y1 = min(x0, px0), min(y0, py0), max(x1, px1), max(y1, py1)
        width, height = size
        beyond = max(-x0, -y0, x1 - width, y1 - height)
        if beyond > tolerance:
            item = object_of(release, row)
            key = id(item) if item is not None else id(row)
            by_object.setdefault(key, []).append((row, beyond, size))
    for found in by_object.values():
        found.sort(key=lambda f: CHAIN.index(f[0].format))
        row, beyond, (width, height) = found[0]
        others = [r.format for r, _, _ in found[1:]]
        also = f" (as do {listing(others)})" if others else ""
        yield Hit(f"{label(row.format)} {row.location} reaches {beyond:.1f} px outside the "
                  f"{width}x{height} image{also}", row.image_id, row.file, row.location,
                  {**evidence(row), "image_size": [width, height],
                   "formats": [r.format for r, _, _ in found],
                   "files": list(dict.fromkeys(r.file for r, _, _ in found))})  # fmt: skip


@rule("ANN014", "box-degenerate", "annotations", "error",
      "a box has no area or its corners are swapped",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def box_degenerate(release: Release) -> Iterator[Hit]:
    """A box's width or height is zero or negative: a COCO bbox with w <= 0, a YOLO w <= 0, a
    VOC box with xmax <= xmin (swapped corners) or ymax <= ymin. A box of no width or height
    where every other format's box of the object is under a pixel wide or high is the faithful
    rounding of a sliver (VOC writes whole pixels): the finding about the sliver (ANN030,
    ANN031, ANN033) says it, not this rule.

    Why: loaders reject the box or flip it, and the instance is lost or misplaced.
    Fix: write the box with its corners in order (xmin < xmax, ymin < ymax).
    """
    for row in instances(release, boxed=True).itertuples(index=False):
        width, height = row.x1 - row.x0, row.y1 - row.y0
        if width > 0 and height > 0:
            continue
        swapped = width < 0 or height < 0
        if not swapped and _rounded_sliver(release, row, width, height):
            continue
        why = "has its corners swapped" if swapped else "has no area"
        yield Hit(f"{label(row.format)} {row.location} box {why} (x0={row.x0:g}, y0={row.y0:g}, "
                  f"x1={row.x1:g}, y1={row.y1:g})", row.image_id, row.file, row.location,
                  {**evidence(row), "as_written": [row.x0, row.y0, row.x1, row.y1]})  # fmt: skip


def _rounded_sliver(release: Release, row, width: float, height: float) -> bool:
    """The box has no width (or height) because every other format's box of its object is
    under a pixel wide (or high), and it was rounded to whole pixels."""
    item = object_of(release, row)
    others = [] if item is None else [vote for fmt, vote in item.verdict.votes.items()
                                      if fmt != row.format]  # fmt: skip
    if not others:
        return False
    sides = [(vote[2] - vote[0], vote[3] - vote[1]) for vote in others]
    return ((width > 0 or all(0 < w < 1 for w, _ in sides))
            and (height > 0 or all(0 < h < 1 for _, h in sides)))  # fmt: skip


@rule("ANN015", "yolo-out-of-range", "annotations", "error",
      "a YOLO value is outside [0, 1]", needs=(YOLO,))  # fmt: skip
def yolo_out_of_range(release: Release) -> Iterator[Hit]:
    """A YOLO centre, width or height is below 0 or above 1.

    Why: YOLO values are fractions of the image's size; anything outside [0, 1] is a box that
    is not normalised (pixels written by mistake) or runs off the image.
    Fix: regenerate the YOLO line from the COCO box, dividing by the image's width and height.
    """
    for row in instances(release, "yolo", readable=True).itertuples(index=False):
        values = dict(zip(("cx", "cy", "w", "h"), row.extra["normalised"], strict=True))
        wrong = {k: v for k, v in values.items() if not 0 <= v <= 1}
        if wrong:
            shown = ", ".join(f"{k}={v:g}" for k, v in wrong.items())
            yield Hit(f"{row.file} {row.location} has {shown}, outside [0, 1]", row.image_id,
                      row.file, row.location, {**evidence(row), "normalised": values})  # fmt: skip
