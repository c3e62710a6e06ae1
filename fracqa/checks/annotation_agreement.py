"""Agreement: within COCO, box and area agree with the mask; across formats, every instance has
the same box (COCO, YOLO, VOC, VGG's polygon bounds) and the same polygon (COCO, VGG), and a
disagreement is blamed on the format the others outvote."""

from __future__ import annotations

from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.checks.annotation_facts import evidence, instances, label
from fracqa.checks.annotation_parts import Split, image_size, polygon_wrong, splits
from fracqa.checks.annotation_votes import (
    BOX_FORMATS,
    CHAIN,
    FILE_FORMATS,
    Object,
    Reading,
    instance_groups,
    listing,
    readings,
)
from fracqa.geometry import box, corner_distance, iou, outline_distance, ring_points
from fracqa.inputs import COCO, IMAGE_HEADERS, VGG, VOC, YOLO
from fracqa.model import Hit
from fracqa.release import Release


@rule("ANN016", "coco-bbox-polygon", "annotations", "error",
      "a COCO bbox is not the bounds of its polygon",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def coco_bbox_polygon(release: Release) -> Iterator[Hit]:
    """A COCO annotation's bbox differs from the bounding box of its own polygon by more than
    the pixel tolerance, and the finding says which of the two is wrong: the one written a way
    exporters write it wrong (a bbox as [x1, y1, x2, y2], as [cx, cy, w, h] or in 0-1 units; a
    polygon whose points are (y, x) or in 0-1 units, or with another part far outside its
    bbox), or else the one the other formats do not support (YOLO's and VOC's boxes and the
    bounds of VGG's polygon). It lists every file that carries the wrong part down the
    conversion chain: YOLO and VOC, converted from the bbox; VGG, a copy of the polygon. When
    the formats split along the chain and nothing else decides, the bbox is presumed wrong and
    the finding says that the image must decide. A pattern found in two annotations or more of
    one file is one finding for the file, naming them in its details. The consequences of a
    wrong polygon are not reported again (its area, ANN017; VGG's outline, ANN019; its mask,
    ANN033), nor those of a wrong bbox (outside the image, ANN013; outvoted, ANN018).

    Why: detection models train on the bbox and segmentation models on the polygon; when they
    disagree, one of them marks the wrong place, and every format converted from it too.
    Fix: correct the part the finding names: recompute a wrong bbox from the polygon
    ([min x, min y, width, height]), or redraw a wrong polygon (or write it as the format that
    agrees with the bbox has it); then regenerate every file the finding lists as carrying it.
    """
    found = splits(release)
    grouped: dict[tuple, list[Split]] = {}
    for split in found.values():
        key = (split.row.file, split.wrong, split.pattern) if split.pattern else (id(split),)
        grouped.setdefault(key, []).append(split)
    totals = instances(release, "coco", boxed=True)["file"].value_counts().to_dict()
    for members in grouped.values():
        if len(members) == 1:
            yield _split_hit(members[0])
        else:
            yield _split_pattern(members, totals.get(members[0].row.file, len(members)))


def _agree(formats: list[str]) -> str:
    return "agree" if len(formats) > 1 else "agrees"


def _carried(split: Split) -> str:
    """'; YOLO and VOC (converted from the bbox) carry the same error'."""
    carriers = [row.format for row in split.carriers]
    if not carriers:
        return ""
    source = "converted from the bbox" if split.wrong == "bbox" else "a copy of the polygon"
    if split.wrong == "polygon" and carriers != ["vgg"]:
        source = "which agree with it"
    return (f"; {listing(carriers)} ({source}) {'carry' if len(carriers) > 1 else 'carries'} "
            "the same error")


def _split_hit(split: Split) -> Hit:
    row = split.row
    where = f"COCO {row.location}"
    if split.wrong == "bbox":
        head = f"{where} bbox {split.bbox} " + (
            f"{split.said} (read so, {[round(v, 2) for v in split.read_as]})" if split.said
            else f"is {split.off:g} px from its polygon's bounds {split.bounds}")  # fmt: skip
    else:
        head = f"{where} polygon (bounds {split.bounds}) " + (
            split.said if split.said else f"is {split.off:g} px from its bbox {split.bbox}")
    supporters, right = split.supporters, "polygon" if split.wrong == "bbox" else "bbox"
    if split.presumed and supporters and split.carriers:
        verdict = (f"; {listing(supporters)} {_agree(supporters)} with the {right} and "
                   f"{listing([r.format for r in split.carriers])} with the {split.wrong} "
                   f"(converted from it): the formats split along the conversion chain, and "
                   f"the bbox, which COCO defines as its polygon's bounds, is presumed wrong "
                   f"(check the image)")  # fmt: skip
    elif split.presumed:
        verdict = ("; no other format agrees with either: the bbox, which COCO defines as its "
                   "polygon's bounds, is presumed wrong (check the image)")
    else:
        verdict = (f"; {listing(supporters)} {_agree(supporters)} with the {right}"
                   if supporters else "") + f": the {split.wrong} is wrong" + _carried(split)
    if split.outside is not None:
        beyond, width, height = split.outside
        verdict += (f"; the {split.wrong} reaches {beyond:g} px outside the {width:g}x{height:g} "
                    "image")
    return Hit(head + verdict, row.image_id, row.file, row.location,
               _split_details(split))


def _split_details(split: Split) -> dict:
    return {**evidence(split.row), "polygon_bounds": split.bounds, "wrong": split.wrong,
            "pattern": split.pattern, "presumed": split.presumed,
            "with_bbox": split.with_bbox, "with_polygon": split.with_polygon,
            "carriers": [{"format": r.format, "file": r.file, "location": r.location}
                         for r in split.carriers],
            "files": list(dict.fromkeys([split.row.file, *(r.file for r in split.carriers)]))}


# A pattern of several annotations, in words that fit all of them.
_GROUP_WORDS = {
    ("bbox", "x1y1x2y2"): "is written [x1, y1, x2, y2], not [x, y, width, height]",
    ("bbox", "cxcywh"): "is written [cx, cy, width, height], not [x, y, width, height]",
    ("bbox", "normalised"): "is in 0-1 units (fractions of its image), not pixels",
    ("polygon", "yx"): "has its points written (y, x)",
    ("polygon", "normalised"): "is in 0-1 units (fractions of its image), not pixels",
    ("polygon", "stray-part"): "has another part outside its bbox, which pycocotools merges "
                               "into the mask",
}  # fmt: skip


def _split_pattern(members: list[Split], total: int) -> Hit:
    """One finding for a pattern found in several annotations of one COCO file."""
    first = members[0]
    row, part = first.row, first.wrong
    supporters = [f for f in CHAIN if any(f in m.supporters for m in members)]
    carriers = [f for f in CHAIN if any(r.format == f for m in members for r in m.carriers)]
    carrier_files = list(dict.fromkeys(r.file for m in members for r in m.carriers))
    right = "polygons" if part == "bbox" else "bboxes"
    said = _GROUP_WORDS.get((part, first.pattern), first.said.split(":")[0])
    message = (f"COCO {part} {said}, in {len(members)} of {total} annotations (the first "
               f"{row.location})")
    if supporters:
        message += f"; {listing(supporters)} {_agree(supporters)} with the {right}"
    if carriers:
        message += (f"; {listing(carriers)} carry the same error in {len(carrier_files)} "
                    f"file{'s' if len(carrier_files) > 1 else ''}")
    images = sorted({m.row.image_id for m in members})
    return Hit(message, images[0] if len(images) == 1 else None, row.file, row.location,
               {"wrong": part, "pattern": first.pattern, "count": len(members),
                "annotations": total, "with_right_part": supporters, "carriers": carriers,
                "instances": [{"image_id": m.row.image_id, "location": m.row.location,
                               "bbox": m.bbox, "polygon_bounds": m.bounds}
                              for m in members][:50],
                "files": [row.file, *carrier_files[:50]]})  # fmt: skip


@rule("ANN017", "coco-area", "annotations", "warning",
      "a COCO area is not the area of its polygon",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def coco_area(release: Release) -> Iterator[Hit]:
    """A COCO annotation's `area` differs from the area its polygon encloses by more than the
    relative tolerance (10 % by default). Areas written one wrong way throughout (divided by
    the image's area, that is in 0-1 units; the bbox's width x height; or one factor off,
    such as x100) are one finding per COCO file naming the way and the annotations; a polygon
    that ANN016 finds wrong is not compared.

    Why: COCO evaluation sorts instances into small, medium and large by `area`; a wrong area
    puts the fracture in the wrong bucket and skews the published APs.
    Fix: recompute `area` from the polygon.
    """
    tolerance = release.tolerances.area
    wrong: dict[tuple, list] = {}
    for row in instances(release, "coco", readable=True).itertuples(index=False):
        stated, polygon = row.extra.get("area"), row.polygon
        if stated is None or polygon is None or not polygon.is_valid or polygon.area == 0:
            continue
        if abs(stated - polygon.area) <= tolerance * polygon.area + 1:
            continue
        if polygon_wrong(release, row):
            continue  # the polygon is what is wrong: ANN016
        pattern = _area_pattern(release, row, stated, polygon.area)
        wrong.setdefault((row.file, pattern[0] if pattern else id(row)), []).append(
            (row, stated, polygon.area, pattern))
    ratios: dict[str, list] = {}
    for key, found in list(wrong.items()):  # one factor off in several: "scaled"
        if len(found) == 1 and found[0][3] is None:
            ratios.setdefault(key[0], []).append(wrong.pop(key)[0])
    for file, found in ratios.items():
        for group in _same_ratio(found):
            if len(group) < LEAST_SCALED:
                for item in group:
                    wrong[(file, id(item[0]))] = [item]
                continue
            wrong[(file, "scaled", group[0][1] / group[0][2])] = [
                (row, stated, area, ("scaled", f"{stated / area:.3g}x its polygon's area"))
                for row, stated, area, _ in group]  # fmt: skip
    totals = instances(release, "coco", readable=True)["file"].value_counts().to_dict()
    for found in wrong.values():
        if len(found) == 1:
            row, stated, area, pattern = found[0]
            said = f": it is {pattern[1]}" if pattern else ""
            yield Hit(f"COCO {row.location} area is {stated:.6g} but its polygon encloses "
                      f"{area:.1f} px² ({stated / area:.3g}x){said}", row.image_id,
                      row.file, row.location,
                      {**evidence(row), "area": stated, "polygon_area": round(area, 2),
                       "pattern": pattern[0] if pattern else None})  # fmt: skip
            continue
        row, stated, area, (pattern, said) = found[0]
        if pattern == "normalised":
            said = "its polygon's area divided by its image's (0-1 units), not pixels"
        images = sorted({r.image_id for r, *_ in found})
        yield Hit(f"COCO area is {said}, in {len(found)} of {totals.get(row.file)} annotations "
                  f"(the first {row.location}: {stated:.6g} where its polygon encloses "
                  f"{area:.1f} px²)", images[0] if len(images) == 1 else None, row.file,
                  row.location,
                  {"pattern": pattern, "count": len(found), "annotations": totals.get(row.file),
                   "instances": [{"image_id": r.image_id, "location": r.location, "area": a,
                                  "polygon_area": round(p, 2)} for r, a, p, _ in found][:50],
                   "files": [row.file]})  # fmt: skip


LEAST_SCALED = 3  # areas one factor off their polygon's, to be one cause


def _area_pattern(release: Release, row, stated: float, area: float) -> tuple | None:
    """(pattern, words) when the area is written a way exporters write it wrong."""
    size = image_size(release, row.image_id)
    if size is not None and _close(stated, area / (size[0] * size[1])):
        return ("normalised", f"its polygon's area divided by its image's {size[0]:g}x"
                              f"{size[1]:g} (0-1 units), not pixels")  # fmt: skip
    width, height = row.x1 - row.x0, row.y1 - row.y0
    if _close(stated, width * height, 0.01):
        return ("bbox", "its bbox's width x height, not its polygon's area")
    return None


def _close(value: float, target: float, within: float = 0.05) -> bool:
    return target > 0 and abs(value - target) <= within * target


def _same_ratio(found: list) -> list[list]:
    """The annotations grouped by the ratio of their area to their polygon's (within 5 %)."""
    groups: list[list] = []
    for item in sorted(found, key=lambda f: f[1] / f[2]):
        ratio = item[1] / item[2]
        if groups and _close(ratio, groups[-1][0][1] / groups[-1][0][2]):
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


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
    and a COCO bbox outvoted while its own polygon agrees with the others, or a disagreement
    that follows a COCO annotation whose bbox and polygon disagree, is ANN016's.
    A YOLO or VOC file that writes every one of its boxes the same wrong way, so that read
    that way they all agree with the other formats, is one finding for the file naming the
    way: cx and cy swapped, x and y transposed, normalised by another size than its image's
    (its height and width, or another image's of the release), or (with two boxes or more)
    every box shifted alike; its boxes are then matched to the right objects. (A pixel
    convention about one pixel off, such as VOC's 1-based corners, is ANN038's.) An outvoted
    box that is the others' written in 0-1 units or with x and y swapped says so, and several
    such boxes of one file are one finding.

    Why: the YOLO and VOC boxes were derived from the COCO masks; when they drift, detectors
    trained on one format learn different fracture locations from those trained on another.
    Fix: regenerate the odd format's boxes from the COCO annotations (or, when COCO is the odd
    one, correct its bbox and polygon from the other formats or redraw them).
    """
    tolerance = release.tolerances.pixels
    chained: dict[tuple, list[Reading]] = {}
    for reading in readings(release):
        if reading.kind == "pixels" and release.runs("ANN015"):
            continue  # YOLO values in pixels: ANN015's, once per file
        if not reading.harmless:
            image_id = reading.members[0][0].image_id
            key = (image_id, reading.kind, str(reading.params))
            chained.setdefault(key, []).append(reading)
    for found in chained.values():
        yield _file_pattern(found)
    parts, patterned = splits(release), {}
    for objects in instance_groups(release).values():
        for found in objects:
            if found.verdict.box_dispute() and not _bbox_alone(found, tolerance, parts):
                hit = _box_dispute(release, found, tolerance)
                pattern = hit.details.get("pattern")
                if pattern is None:
                    yield hit
                else:
                    patterned.setdefault((hit.file, pattern), []).append(hit)
    for hits in patterned.values():
        yield hits[0] if len(hits) == 1 else _box_pattern(hits)


def _box_pattern(hits: list[Hit]) -> Hit:
    """One finding for the boxes of several objects of one file written one wrong way."""
    first = hits[0]
    fmt, said = first.details["format"], first.details["pattern_said"]
    agreeing = [f for f in CHAIN if any(f in (h.details["majority"] or []) for h in hits)]
    images = sorted({h.image_id for h in hits})
    return Hit(f"{label(fmt)} boxes {said.split(' (')[0]}, in {len(hits)} objects (the first "
               f"{first.location} of {first.image_id}): read so, they agree with "
               f"{listing(agreeing)}", images[0] if len(images) == 1 else None, first.file,
               first.location,
               {"format": fmt, "pattern": first.details["pattern"], "count": len(hits),
                "instances": [{"image_id": h.image_id, "location": h.location,
                               "box": h.details.get("box"), "consensus": h.details["consensus"]}
                              for h in hits][:50], "files": [first.file]})  # fmt: skip


def _box_written(release: Release, row, consensus: list[float], tolerance: float):
    """(pattern, words) when an outvoted box is the others' written a way exporters write
    boxes wrong: in 0-1 units, or with x and y swapped."""
    (x0, x1), (y0, y1) = sorted((row.x0, row.x1)), sorted((row.y0, row.y1))
    written = [float(v) for v in (x0, y0, x1, y1)]
    size = image_size(release, row.image_id)
    if size is not None and max(abs(v) for v in written) <= 1.5:
        scaled = [written[0] * size[0], written[1] * size[1], written[2] * size[0],
                  written[3] * size[1]]  # fmt: skip
        if corner_distance([round(v, 2) for v in scaled], consensus) <= tolerance:
            return ("normalised", f"are in 0-1 units (a fraction of the image's {size[0]:g}x"
                                  f"{size[1]:g}), not pixels")  # fmt: skip
    swapped = [written[1], written[0], written[3], written[2]]
    if corner_distance(swapped, consensus) <= tolerance:
        return ("transposed", "have x and y swapped")
    return None


def _where(reading: Reading) -> str:
    """'line 2', 'all 3 lines', 'object 1', 'all 4 objects'."""
    unit = "line" if reading.fmt == "yolo" else "object"
    rows = [row for row, _, _ in reading.members]
    return rows[0].location if len(rows) == 1 else f"all {len(rows)} {unit}s"


def _file_pattern(found: list[Reading]) -> Hit:
    """One finding for a YOLO or VOC file that writes every box the same wrong way (and the
    VOC file converted from such a YOLO file, which carries it)."""
    reading, carriers = found[0], found[1:]
    first = reading.members[0][0]
    boxes = "box agrees" if len(reading.members) == 1 else "boxes agree"
    members = [{"location": row.location, "box": box(row), "read_as": read}
               for row, _, read in reading.members]  # fmt: skip
    agreeing = [f for f in reading.agreeing if f not in {r.fmt for r in carriers}]
    carried = "".join(f"; {label(r.fmt)} ({r.members[0][0].file}, converted from it) carries "
                      "the same error" for r in carriers)  # fmt: skip
    return Hit(f"{first.file}: {reading.said} ({_where(reading)}): read so, its {boxes} with "
               f"{listing(agreeing)}{carried}", first.image_id, first.file, first.location,
               {"format": reading.fmt, "pattern": reading.kind, **reading.params,
                "instances": members, "agreeing": agreeing,
                "carriers": [r.fmt for r in carriers],
                "files": [first.file, *(r.members[0][0].file for r in carriers)]})  # fmt: skip


def _bbox_alone(found: Object, tolerance: float, parts: dict) -> bool:
    """COCO's bbox is the odd one out while its own polygon agrees with the majority, or every
    format at odds sides with the COCO annotation's bbox or with its polygon, which disagree:
    ANN016 reports it, saying which is wrong."""
    result, coco = found.verdict, found.members.get("coco")
    split = None if coco is None else parts.get((coco.image_id, coco.instance))
    if split is not None and set(result.odd) <= {"coco", *split.with_bbox, *split.with_polygon}:
        return True
    if result.majority is None or result.odd != ["coco"] or coco.polygon is None:
        return False
    bounds = [round(float(v), 2) for v in coco.polygon.bounds]
    return corner_distance(bounds, result.consensus) <= tolerance


def _box_dispute(release: Release, found: Object, tolerance: float) -> Hit:
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
    written = box(row)
    shown = (f"{written} (read as {mine})" if corner_distance(written, mine) > 0.01
             else f"{mine}")  # fmt: skip
    votes = [{"format": f, "file": members[f].file, "location": members[f].location,
              "box": result.votes[f]} for f in result.votes]  # fmt: skip
    files = list(dict.fromkeys([row.file, *(v["file"] for v in votes)]))
    pattern = (_box_written(release, row, theirs, tolerance)
               if result.majority is not None else None)  # fmt: skip
    written_so = f": its numbers {pattern[1]}" if pattern else ""
    return Hit(f"{label(blamed)} {row.location} box {shown} {said} (IoU {overlap:.2f}, "
               f"{off:g} px off){written_so}", found.image_id, row.file, row.location,
               {**evidence(row), "odd": result.odd, "majority": result.majority,
                "consensus": theirs, "iou": round(overlap, 3), "max_corner_px": round(off, 1),
                "votes": votes, "files": files,
                "pattern": pattern[0] if pattern else None,
                "pattern_said": pattern[1] if pattern else None})  # fmt: skip


@rule("ANN019", "vgg-polygon-mismatch", "annotations", "error",
      "a VGG polygon is not the COCO polygon",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def vgg_polygon_mismatch(release: Release) -> Iterator[Hit]:
    """The VGG file is a lossless copy of the COCO masks: each VGG polygon, matched to a COCO
    polygon of the same image, must be the same outline (within the pixel tolerance), compared
    as a shape: the same vertices whatever vertex it starts at, its winding (clockwise or not)
    and a last vertex that repeats the first, or else no point of either outline further than
    the tolerance from the other (the Hausdorff distance). The
    boxes of the other formats say which of the two moved: VGG's when its bounds alone depart
    from the other formats' boxes, COCO's when its polygon departs from them (its own bbox
    included) while VGG's agrees; when the boxes cannot tell, the finding names the VGG copy.
    When COCO's whole annotation is the odd one out, ANN018 reports it, not this rule; when
    one of the two outlines is not a valid polygon, ANN011 or ANN012; when the COCO polygon is
    not where its own bbox is, ANN016, which says which of the two is wrong.

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
            if _drawn_wrong(coco) or _drawn_wrong(vgg) or polygon_wrong(release, coco):
                continue  # ANN011 or ANN012 reports the invalid outline, ANN016 a wrong one
            off = outline_distance(coco.rings[0], vgg.rings[0])
            if off <= tolerance:
                continue
            result = found.verdict
            if result.box_dispute() and ("coco" in result.odd or result.majority is None):
                continue  # COCO's annotation as a whole is at odds: ANN018 reports it
            yield _polygon_dispute(found, coco, vgg, off, tolerance)


def _drawn_wrong(row) -> bool:
    """The instance's outline is no valid polygon (ANN011 or ANN012 reports it)."""
    polygon = row.polygon
    return (any(len(ring) < 3 for ring in row.rings) or polygon is None
            or polygon.area == 0 or not polygon.is_valid)  # fmt: skip


def _polygon_dispute(found: Object, coco, vgg, off: float, tolerance: float) -> Hit:
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
    mine, theirs = blamed.rings[0], other.rings[0]
    counts = len(ring_points(mine)), len(ring_points(theirs))
    what = f"is {off:.1f} px from {label(other.format)}'s outline"
    if counts[0] != counts[1]:
        what += f" ({counts[0]} vertices where it has {counts[1]})"
    return Hit(f"{label(blamed.format)} {blamed.location} polygon {what} ({other.location}); "
               f"{why}", found.image_id, blamed.file, blamed.location,
               {**evidence(blamed), f"{other.format}_polygon": [list(p) for p in theirs],
                "outline_px": round(off, 2),
                f"{other.format}_location": other.location, "consensus": result.consensus,
                "files": [blamed.file, other.file]})  # fmt: skip


def _bounds(ring) -> list[float]:
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return [round(float(v), 2) for v in (min(xs), min(ys), max(xs), max(ys))]


@rule("ANN038", "box-convention", "annotations", "info",
      "a format writes its boxes in another pixel convention (1-based, inclusive corners)",
      needs=(COCO, VGG, YOLO, VOC, IMAGE_HEADERS))  # fmt: skip
def box_convention(release: Release) -> Iterator[Hit]:
    """A format (or some of its per-image files) writes its boxes about one pixel off the
    other formats' in a systematic way: 1-based corners with an inclusive xmax and ymax (the
    PASCAL VOC devkit's convention: xmin and ymin 1 px more), every corner 1 px more, or xmax
    and ymax 1 px less (inclusive of the last pixel). A whole format follows it when taking it
    off brings more of its boxes within 0.6 px of the other formats' (the release's own
    rounding) than agree as written, and at least half of them; a file of its own when taking
    it off brings every box of the file within 0.6 px. One finding per format, naming the
    files; the boxes are compared with the other formats' after taking it off (ANN018).

    Why: worth knowing, not a defect: each reader of the format takes its corners as it
    expects them, and a pixel is within what the release's own conversion rounds away; but a
    reader that assumes the other convention moves every box by that pixel, and a format that
    mixes conventions between files cannot be read right by any one reader.
    Fix: nothing is needed; to keep the formats interchangeable, write the boxes as the
    release's own chain does (0-based, rounded from the YOLO floats), or say which convention
    the format uses in the release's documentation.
    """
    by_format: dict[str, list[Reading]] = {}
    for reading in readings(release):
        if reading.harmless:
            by_format.setdefault(reading.fmt, []).append(reading)
    for fmt in CHAIN:
        found = by_format.get(fmt)
        if not found:
            continue
        whole = next((r for r in found if r.file is None), None)
        files = [r for r in found if r.file is not None]
        said = []
        if whole is not None:
            params = whole.params
            said.append(f"{label(fmt)} writes its boxes {whole.said} in {params['agreeing']} of "
                        f"the {params['objects']} objects the other formats also hold (as "
                        f"written, {params['agreeing_as_written']} agree with them)")
        if files:
            kinds = "; or ".join(sorted({r.said for r in files}))
            own = " of its own" if whole is not None else ""
            if len(files) == 1:
                said.append(f"{files[0].file} writes its boxes {kinds}{own}")
            else:
                said.append(f"{len(files)} {label(fmt)} files write their boxes {kinds}{own} "
                            f"(the first {files[0].file})")
        first = whole or files[0]
        row = first.members[0][0]
        single = whole is None and len(files) == 1
        folder = row.file.rsplit("/", 1)[0] if fmt in FILE_FORMATS else row.file
        yield Hit(f"{'; '.join(said)}: fracqa compares them with the other formats' after "
                  "taking it off", row.image_id if single else None,
                  row.file if single else folder, None,
                  {"format": fmt,
                   "offset": whole.params["offset"] if whole is not None else None,
                   "objects": whole.params["objects"] if whole is not None else None,
                   "agreeing": whole.params["agreeing"] if whole is not None else None,
                   "files": [{"file": r.file, "offset": r.params["offset"], "said": r.said}
                             for r in files][:50],
                   "file_count": len(files)})  # fmt: skip
