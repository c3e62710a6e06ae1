"""Votes across formats, shared by the agreement and plausibility rules.

Each image's instances are grouped into *objects*: one instance per format, matched by box IoU
(then by nearest centre, as `fracqa diff` pairs them), in the order of the release's conversion
chain (COCO, the source; VGG, its copy; YOLO, converted from COCO; VOC, converted from YOLO).
Every format that holds an object casts a vote for its box (VGG's is its polygon's bounds), and
`verdict` says which formats agree, which one is the odd one out, or that there is no majority.

Before they vote, the boxes are *read*: a way of writing boxes that a whole format, or one of
its per-image files, follows throughout is recognised against the other formats and undone
(`Reading`). A pixel convention about one pixel off the others' (VOC's 1-based corners, an
inclusive xmax) is harmless and ANN038 says it once; a YOLO file whose cx and cy are swapped, or
that is normalised by another size, or a file whose every box is shifted alike, is one ANN018
finding for the file, and its boxes then pair with the right objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fracqa.checks.annotation_facts import instances, label, resized_images, sizes
from fracqa.geometry import corner_distance, nearest_pairs, pairs
from fracqa.inputs import COCO, IMAGE_HEADERS, VGG, VOC, YOLO
from fracqa.release import Release

CHAIN = ("coco", "vgg", "yolo", "voc")
BOX_FORMATS = ("coco", "yolo", "voc")  # the formats whose box is the annotation itself
GROUP_INPUTS = (COCO, VGG, YOLO, VOC, IMAGE_HEADERS)

Group = dict[str, Any]  # format -> the instance row (a namedtuple of the instances table)


@dataclass
class Verdict:
    """What the formats holding one object say about its box."""

    votes: dict[str, list[float]]  # format -> box, in chain order
    odd: list[str] = field(default_factory=list)  # formats at odds with most of the others
    majority: list[str] | None = None  # the formats that agree, when they are a majority
    clusters: list[list[str]] = field(default_factory=list)  # formats grouped by agreement

    @property
    def consensus(self) -> list[float]:
        """The majority's box, or without a majority the box of the most upstream format."""
        return self.votes[(self.majority or list(self.votes))[0]]

    def box_dispute(self) -> bool:
        """True when ANN018 reports this object: a box format is the odd one out, or there is
        no majority and the box formats themselves disagree (not only VGG with them)."""
        if not self.odd:
            return False
        if self.majority is not None:
            return any(f in BOX_FORMATS for f in self.odd)
        holding = [c for c in self.clusters if any(f in BOX_FORMATS for f in c)]
        return len(holding) > 1


def verdict(votes: dict[str, list[float]], tolerance: float) -> Verdict:
    """The formats' votes (format -> box, in chain order) on one object's box: a format is odd
    when its box is more than `tolerance` from those of most of the others (so that rounding
    by up to the tolerance in two formats, in opposite directions, is no disagreement); the
    others are a majority when they are more than half of the votes."""
    result = Verdict(votes)
    names = list(votes)
    if len(names) < 2:
        return result
    differs = {a: [b for b in names if b != a and corner_distance(votes[a], votes[b]) > tolerance]
               for a in names}  # fmt: skip
    result.odd = [f for f in names if len(differs[f]) > (len(names) - 1) / 2]
    if not result.odd:
        return result
    agreeing = [f for f in names if f not in result.odd]
    if len(agreeing) > len(names) / 2:
        result.majority = agreeing
    for fmt in names:
        for cluster in result.clusters:
            if fmt not in differs[cluster[0]]:
                cluster.append(fmt)
                break
        else:
            result.clusters.append([fmt])
    return result


@dataclass
class Object:
    """One annotated object of an image: its instance in each format that holds it, and what
    those formats' boxes say."""

    image_id: str
    members: Group
    verdict: Verdict

    @property
    def representative(self):
        """The instance that stands for the object: the majority's most upstream one (else
        the most upstream format's)."""
        formats = self.verdict.majority or [f for f in CHAIN if f in self.members]
        return self.members[formats[0]]


@dataclass
class Reading:
    """A way one format, or one of its per-image files, writes every box, recognised against
    the other formats and undone before the formats vote."""

    fmt: str
    file: str | None  # the file it concerns; None for the whole format
    kind: str  # offset, swapped-centre, transposed, normalised-by, shift
    said: str  # what it is, in words ("cx and cy are swapped")
    harmless: bool  # a pixel convention (ANN038) rather than a defect (ANN018)
    members: list = field(default_factory=list)  # (row, box as written, box as read)
    params: dict = field(default_factory=dict)
    agreeing: list[str] = field(default_factory=list)  # the formats it then agrees with


@dataclass
class Analysis:
    objects: dict[str, list[Object]]
    readings: list[Reading]
    read: dict[tuple, list[float]] = field(default_factory=dict)  # (format, image, instance)
    object_of: dict[tuple, Object] = field(default_factory=dict)  # (format, image, instance)

    def __post_init__(self) -> None:
        for reading in self.readings:
            for row, _, found in reading.members:
                self.read[(row.format, row.image_id, row.instance)] = found
        for image_objects in self.objects.values():
            for item in image_objects:
                for row in item.members.values():
                    self.object_of[(row.format, row.image_id, row.instance)] = item


def instance_groups(release: Release) -> dict[str, list[Object]]:
    """image_id -> the image's objects, for the readable formats and the images that were not
    resized after annotation (IMG009 reports those, and their YOLO boxes scale with them). A
    rule that reads it declares GROUP_INPUTS."""
    return _analysis(release).objects


def readings(release: Release) -> list[Reading]:
    """The ways of writing boxes recognised and undone before the formats voted (see Reading).
    A rule that reads them declares GROUP_INPUTS."""
    return _analysis(release).readings


def read_box(release: Release, row) -> list[float] | None:
    """The box an instance means once a Reading of its format or file is undone (None: it is
    read as written). A rule that reads it declares GROUP_INPUTS."""
    return _analysis(release).read.get((row.format, row.image_id, row.instance))


def object_of(release: Release, row) -> Object | None:
    """The object an instance belongs to (None: it is in no object, as the instances of a
    resized image). A rule that reads it declares GROUP_INPUTS."""
    return _analysis(release).object_of.get((row.format, row.image_id, row.instance))


def _analysis(release: Release) -> Analysis:
    return release.derived("instance-groups", lambda: _groups(release), uses=GROUP_INPUTS)


def _groups(release: Release) -> Analysis:
    formats = [f for f in CHAIN if release.annotations.readable(f)]
    table = instances(release, boxed=True)
    if table.empty:  # no format was read (an empty table may lack its columns)
        return Analysis({}, [])
    table = table[table["format"].isin(formats)]
    table = table[table["image_id"].map(lambda v: isinstance(v, str))]
    table = table[~table["image_id"].isin(resized_images(release).keys())]
    # geometry.box for every row at once: corners in order, rounded to 2 decimals
    corners = table[["x0", "y0", "x1", "y1"]].to_numpy(dtype=float)
    xs, ys = np.sort(corners[:, [0, 2]], axis=1), np.sort(corners[:, [1, 3]], axis=1)
    ordered = np.column_stack([xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]]).tolist()
    boxes = [[round(v, 2) for v in four] for four in ordered]
    by_image: dict[str, dict[str, list]] = {}
    for row, found in zip(table.itertuples(index=False), boxes, strict=True):
        by_image.setdefault(row.image_id, {}).setdefault(row.format, []).append((row, found))
    least_iou, tolerance = release.tolerances.iou, release.tolerances.pixels
    grouped = {image_id: _objects(found, formats, least_iou)
               for image_id, found in by_image.items()}  # fmt: skip
    found_readings = []
    for fmt in BOX_FORMATS:
        reading = _format_offset(fmt, grouped, tolerance)
        if reading is not None:
            found_readings.append(reading)
            offset = reading.params["offset"]
            for found in by_image.values():
                if fmt in found:
                    found[fmt] = [(row, _minus(written, offset)) for row, written in found[fmt]]
    if found_readings:
        grouped = {image_id: _objects(found, formats, least_iou)
                   for image_id, found in by_image.items()}  # fmt: skip
    real = sizes(release)
    release_sizes = sorted({size for image_id, size in real.items() if image_id in by_image})
    objects = {}
    for image_id, found in sorted(by_image.items()):
        groups = grouped[image_id]
        for fmt in FILE_FORMATS:
            if fmt not in found:
                continue
            reading = _file_reading(fmt, found[fmt], groups, real.get(image_id),
                                    release_sizes, tolerance)  # fmt: skip
            if reading is not None:
                found_readings.append(reading)
                found[fmt] = [(row, read) for row, _, read in reading.members]
                groups = _objects(found, formats, least_iou)
        objects[image_id] = [
            Object(image_id, {fmt: member[0] for fmt, member in group.items()},
                   verdict({fmt: member[1] for fmt, member in group.items()}, tolerance))
            for group in groups
        ]  # fmt: skip
    return Analysis(objects, found_readings)


FILE_FORMATS = ("yolo", "voc")  # the formats written one file per image
# Pixel conventions about one pixel off the others': (xmin and ymin, xmax and ymax) offsets.
CONVENTIONS = [(a, b) for a in (1, 0, -1) for b in (0, 1, -1) if (a, b) != (0, 0)]
LEAST_OBJECTS = 3  # a whole format's convention is told from the boxes of this many objects
# How far a box read in its convention may still be from the other formats': VOC's rounding to
# whole pixels (0.5 px) and YOLO's floats (0.003 px), no more.
CONVENTION_SLACK = 0.6


def _minus(found: list[float], offset: list[float]) -> list[float]:
    return [round(v - d, 2) for v, d in zip(found, offset, strict=True)]


def _convention(a: int, b: int) -> str:
    """What a box offset by a px at xmin and ymin and b px at xmax and ymax is, in words."""
    named = {(1, 0): "1-based with inclusive xmax and ymax (the VOC devkit's convention: xmin "
                     "and ymin 1 px more than the other formats', xmax and ymax the same)",
             (1, 1): "1-based (every corner 1 px more than the other formats')",
             (0, -1): "inclusive of its last pixel (xmax and ymax 1 px less than the other "
                      "formats')",
             (-1, -1): "every corner 1 px less than the other formats'"}  # fmt: skip
    if (a, b) in named:
        return named[(a, b)]
    return f"xmin and ymin {a:+d} px and xmax and ymax {b:+d} px from the other formats'"


def _format_offset(fmt: str, grouped: dict[str, list], tolerance: float) -> Reading | None:
    """The pixel convention (see CONVENTIONS) a whole format writes its boxes in, where taking
    it off brings more of its boxes within CONVENTION_SLACK of the other formats' (the
    per-corner median of at least two others) than are within the tolerance as written, and
    at least half of them."""
    mine, others, rows = [], [], []
    for groups in grouped.values():
        for group in groups:
            if fmt not in group:
                continue
            rows.append(group[fmt])
            votes = [member[1] for other, member in group.items() if other != fmt]
            if len(votes) >= 2:
                mine.append(group[fmt][1])
                others.append(votes + [[np.nan] * 4] * (len(CHAIN) - 1 - len(votes)))
    differences = (np.array(mine) - np.nanmedian(np.array(others), axis=1)) if mine else []
    if len(differences) < LEAST_OBJECTS:
        return None
    gaps = np.array(differences)

    def agreeing(offset, within: float = CONVENTION_SLACK) -> int:
        return int((np.abs(gaps - offset).max(axis=1) <= within).sum())

    as_written = agreeing(np.zeros(4), tolerance)
    scored = [(agreeing(np.array([a, a, b, b])), -float(np.abs(gaps - [a, a, b, b]).mean()),
               (a, b)) for a, b in CONVENTIONS]  # fmt: skip
    best, _, (a, b) = max(scored)
    if best <= as_written or best < len(gaps) / 2:
        return None
    offset = [a, a, b, b]
    members = [(row, written, _minus(written, offset)) for row, written in rows]
    return Reading(fmt, None, "offset", _convention(a, b), True, members,
                   {"offset": offset, "objects": len(gaps), "agreeing": best,
                    "agreeing_as_written": as_written})  # fmt: skip


def _references(fmt: str, groups: list[dict], tolerance: float) -> list | None:
    """(member, the other formats' box) for each of the image's objects, when every object
    that the format's file holds is held by other formats that agree (or whose majority
    does) and the file holds every object the others hold; otherwise None."""
    found = []
    for group in groups:
        others = {other: member[1] for other, member in group.items() if other != fmt}
        if not others or fmt not in group:
            return None
        result = verdict(others, tolerance)
        if result.odd and result.majority is None:
            return None
        found.append((group[fmt], result.consensus if result.odd else next(iter(others.values())),
                      result.majority or list(others)))  # fmt: skip
    return found


def _file_reading(fmt: str, members: list, groups: list[dict], size, release_sizes,
                  tolerance: float) -> Reading | None:  # fmt: skip
    """The way the image's YOLO or VOC file writes every one of its boxes, when written as
    they are some disagree with the other formats and read that way all of them agree: a
    pixel convention, cx and cy swapped, x and y transposed, YOLO values in pixels, normalised
    by another size, or (with two boxes or more) one shift."""
    references = _references(fmt, groups, tolerance)
    if not references or len(references) != len(members):
        return None
    if all(corner_distance(member[1], reference) <= tolerance
           for member, reference, _ in references):  # fmt: skip
        return None
    targets = [reference for _, reference, _ in references]
    agreeing = [f for f in CHAIN if any(f in formats for *_, formats in references)]
    for kind, said, harmless, read, params in _candidates(fmt, members, references, size,
                                                          release_sizes, tolerance):  # fmt: skip
        boxes = [read(row, written) for row, written in members]
        if any(b is None for b in boxes):
            continue
        paired = nearest_pairs(boxes, targets)
        within = CONVENTION_SLACK if harmless else tolerance
        if len(paired) == len(targets) and all(off <= within for *_, off in paired):
            return Reading(fmt, members[0][0].file, kind, said, harmless,
                           [(row, written, found) for (row, written), found
                            in zip(members, boxes, strict=True)], params,
                           agreeing)  # fmt: skip
    return None


def _candidates(fmt: str, members: list, references: list, size, release_sizes,
                tolerance: float):  # fmt: skip
    """(kind, words, harmless, read(row, box) -> box, parameters) for each way of writing the
    file's boxes worth trying, the harmless conventions first."""
    for a, b in CONVENTIONS:
        offset = [a, a, b, b]
        yield ("offset", _convention(a, b), True,
               lambda row, written, offset=offset: _minus(written, offset),
               {"offset": offset})  # fmt: skip
    if size is not None:  # YOLO's values; VOC's boxes as fractions of the image (converted so)
        width, height = size
        centres = "cx and cy" if fmt == "yolo" else "the boxes' centre x and y"
        yield ("swapped-centre", f"{centres} are swapped", False,
               lambda row, written: _yolo_box(row, written, (1, 0, 2, 3), size, size),
               {})  # fmt: skip
        if fmt == "yolo":
            yield ("transposed", "x and y are swapped (cx with cy, w with h)", False,
                   lambda row, written: _yolo_box(row, written, (1, 0, 3, 2), size, size),
                   {})  # fmt: skip
            yield ("pixels", "its values are pixels, not fractions of the image's width and "
                   "height", False,
                   lambda row, written: _yolo_box(row, written, (0, 1, 2, 3), (1, 1), size),
                   {"image_size": [width, height]})  # fmt: skip
        for other in [(height, width), *release_sizes]:
            if tuple(other) == (width, height):
                continue
            whose = ("the image's height and width, swapped" if tuple(other) == (height, width)
                     else "another image size of the release")  # fmt: skip
            yield ("normalised-by",
                   f"normalised by {other[0]}x{other[1]} ({whose}) rather than the image's "
                   f"{width}x{height}", False,
                   lambda row, written, other=other: _yolo_box(row, written, (0, 1, 2, 3),
                                                               other, size),
                   {"normalised_by": list(other), "image_size": [width, height]})  # fmt: skip
    if fmt == "voc":
        yield ("transposed", "x and y are swapped (xmin with ymin, xmax with ymax)", False,
               lambda row, written: [written[1], written[0], written[3], written[2]],
               {})  # fmt: skip
    if len(members) >= 2:
        shifts = np.array([[(r[0] + r[2] - w[0] - w[2]) / 2, (r[1] + r[3] - w[1] - w[3]) / 2]
                           for (_, w), r, _ in references])  # fmt: skip
        dx, dy = (round(float(v), 1) for v in np.median(shifts, axis=0))
        shown = [f"{-v:+.0f}" if fmt == "voc" else f"{-v:+g}" for v in (dx, dy)]
        if max(abs(dx), abs(dy)) > tolerance:
            yield ("shift", f"every box is shifted by ({shown[0]}, {shown[1]}) px", False,
                   lambda row, written: [round(v, 2) for v in (written[0] + dx, written[1] + dy,
                                                               written[2] + dx, written[3] + dy)],
                   {"shift": [-dx, -dy]})  # fmt: skip


def _yolo_box(row, written, order: tuple[int, int, int, int], size,
              image) -> list[float] | None:  # fmt: skip
    """The pixel box of an instance whose normalised values (YOLO's own; a VOC box's divided by
    the `image` size) are taken in `order` (cx, cy, w, h as 0, 1, 2, 3) and scaled by
    `size`."""
    if row.format == "yolo":
        values = row.extra.get("normalised") if isinstance(row.extra, dict) else None
        if not values or len(values) != 4:
            return None
    else:
        (x0, y0, x1, y1), (width, height) = written, image
        values = [(x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width,
                  (y1 - y0) / height]  # fmt: skip
    cx, cy, w, h = (float(values[i]) for i in order)
    width, height = size
    x0, x1 = sorted(((cx - w / 2) * width, (cx + w / 2) * width))
    y0, y1 = sorted(((cy - h / 2) * height, (cy + h / 2) * height))
    return [round(v, 2) for v in (x0, y0, x1, y1)]


def _objects(found: dict[str, list], formats: list[str], least_iou: float) -> list[dict]:
    """The image's instances (row, box) of each format grouped into objects, format by format
    in chain order, each matched to the objects so far by the box of their first member."""
    groups: list[dict] = []
    for fmt in formats:
        members = found.get(fmt)
        if not members:
            continue
        if not groups:
            groups = [{fmt: member} for member in members]
            continue
        if len(groups) == 1 and len(members) == 1:
            paired = [(0, 0)]
        else:
            paired = pairs([next(iter(g.values()))[1] for g in groups],
                           [member[1] for member in members], least_iou)  # fmt: skip
        taken = set()
        for i, j in paired:
            groups[i][fmt] = members[j]
            taken.add(j)
        groups.extend({fmt: member} for j, member in enumerate(members) if j not in taken)
    return groups


def listing(formats: list[str]) -> str:
    """COCO, VGG and VOC."""
    names = [label(f) for f in formats]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
