"""Votes across formats, shared by the agreement and plausibility rules.

Each image's instances are grouped into *objects*: one instance per format, matched by box IoU
(then by nearest centre, as `fracqa diff` pairs them), in the order of the release's conversion
chain (COCO, the source; VGG, its copy; YOLO, converted from COCO; VOC, converted from YOLO).
Every format that holds an object casts a vote for its box (VGG's is its polygon's bounds), and
`verdict` says which formats agree, which one is the odd one out, or that there is no majority.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fracqa.checks.annotation_facts import instances, label, resized_images
from fracqa.geometry import corner_distance, pairs
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


def instance_groups(release: Release) -> dict[str, list[Object]]:
    """image_id -> the image's objects, for the readable formats and the images that were not
    resized after annotation (IMG009 reports those, and their YOLO boxes scale with them). A
    rule that reads it declares GROUP_INPUTS."""
    return release.derived("instance-groups", lambda: _groups(release), uses=GROUP_INPUTS)


def _groups(release: Release) -> dict[str, list[Object]]:
    formats = [f for f in CHAIN if release.annotations.readable(f)]
    table = instances(release, boxed=True)
    if table.empty:  # no format was read (an empty table may lack its columns)
        return {}
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
    objects = {}
    for image_id, found in sorted(by_image.items()):
        objects[image_id] = [
            Object(image_id, {fmt: member[0] for fmt, member in group.items()},
                   verdict({fmt: member[1] for fmt, member in group.items()}, tolerance))
            for group in _objects(found, formats, least_iou)
        ]  # fmt: skip
    return objects


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
