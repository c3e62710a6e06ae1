"""The geometry of annotated instances, shared by the annotation rules and `fracqa diff`.

Pure functions over boxes [x0, y0, x1, y1] (pixels, corners in order) and polygon rings
[(x, y), ...]: nothing here reads a release, uses pandas or registers a rule.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

Box = Sequence[float]


def box(row) -> list[float]:
    """The box of an instance (anything with x0, y0, x1, y1) as [x0, y0, x1, y1], corners in
    order, rounded to 2 decimals for evidence."""
    x0, x1 = sorted((row.x0, row.x1))
    y0, y1 = sorted((row.y0, row.y1))
    return [round(float(v), 2) for v in (x0, y0, x1, y1)]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def corner_distance(a: Box, b: Box) -> float:
    """How far apart two boxes are: the largest difference between corresponding coordinates."""
    return max(abs(p - q) for p, q in zip(a, b, strict=True))


def centre_shift(a: Box, b: Box) -> tuple[float, float]:
    """(dx, dy) from the centre of box `a` to the centre of box `b`."""
    return (b[0] + b[2] - a[0] - a[2]) / 2, (b[1] + b[3] - a[1] - a[3]) / 2


def centre_distance(a: Box, b: Box) -> float:
    """The distance between the centres of two boxes."""
    return float(np.hypot(*centre_shift(b, a)))


def open_ring(ring):
    """The ring without a last vertex that repeats its first (a closed ring, as some exporters
    write it, is the same outline as the open one every reader closes itself)."""
    if len(ring) > 3 and tuple(ring[0]) == tuple(ring[-1]):
        return ring[:-1]
    return ring


def vertex_distance(a, b) -> float | None:
    """The largest distance (per coordinate) between corresponding vertices of two polygon
    rings, a closing vertex that repeats the first one dropped, or None when their numbers of
    vertices differ."""
    a, b = open_ring(a), open_ring(b)
    if len(a) != len(b):
        return None
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


SMALL_ASSIGNMENT = 720  # ways of assigning that are tried one by one (6 instances to 6)


def match(reference: Sequence[Box], other: Sequence[Box]) -> list[tuple[int, int, float]]:
    """One-to-one pairs (i, j, IoU) of two lists of boxes that maximise the total IoU (as many
    pairs as the shorter list has boxes, whatever their IoU)."""
    if not reference or not other:
        return []
    scores = np.array([[iou(a, b) for b in other] for a in reference])
    return [(i, j, float(scores[i, j])) for i, j in _assignment(scores, maximize=True)]


def pairs(old: Sequence[Box], new: Sequence[Box], least_iou: float) -> list[tuple[int, int]]:
    """One-to-one pairs (i, j) of an image's boxes in two versions, in order: those `match`
    pairs with an IoU at or above `least_iou`, then what is left of both paired by nearest
    centre (an image that keeps its number of instances has moved one, not lost one and gained
    another)."""
    paired = [(i, j) for i, j, overlap in match(old, new) if overlap >= least_iou]
    left_old = [i for i in range(len(old)) if i not in {p[0] for p in paired}]
    left_new = [j for j in range(len(new)) if j not in {p[1] for p in paired}]
    if left_old and left_new:
        distances = np.array([[centre_distance(old[i], new[j]) for j in left_new]
                              for i in left_old])  # fmt: skip
        paired += [(left_old[i], left_new[j]) for i, j in _assignment(distances)]
    return sorted(paired)


def _assignment(costs: np.ndarray, maximize: bool = False) -> list[tuple[int, int]]:
    """The (row, column) pairs of the one-to-one assignment with the least (or, if `maximize`,
    the greatest) total, in order of rows. An image's few instances are assigned by trying every
    way (the first best in lexicographic order); scipy's solver, which takes half a second to
    import, only for larger problems."""
    flipped = costs.shape[0] > costs.shape[1]
    table = (costs.T if flipped else costs).tolist()
    rows, columns = len(table), len(table[0])
    if math.perm(columns, rows) <= SMALL_ASSIGNMENT:
        sign = -1.0 if maximize else 1.0
        best, chosen = math.inf, tuple(range(rows))
        for picked in itertools.permutations(range(columns), rows):
            total = sign * sum(row[j] for row, j in zip(table, picked, strict=False))
            if total < best:
                best, chosen = total, picked
        found = list(enumerate(chosen))
    else:
        from scipy.optimize import linear_sum_assignment

        solved = linear_sum_assignment(costs.T if flipped else costs, maximize=maximize)
        found = list(zip(solved[0].tolist(), solved[1].tolist(), strict=True))
    return sorted((int(j), int(i)) if flipped else (int(i), int(j)) for i, j in found)


def ring_points(ring) -> np.ndarray:
    """A polygon ring's vertices as an (n, 2) array, without a vertex that repeats the one
    before it and without a closing vertex that repeats the first (every reader closes a ring
    itself: these are the same outline)."""
    points = np.asarray(ring, dtype=float).reshape(-1, 2)
    if len(points) > 1:
        keep = np.ones(len(points), dtype=bool)
        keep[1:] = np.any(points[1:] != points[:-1], axis=1)
        points = points[keep]
    if len(points) > 1 and np.array_equal(points[0], points[-1]):
        points = points[:-1]
    return points


def outline_distance(a, b) -> float:
    """How far apart two polygon rings are as outlines, whatever vertex each starts at, its
    winding and a repeated closing vertex: with as many vertices, the least (over every
    starting vertex of `b`, in both directions) of the largest per-coordinate distance between
    corresponding vertices; when that is not a match, or the numbers of vertices differ, the
    least of it and the Hausdorff distance between the two closed rings' edges (points along
    the edges included), so that the same shape drawn with other vertices still matches."""
    if len(a) == len(b) and all(tuple(p) == tuple(q) for p, q in zip(a, b, strict=True)):
        return 0.0  # the same vertices in the same order: the usual case, at no cost
    p, q = ring_points(a), ring_points(b)
    if not len(p) or not len(q):
        return float("inf")
    best = float("inf")
    if len(p) == len(q):
        n = len(q)
        order = (np.arange(n)[:, None] + np.arange(n)[None, :]) % n  # every starting vertex
        for candidate in (q, q[::-1]):
            gaps = np.abs(candidate[order] - p[None, :, :]).max(axis=(1, 2))
            best = min(best, float(gaps.min()))
        if best == 0.0:
            return best
    return min(best, _edge_hausdorff(p, q))


def _edge_hausdorff(p: np.ndarray, q: np.ndarray) -> float:
    import shapely  # only a mismatch of vertices needs it

    def closed(points):
        if len(points) == 1:
            return shapely.Point(points[0])
        return shapely.LineString(np.vstack([points, points[:1]]))

    return float(shapely.hausdorff_distance(closed(p), closed(q), densify=0.05))


def nearest_pairs(a: Sequence[Box], b: Sequence[Box]) -> list[tuple[int, int, float]]:
    """One-to-one pairs (i, j, corner distance) of two lists of boxes that minimise the total
    corner distance (as many pairs as the shorter list has boxes)."""
    if not a or not b:
        return []
    costs = np.array([[corner_distance(x, y) for y in b] for x in a])
    return [(i, j, float(costs[i, j])) for i, j in _assignment(costs)]
