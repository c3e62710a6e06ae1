"""Annotated instances, per format, for the images in both versions: added, removed, moved
(the box shifted by more than the pixel tolerance) and reshaped (the box stayed, the polygon
changed). An image's instances are paired across versions by fracqa.geometry.pairs."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from fracqa.compare.sources import format_readable, unreadable
from fracqa.config import Tolerances
from fracqa.geometry import box, centre_shift, corner_distance, iou, pairs, vertex_distance
from fracqa.layout import ANNOTATION_FORMATS
from fracqa.release import Release


def instance_changes(old: Release, new: Release, common: set[str],
                     tolerances: Tolerances) -> tuple[list[dict], dict[str, str]]:  # fmt: skip
    """The instance changes of the images of `common`, format by format, and the formats not
    compared (format -> why)."""
    changes: list[dict] = []
    not_compared = {}
    for fmt in ANNOTATION_FORMATS:
        why = unreadable(old, new, partial(format_readable, fmt=fmt))
        if why:
            not_compared[fmt] = why
            continue
        before, after = _boxed(old, fmt, common), _boxed(new, fmt, common)
        for image_id in sorted(set(before) | set(after)):
            changes += _image_instance_changes(fmt, image_id, before.get(image_id, []),
                                               after.get(image_id, []), tolerances)  # fmt: skip
    return changes, not_compared


def _boxed(release: Release, fmt: str, images: set[str]) -> dict[str, list]:
    """image_id -> the instances of `fmt` with a box, for the images of `images`."""
    table = release.annotations.instances
    table = table[(table["format"] == fmt) & table["image_id"].isin(images)
                  & table[["x0", "y0", "x1", "y1"]].notna().all(axis=1)]  # fmt: skip
    grouped: dict[str, list] = {}
    for row in table.itertuples(index=False):
        grouped.setdefault(row.image_id, []).append(row)
    return grouped


def _image_instance_changes(fmt: str, image_id: str, before: list, after: list,
                            tolerances: Tolerances) -> list[dict]:  # fmt: skip
    old_boxes, new_boxes = [box(r) for r in before], [box(r) for r in after]
    paired = pairs(old_boxes, new_boxes, tolerances.iou)
    changes = []
    for i, j in paired:
        change = _pair_change(before[i], after[j], old_boxes[i], new_boxes[j], tolerances)
        if change is not None:
            changes.append({"format": fmt, "image_id": image_id, **change})
    paired_old, paired_new = {i for i, _ in paired}, {j for _, j in paired}
    for i, row in enumerate(before):
        if i not in paired_old:
            changes.append({"format": fmt, "image_id": image_id, "change": "removed",
                            "old": _where(row, old_boxes[i]), "new": None})  # fmt: skip
    for j, row in enumerate(after):
        if j not in paired_new:
            changes.append({"format": fmt, "image_id": image_id, "change": "added",
                            "old": None, "new": _where(row, new_boxes[j])})  # fmt: skip
    return changes


def _pair_change(old_row, new_row, old_box, new_box, tolerances: Tolerances) -> dict | None:
    """How one instance changed between the versions (moved or reshaped), or None."""
    dx, dy = centre_shift(old_box, new_box)
    if corner_distance(old_box, new_box) > tolerances.pixels:
        kind = "moved"
    elif _polygon_changed(old_row.rings, new_row.rings, tolerances.pixels):
        kind = "reshaped"
    else:
        return None
    return {"change": kind, "old": _where(old_row, old_box), "new": _where(new_row, new_box),
            "iou": round(iou(old_box, new_box), 3), "dx": round(dx, 1), "dy": round(dy, 1),
            "shift_px": round(float(np.hypot(dx, dy)), 1)}  # fmt: skip


def _polygon_changed(old_rings, new_rings, tolerance: float) -> bool:
    if not old_rings or not new_rings:
        return bool(old_rings) != bool(new_rings)
    off = vertex_distance(old_rings[0], new_rings[0])
    return off is None or off > tolerance


def _where(row, corners: list[float]) -> dict[str, Any]:
    return {"file": row.file, "location": row.location, "box": corners}
