"""Geometry: every polygon is a valid shape and every box a real box, inside its image."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import shapely

from fracqa.catalogue import rule
from fracqa.checks.annotation_extras import EXTRA_INPUTS, count_note, extras
from fracqa.checks.annotation_facts import evidence, instances, label, resized_images, sizes
from fracqa.checks.annotation_parts import carried, splits
from fracqa.checks.annotation_votes import CHAIN, listing, object_of, read_box
from fracqa.geometry import box, corner_distance, outline_distance, ring_points
from fracqa.inputs import COCO, CSV, IMAGE_HEADERS, VGG, VOC, YOLO
from fracqa.model import Hit
from fracqa.release import Release


@rule("ANN011", "polygon-too-few-points", "annotations", "error",
      "a polygon has fewer than three points",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS, CSV))  # fmt: skip
def polygon_too_few_points(release: Release) -> Iterator[Hit]:
    """A COCO or VGG polygon has fewer than three vertices. A COCO segmentation written as
    [x, y] pairs ([[x, y], [x, y], ...]) rather than one flat list per polygon is named so (it
    reads as polygons of one point each); a COCO polygon of two points is one pycocotools
    takes for a box. One outline written so in COCO and in VGG is one finding, on COCO, naming
    VGG's copy; when only one of the two is broken and the other is a full outline on the same
    box, the finding says so (restore it from there), and ANN019 does not compare them. An
    outline that no format draws whole, and without which every format has fracture_count's
    number of instances, is an extra instance (a stray click): the finding says so, lists the
    YOLO and VOC boxes converted from it, and CSV003 does not report the count.

    Why: it encloses no area, so its mask is empty or wrong: public loaders skip such
    polygons, pycocotools refuses [x, y] pairs ('input type is not supported') and fills a
    two-point polygon's four numbers as a box [x, y, width, height]; the fracture silently
    disappears from segmentation training or is drawn elsewhere.
    Fix: redraw the fracture's outline (or write it from the format that has it whole; for
    [x, y] pairs, flatten each polygon into one list).
    """
    for fault in _outline_faults(release):
        if fault.code == "ANN011":
            yield fault.hit()


@rule("ANN012", "polygon-invalid", "annotations", "error",
      "a polygon is self-intersecting, of zero area or otherwise invalid",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS, CSV))  # fmt: skip
def polygon_invalid(release: Release) -> Iterator[Hit]:
    """A polygon crosses itself (a bow-tie), touches itself (a spike, a loop), encloses no area
    (its points on one line), or is otherwise not a valid simple shape. A bow-tie is said to
    cross itself, with the area its lobes enclose (what rasterisers fill) and its signed area
    (what a shoelace `area` gives, none for a symmetric bow-tie). One outline invalid in COCO
    and in VGG alike is one finding, on COCO, naming VGG's copy; when only one of the two is
    invalid and the other is a valid outline on the same box, the finding says so, and
    ANN019 does not compare them.

    Why: rasterisers fill self-intersecting outlines differently (even-odd or non-zero), so the
    mask a model learns depends on the library, and its area and IoU are meaningless.
    Fix: redraw the outline without crossings (or write it from the format that has it valid).
    """
    for fault in _outline_faults(release):
        if fault.code == "ANN012":
            yield fault.hit()


@dataclass
class _Fault:
    """An outline that is no valid polygon, in COCO or VGG or both alike."""

    code: str
    rows: list  # the broken instances: COCO's first, then VGG's copy
    said: str
    details: dict
    copy: object | None = None  # the other format's valid outline on the same box

    def hit(self) -> Hit:
        row = self.rows[0]
        message = f"{label(row.format)} {row.location} {self.said}"
        if len(self.rows) > 1:
            other = self.rows[1]
            message += f"; {label(other.format)}'s copy ({other.location}) is the same outline"
        elif self.copy is not None and self.details.get("pattern") == "pairs":
            other = self.copy
            message += (f"; flattened, it is {label(other.format)}'s outline ({other.location})"
                        if self.details.get("flattened_is_copy") else
                        f"; {label(other.format)}'s copy ({other.location}) is a valid outline "
                        "on the same box")  # fmt: skip
        elif self.copy is not None:
            other = self.copy
            message += (f"; {label(other.format)}'s copy ({other.location}) is a valid outline "
                        f"of {len(ring_points(other.rings[0]))} points on the same box: write "
                        f"the {label(row.format)} polygon from it")  # fmt: skip
        if self.details.get("extra"):
            message += (f"{self.details['extra']}: it is an extra instance, so delete it in "
                        "every format that has it (or, if it marks a fracture, redraw it and "
                        "count it in fracture_count)")
        files = [r.file for r in self.rows] + ([self.copy.file] if self.copy is not None else [])
        files += self.details.get("carried_in", [])
        return Hit(message, row.image_id, row.file, row.location,
                   {**evidence(row), **self.details, "formats": [r.format for r in self.rows],
                    "files": list(dict.fromkeys(files))})  # fmt: skip


def _outline_faults(release: Release) -> list[_Fault]:
    def compute():
        tolerance, found, by_row = release.tolerances.pixels, [], {}
        for row in instances(release, readable=True).itertuples(index=False):
            if row.format not in ("coco", "vgg") or not row.rings:
                continue
            fault = _fault(row)
            if fault is not None:
                found.append(fault)
                by_row[(row.format, row.image_id, row.instance)] = fault
        result = []
        for fault in found:
            row = fault.rows[0]
            item = object_of(release, row)
            other_format = "vgg" if row.format == "coco" else "coco"
            other = None if item is None else item.members.get(other_format)
            if other is None:
                result.append(fault)
                continue
            twin = by_row.get((other.format, other.image_id, other.instance))
            if twin is not None:
                if twin.code == fault.code and _same(row, other, tolerance):
                    if row.format == "coco":  # one finding for the two, on COCO
                        fault.rows.append(other)
                        result.append(fault)
                    continue
                result.append(fault)
                continue
            if other.polygon is not None and other.polygon.is_valid and corner_distance(
                    item.verdict.votes.get(other.format, box(other)),
                    item.verdict.votes.get(row.format, box(row))) <= tolerance:  # fmt: skip
                fault.copy = other
                if fault.details.get("pattern") == "pairs":
                    fault.details["flattened_is_copy"] = outline_distance(
                        fault.details["points"], other.rings[0]) <= tolerance
            result.append(fault)
        return result

    def noted():
        faults = compute()
        spare = extras(release)
        for fault in faults:
            row = fault.rows[0]
            if fault.code != "ANN011" or row.instance not in spare.get((row.format,
                                                                       row.image_id), ()):
                continue
            note = count_note(release, row.image_id, "this instance", counted=False)
            if note:
                item = object_of(release, row)
                fault.details["extra"] = note
                fault.details["carried_in"] = [] if item is None else [
                    m.file for f, m in item.members.items() if f in ("yolo", "voc")]
        return faults

    return release.derived("outline-faults", noted, uses=EXTRA_INPUTS)


def _same(a, b, tolerance: float) -> bool:
    """Whether two broken outlines are the same (their points, in any order of rings)."""
    points_a = [p for ring in a.rings for p in ring]
    points_b = [p for ring in b.rings for p in ring]
    return outline_distance(points_a, points_b) <= tolerance


def _fault(row) -> _Fault | None:
    """What makes the instance's outline no valid polygon, if anything."""
    rings = row.rings
    short = [ring for ring in rings if len(ring) < 3]
    if short:
        points = [list(p) for ring in rings for p in ring]
        if row.format == "coco" and len(rings) >= 3 and all(len(ring) == 1 for ring in rings):
            return _Fault("ANN011", [row],
                          f"writes its polygon as {len(rings)} [x, y] pairs ([[x, y], [x, y], "
                          "...]) where COCO has one flat list per polygon ([x1, y1, x2, y2, "
                          "...]): pycocotools takes each pair for a polygon of one point and "
                          "cannot rasterise it ('input type is not supported')",
                          {"points": points, "pattern": "pairs"})  # fmt: skip
        said = f"has a polygon of {len(short[0])} point{'s' if len(short[0]) != 1 else ''}"
        if row.format == "coco" and len(rings[0]) == 2:
            said += (" (4 numbers): pycocotools takes a polygon of 4 numbers for a box "
                     "[x, y, width, height] and fills that rectangle")
        else:
            said += ", which encloses no area"
        return _Fault("ANN011", [row], said, {"points": [list(p) for p in short[0]]})
    polygon = row.polygon
    if polygon is None or (polygon.is_valid and polygon.area > 0):
        return None
    filled = float(shapely.make_valid(polygon).area)
    reason = shapely.is_valid_reason(polygon)
    where = _where_crossed(reason)
    if filled == 0:
        said = "polygon encloses no area (its points lie on one line)"
    elif abs(filled - abs(polygon.area)) > 0.01 * filled:
        said = (f"polygon crosses itself{where}, a bow-tie: rasterisers fill its lobes "
                f"({filled:.1f} px²) but its signed area (the shoelace formula's, a COCO "
                f"`area`'s) is {abs(polygon.area):.1f} px²")  # fmt: skip
    elif "Self-intersection" in reason:
        said = f"polygon touches itself{where} (a spike or a loop along its outline)"
    else:
        said = f"polygon is invalid: {reason}"
    return _Fault("ANN012", [row], said, {"reason": reason, "filled_area": round(filled, 2),
                                          "signed_area": round(float(polygon.area), 2)})


def _where_crossed(reason: str) -> str:
    """' at (5, 5)' from shapely's 'Self-intersection[5 5]'."""
    if "[" not in reason:
        return ""
    numbers = reason[reason.index("[") + 1:reason.rindex("]")].split()
    try:
        x, y = (float(v) for v in numbers[:2])
    except ValueError:
        return ""
    return f" at ({round(x, 1):g}, {round(y, 1):g})"


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
    """A YOLO centre, width or height is below 0 or above 1. A file whose every line has a value
    above 1 was written in pixels: one finding for the file.

    Why: YOLO values are fractions of the image's size; anything outside [0, 1] is a box that
    is not normalised (pixels written by mistake) or runs off the image. Ultralytics refuses
    the file ('non-normalized or out of bounds coordinates').
    Fix: regenerate the YOLO line from the COCO box, dividing by the image's width and height.
    """
    by_file: dict[str, list[tuple]] = {}
    for row in instances(release, "yolo", readable=True).itertuples(index=False):
        values = dict(zip(("cx", "cy", "w", "h"), row.extra["normalised"], strict=True))
        by_file.setdefault(row.file, []).append(
            (row, values, {k: v for k, v in values.items() if not 0 <= v <= 1}))
    for file, lines in by_file.items():
        if len(lines) > 1 and all(any(v > 1 for v in wrong.values()) for *_, wrong in lines):
            row, values, wrong = lines[0]
            shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
            yield Hit(f"{file}: every one of its {len(lines)} lines has values above 1, pixels "
                      f"rather than fractions of the image's width and height ({row.location}: "
                      f"{shown})", row.image_id, file, row.location,
                      {**evidence(row), "lines": [r.location for r, *_ in lines],
                       "normalised": [v for _, v, _ in lines]})  # fmt: skip
            continue
        for row, values, wrong in lines:
            if wrong:
                shown = ", ".join(f"{k}={v:g}" for k, v in wrong.items())
                yield Hit(f"{row.file} {row.location} has {shown}, outside [0, 1]",
                          row.image_id, row.file, row.location,
                          {**evidence(row), "normalised": values})  # fmt: skip
