"""Agreement: within COCO, box and area agree with the mask; across formats, every instance has
the same box (YOLO, VOC) and the same polygon (VGG) as in COCO."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from fracqa.catalogue import rule
from fracqa.checks.annotation_facts import evidence, instances, label, resized_images
from fracqa.geometry import box, corner_distance, match, vertex_distance
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


def _by_image(table: pd.DataFrame) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for row in table.itertuples(index=False):
        if isinstance(row.image_id, str):  # a COCO annotation of no listed image has none
            grouped.setdefault(row.image_id, []).append(row)
    return grouped


@rule("ANN018", "box-disagreement", "annotations", "error",
      "one instance has different boxes in different formats",
      needs=(COCO, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def box_disagreement(release: Release) -> Iterator[Hit]:
    """Instances of an image are matched one to one across formats by box IoU, against COCO
    (or YOLO where COCO is unreadable); a YOLO or VOC box with a corner more than the pixel
    tolerance (1 px) from its match is reported, with the IoU of the two. Within the tolerance
    the boxes agree whatever their IoU: the release's own COCO -> YOLO -> VOC chain rounds to
    whole pixels, which alone drops the IoU of its smallest boxes (3 px wide) below 0.9.

    Why: the YOLO and VOC boxes were derived from the COCO masks; when they drift, detectors
    trained on one format learn different fracture locations from those trained on another.
    Fix: regenerate the drifted format's boxes from the COCO annotations.
    """
    tolerances = release.tolerances
    boxed = instances(release, boxed=True)
    order = [f for f in ("coco", "yolo", "voc") if release.annotations.readable(f)]
    if len(order) < 2:
        return
    tables = {fmt: _by_image(boxed[boxed["format"] == fmt]) for fmt in order}
    images = set().union(*(tables[f].keys() for f in order)) - set(resized_images(release))
    for image_id in sorted(images):  # a resized image's YOLO boxes scale with it: IMG009's
        present = [f for f in order if image_id in tables[f]]
        if len(present) < 2:
            continue
        reference, others = present[0], present[1:]
        reference_rows = tables[reference][image_id]
        disagreements: dict[int, list[dict]] = {}
        for fmt in others:
            rows = tables[fmt][image_id]
            pairs = match([box(r) for r in reference_rows], [box(r) for r in rows])
            for i, j, overlap in pairs:
                a, b = box(reference_rows[i]), box(rows[j])
                off = corner_distance(a, b)
                if off > tolerances.pixels:
                    disagreements.setdefault(i, []).append(
                        {"format": fmt, "file": rows[j].file, "location": rows[j].location,
                         "box": b, "iou": round(overlap, 3), "max_corner_px": round(off, 1)}
                    )  # fmt: skip
        for i, differing in sorted(disagreements.items()):
            row = reference_rows[i]
            said = "; ".join(f"{label(d['format'])} {d['location']} has {d['box']} (IoU "
                             f"{d['iou']:.2f}, {d['max_corner_px']:g} px off)"
                             for d in differing)  # fmt: skip
            yield Hit(f"{label(reference)} {row.location} box {box(row)} disagrees: {said}",
                      image_id, row.file, row.location,
                      {**evidence(row), "others": differing,
                       "files": [row.file, *(d["file"] for d in differing)]})  # fmt: skip


@rule("ANN019", "vgg-polygon-mismatch", "annotations", "error",
      "a VGG polygon is not the COCO polygon", needs=(COCO, VGG))  # fmt: skip
def vgg_polygon_mismatch(release: Release) -> Iterator[Hit]:
    """The VGG file is a lossless copy of the COCO masks: each VGG polygon, matched to a COCO
    polygon of the same image by box IoU, must have the same vertices (within the pixel
    tolerance).

    Why: segmentation models trained from the VGG file learn other outlines than those trained
    from COCO, and results across papers stop being comparable.
    Fix: regenerate the VGG file from the COCO file.
    """
    if not (release.annotations.readable("coco") and release.annotations.readable("vgg")):
        return
    boxed = instances(release, boxed=True)
    with_polygon = boxed["rings"].map(bool)
    coco = _by_image(boxed[(boxed["format"] == "coco") & with_polygon])
    vgg = _by_image(boxed[(boxed["format"] == "vgg") & with_polygon])
    tolerance = release.tolerances.pixels
    for image_id in sorted(set(coco) & set(vgg)):
        theirs, ours = coco[image_id], vgg[image_id]
        for i, j, _ in match([box(r) for r in theirs], [box(r) for r in ours]):
            a, b = theirs[i].rings[0], ours[j].rings[0]
            off = vertex_distance(a, b)
            if off is None or off > tolerance:
                what = (f"has {len(b)} vertices where COCO has {len(a)}" if off is None
                        else f"is {off:.1f} px from COCO's")  # fmt: skip
                row = ours[j]
                yield Hit(f"VGG {row.location} polygon {what} ({theirs[i].location})", image_id,
                          row.file, row.location,
                          {**evidence(row), "coco_polygon": [list(p) for p in a],
                           "coco_location": theirs[i].location,
                           "files": [theirs[i].file, row.file]})  # fmt: skip

