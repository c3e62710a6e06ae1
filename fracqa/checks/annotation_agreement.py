"""Agreement: within COCO, box and area agree with the mask; across formats, every instance has
the same box (COCO, YOLO, VOC, VGG's polygon bounds) and the same polygon (COCO, VGG), and a
disagreement is blamed on the format the others outvote."""

from __future__ import annotations

from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.checks.annotation_facts import evidence, instances, label
from fracqa.checks.annotation_votes import BOX_FORMATS, Object, instance_groups, listing
from fracqa.geometry import box, corner_distance, iou, open_ring, vertex_distance
from fracqa.inputs import COCO, IMAGE_HEADERS, VGG, VOC, YOLO
from fracqa.model import Hit
from fracqa.release import Release


@rule("ANN016", "coco-bbox-polygon", "annotations", "error",
      "a COCO bbox is not the bounds of its polygon", needs=(COCO,))  # fmt: skip
def coco_bbox_polygon(release: Release) -> Iterator[Hit]:
    """A COCO annotation's bbox differs from the bounding box of its own polygon by more than
    the pixel tolerance.

    Why: detection models train on the bbox and segmentation models on the polygon; when they
    disagree, one of them marks the wrong place.
    Fix: recompute the bbox from the polygon ([min x, min y, width, height]).
    """
    tolerance = release.tolerances.pixels
    for row in instances(release, "coco", boxed=True).itertuples(index=False):
        if row.polygon is None:
            continue
        bounds = [round(v, 2) for v in row.polygon.bounds]
        off = corner_distance(box(row), bounds)
        if off > tolerance:
            yield Hit(f"COCO {row.location} bbox {box(row)} is {off:.1f} px from its polygon's "
                      f"bounds {bounds}", row.image_id, row.file, row.location,
                      {**evidence(row), "polygon_bounds": bounds})  # fmt: skip


@rule("ANN017", "coco-area", "annotations", "warning",
      "a COCO area is not the area of its polygon", needs=(COCO,))  # fmt: skip
def coco_area(release: Release) -> Iterator[Hit]:
    """A COCO annotation's `area` differs from the area its polygon encloses by more than the
    relative tolerance (10 % by default).

    Why: COCO evaluation sorts instances into small, medium and large by `area`; a wrong area
    puts the fracture in the wrong bucket and skews the published APs.
    Fix: recompute `area` from the polygon.
    """
    tolerance = release.tolerances.area
    for row in instances(release, "coco", readable=True).itertuples(index=False):
        stated, polygon = row.extra.get("area"), row.polygon
        if stated is None or polygon is None or not polygon.is_valid or polygon.area == 0:
            continue
        if abs(stated - polygon.area) > tolerance * polygon.area + 1:
            yield Hit(f"COCO {row.location} area is {stated:g} but its polygon encloses "
                      f"{polygon.area:.1f} px² ({stated / polygon.area:.2f}x)", row.image_id,
                      row.file, row.location,
                      {**evidence(row), "area": stated,
                       "polygon_area": round(polygon.area, 2)})  # fmt: skip


@rule("ANN018", "box-disagreement", "annotations", "error",
      "one instance has different boxes in different formats",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def box_disagreement(release: Release) -> Iterator[Hit]:
    """The instances of an image are matched across formats (by box IoU, then by nearest
    centre) and each format votes for the instance's box: COCO's bbox, YOLO's and VOC's boxes,
    and the bounds of VGG's polygon. A box more than the pixel tolerance (1 px) from those of
    most of the other formats is the odd one out, and the finding names its file; when no
    majority agrees, the finding says so and names the first format that departs from COCO
    (the source the others were converted from). Within the tolerance boxes agree whatever
    their IoU: the release's own COCO -> YOLO -> VOC chain rounds to whole pixels, which alone
    drops the IoU of its smallest boxes below 0.9. A VGG polygon alone at odds is ANN019's,
    and a COCO bbox outvoted while its own polygon agrees with the others is ANN016's.

    Why: the YOLO and VOC boxes were derived from the COCO masks; when they drift, detectors
    trained on one format learn different fracture locations from those trained on another.
    Fix: regenerate the odd format's boxes from the COCO annotations (or, when COCO is the odd
    one, correct its bbox and polygon from the other formats or redraw them).
    """
    tolerance = release.tolerances.pixels
    for objects in instance_groups(release).values():
        for found in objects:
            if found.verdict.box_dispute() and not _bbox_alone(found, tolerance):
                yield _box_dispute(found)


def _bbox_alone(found: Object, tolerance: float) -> bool:
    """COCO's bbox is the odd one out while its own polygon agrees with the majority: the bbox
    alone is wrong, which ANN016 reports."""
    result, coco = found.verdict, found.members.get("coco")
    if result.majority is None or result.odd != ["coco"] or coco.polygon is None:
        return False
    bounds = [round(float(v), 2) for v in coco.polygon.bounds]
    return corner_distance(bounds, result.consensus) <= tolerance


def _box_dispute(found: Object) -> Hit:
    result, members = found.verdict, found.members
    if result.majority is not None:
        blamed = next(f for f in result.odd if f in BOX_FORMATS)
        row = members[blamed]
        said = (f"disagrees with {listing(result.majority)}, which "
                f"{'agree' if len(result.majority) > 1 else 'agrees'} on {result.consensus}")
    else:
        source = result.clusters[0]
        departing = [f for f in result.votes if f not in source]
        blamed = next((f for f in departing if f in BOX_FORMATS), departing[0])
        row = members[blamed]
        views = "; ".join(f"{listing(c)} {'have' if len(c) > 1 else 'has'} {result.votes[c[0]]}"
                          for c in result.clusters)  # fmt: skip
        said = (f"disagrees and no majority decides ({views}); named here is the first format "
                f"that departs from {label(source[0])}")
    mine, theirs = result.votes[blamed], result.consensus
    overlap, off = iou(mine, theirs), corner_distance(mine, theirs)
    votes = [{"format": f, "file": members[f].file, "location": members[f].location,
              "box": result.votes[f]} for f in result.votes]  # fmt: skip
    files = list(dict.fromkeys([row.file, *(v["file"] for v in votes)]))
    return Hit(f"{label(blamed)} {row.location} box {mine} {said} (IoU {overlap:.2f}, "
               f"{off:g} px off)", found.image_id, row.file, row.location,
               {**evidence(row), "odd": result.odd, "majority": result.majority,
                "consensus": theirs, "iou": round(overlap, 3), "max_corner_px": round(off, 1),
                "votes": votes, "files": files})  # fmt: skip


@rule("ANN019", "vgg-polygon-mismatch", "annotations", "error",
      "a VGG polygon is not the COCO polygon",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def vgg_polygon_mismatch(release: Release) -> Iterator[Hit]:
    """The VGG file is a lossless copy of the COCO masks: each VGG polygon, matched to a COCO
    polygon of the same image, must have the same vertices (within the pixel tolerance; a last
    vertex that repeats the first, as some exporters close a ring, is the same outline). The
    boxes of the other formats say which of the two moved: VGG's when its bounds alone depart
    from the other formats' boxes, COCO's when its polygon departs from them (its own bbox
    included) while VGG's agrees; when the boxes cannot tell, the finding names the VGG copy.
    When COCO's whole annotation is the odd one out, ANN018 reports it, not this rule.

    Why: segmentation models trained from the VGG file learn other outlines than those trained
    from COCO, and results across papers stop being comparable.
    Fix: regenerate the VGG file from the COCO file, or redraw the COCO polygon when it is the
    one that moved.
    """
    if not (release.annotations.readable("coco") and release.annotations.readable("vgg")):
        return
    tolerance = release.tolerances.pixels
    for objects in instance_groups(release).values():
        for found in objects:
            coco, vgg = found.members.get("coco"), found.members.get("vgg")
            if coco is None or vgg is None or not coco.rings or not vgg.rings:
                continue
            a, b = coco.rings[0], vgg.rings[0]
            off = vertex_distance(a, b)
            if off is not None and off <= tolerance:
                continue
            result = found.verdict
            if result.box_dispute() and ("coco" in result.odd or result.majority is None):
                continue  # COCO's annotation as a whole is at odds: ANN018 reports it
            yield _polygon_dispute(found, coco, vgg, off, tolerance)


def _polygon_dispute(found: Object, coco, vgg, off: float | None, tolerance: float) -> Hit:
    result = found.verdict
    others = [f for f in result.votes if f not in ("coco", "vgg")] + ["coco"]
    coco_bounds = _bounds(coco.rings[0])
    coco_moved = (corner_distance(coco_bounds, result.consensus) > tolerance
                  and corner_distance(result.votes["vgg"], result.consensus) <= tolerance)
    if "vgg" in result.odd and result.majority is not None:
        blamed, other = vgg, coco
        why = f"its bounds alone depart from the boxes of {listing(result.majority)}"
    elif coco_moved:
        blamed, other = coco, vgg
        why = (f"VGG's agrees with the boxes of {listing(others)}: the COCO polygon is the one "
               "that moved (its own bbox included)")
    else:
        blamed, other = vgg, coco
        why = "the other formats' boxes cannot tell which is right; VGG is the copy"
    mine, theirs = open_ring(blamed.rings[0]), open_ring(other.rings[0])
    what = (f"has {len(mine)} vertices where {label(other.format)} has {len(theirs)}"
            if off is None else f"is {off:.1f} px from {label(other.format)}'s")  # fmt: skip
    return Hit(f"{label(blamed.format)} {blamed.location} polygon {what} ({other.location}); "
               f"{why}", found.image_id, blamed.file, blamed.location,
               {**evidence(blamed), f"{other.format}_polygon": [list(p) for p in theirs],
                f"{other.format}_location": other.location, "consensus": result.consensus,
                "files": [blamed.file, other.file]})  # fmt: skip


def _bounds(ring) -> list[float]:
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return [round(float(v), 2) for v in (min(xs), min(ys), max(xs), max(ys))]
