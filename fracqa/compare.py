"""What changed between two versions of a release (`fracqa diff OLD NEW`).

Both versions are audited with the same options, then their tables are compared:
- images added, removed, renamed (same content under another id), replaced (same id, other
  content, by SHA-256) and moved between the class folders;
- labels: every dataset.csv cell that changed, per column, for the images in both versions,
  the columns added or removed, and rows added or removed for images that stayed;
- instances, per format, for the images in both versions: matched one to one by box IoU (at
  least the IoU tolerance); what is left of an image's instances in a format is then paired by
  nearest centre, since an image that keeps its number of instances has moved one, not lost
  one and gained another. Pairs further apart than the pixel tolerance are `moved`, pairs
  whose box stayed but whose polygon changed are `reshaped`;
- split membership of the images in both versions;
- the published figures whose observed value changed;
- findings fixed and introduced (by fingerprint, as waivers match them).

What belongs to an added or removed image (its row, instances and split) is part of that one
change and is not listed again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from fracqa.checks.annotation_agreement import iou, vertex_distance
from fracqa.checks.annotation_facts import box
from fracqa.config import Tolerances
from fracqa.model import AuditRecord, Finding, gating
from fracqa.options import Options
from fracqa.release import Release
from fracqa.runner import audit_with
from fracqa.waivers import fingerprint

FORMATS = ("coco", "vgg", "yolo", "voc")
CLASS_FOLDERS = ("fractured", "non_fractured")


@dataclass
class ReleaseDiff:
    """The changes from `old` to `new`, each a list of plain rows (see the module docstring)."""

    old: AuditRecord
    new: AuditRecord
    fail_on: str = "error"
    images: dict[str, list[dict]] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)  # dataset.csv rows added, removed
    columns: dict[str, list[str]] = field(default_factory=dict)
    labels: list[dict] = field(default_factory=list)
    instances: list[dict] = field(default_factory=list)
    not_compared: dict[str, str] = field(default_factory=dict)  # source -> why (unreadable)
    splits: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    introduced: list[Finding] = field(default_factory=list)

    def gating(self) -> list[Finding]:
        """Introduced findings at or above `fail_on` that no waiver accepts."""
        return gating(self.introduced, self.fail_on)

    @property
    def ok(self) -> bool:
        return not self.gating()

    def summary(self) -> dict[str, int]:
        changes = Counter(row["change"] for row in self.instances)
        return {
            **{f"images_{kind}": len(self.images.get(kind, [])) for kind in IMAGE_CHANGES},
            "rows_added": len(self.rows.get("added", [])),
            "rows_removed": len(self.rows.get("removed", [])),
            "label_changes": len(self.labels),
            **{f"instances_{kind}": changes[kind] for kind in INSTANCE_CHANGES},
            "split_changes": len(self.splits),
            "figures_changed": len(self.figures),
            "findings_fixed": len(self.fixed),
            "findings_introduced": len(self.introduced),
        }

    def empty(self) -> bool:
        """True when the two versions hold the same images, labels, instances and splits."""
        return not any(self.summary()[key] for key in self.summary() if "findings" not in key)


IMAGE_CHANGES = ("added", "removed", "renamed", "replaced", "moved")
INSTANCE_CHANGES = ("added", "removed", "moved", "reshaped")


def diff_releases(old_root: Path, new_root: Path, options: Options) -> ReleaseDiff:
    """Audit both versions with `options` and compare them."""
    (old, old_release), (new, new_release) = (audit_with(root, options)
                                              for root in (old_root, new_root))  # fmt: skip
    return compare(old, old_release, new, new_release, options.fail_on)


def compare(old: AuditRecord, old_release: Release, new: AuditRecord, new_release: Release,
            fail_on: str = "error") -> ReleaseDiff:  # fmt: skip
    before, after = _image_facts(old_release), _image_facts(new_release)
    diff = ReleaseDiff(old, new, fail_on)
    diff.images = _image_changes(before, after)
    gone = {row["image_id"] for kind in ("removed", "renamed") for row in diff.images[kind]}
    came = {row.get("new_id", row["image_id"]) for kind in ("added", "renamed")
            for row in diff.images[kind]}  # fmt: skip
    common = (_ids(old_release) & _ids(new_release)) - gone - came
    unreadable_csv = _unreadable(old_release, new_release, _csv_readable)
    if unreadable_csv:
        diff.not_compared["dataset.csv"] = unreadable_csv
        diff.rows, diff.columns = {"added": [], "removed": []}, {"added": [], "removed": []}
    else:
        diff.rows = _row_changes(old_release, new_release, gone, came)
        diff.columns, diff.labels = _label_changes(old_release, new_release, common)
    diff.instances, unreadable_formats = _instance_changes(
        old_release, new_release, common, new_release.tolerances
    )
    diff.not_compared.update(unreadable_formats)
    diff.splits = _split_changes(old_release, new_release, common)
    diff.figures = _figure_changes(old.statistics, new.statistics)
    diff.fixed, diff.introduced = _finding_changes(old.findings, new.findings)
    return diff


def _ids(release: Release) -> set[str]:
    """Every image id the release speaks of: files, dataset.csv, annotations and splits."""
    tables = (release.images, release.meta, release.annotations.instances, release.splits.table)
    return set().union(*(set(table["image_id"].dropna()) for table in tables))


def _row_changes(old: Release, new: Release, gone: set[str], came: set[str]) -> dict:
    """dataset.csv rows added or removed, apart from those of images added or removed."""
    before, after = set(_csv_rows(old).index), set(_csv_rows(new).index)
    return {"added": sorted(after - before - came), "removed": sorted(before - after - gone)}


def _image_facts(release: Release) -> dict[str, dict]:
    """image_id -> file, content hash, size, folder, split, label and instances, for every
    image file of the class folders."""
    images = release.images
    images = images[images["folder"].isin(CLASS_FOLDERS) & ~images["outside_root"]]
    splits = _memberships(release)
    meta = release.meta.drop_duplicates("image_id").set_index("image_id")
    counts = release.annotations.instances.groupby(["image_id", "format"]).size()
    facts: dict[str, dict] = {}
    for row in images.drop_duplicates("image_id").itertuples(index=False):
        facts[row.image_id] = {"file": row.file, "sha256": row.sha256, "folder": row.folder,
                               "size": _size(row)}  # fmt: skip
    for image_id, fact in facts.items():
        fact["split"] = splits.get(image_id, "")
        fractured = meta["fractured"].get(image_id) if "fractured" in meta else None
        fact["fractured"] = None if fractured is None or pd.isna(fractured) else int(fractured)
        fact["instances"] = {fmt: int(counts.get((image_id, fmt), 0)) for fmt in FORMATS
                             if counts.get((image_id, fmt), 0)}  # fmt: skip
    return facts


def _size(row) -> list[int] | None:
    if pd.isna(row.width) or pd.isna(row.height):
        return None
    return [int(row.width), int(row.height)]


def _image_changes(before: dict[str, dict], after: dict[str, dict]) -> dict[str, list[dict]]:
    removed = sorted(set(before) - set(after))
    added = sorted(set(after) - set(before))
    renamed = []
    added_by_hash = {after[i]["sha256"]: i for i in added if after[i]["sha256"]}
    for image_id in list(removed):
        new_id = added_by_hash.pop(before[image_id]["sha256"] or "", None)
        if new_id is not None:
            renamed.append({"image_id": image_id, "new_id": new_id,
                            "file": before[image_id]["file"],
                            "new_file": after[new_id]["file"]})  # fmt: skip
            removed.remove(image_id)
            added.remove(new_id)
    replaced, moved = [], []
    for image_id in sorted(set(before) & set(after)):
        old, new = before[image_id], after[image_id]
        if old["sha256"] and new["sha256"] and old["sha256"] != new["sha256"]:
            replaced.append({"image_id": image_id, "file": new["file"],
                             "old_sha256": old["sha256"], "new_sha256": new["sha256"],
                             "old_size": old["size"], "new_size": new["size"]})  # fmt: skip
        if old["folder"] and new["folder"] and old["folder"] != new["folder"]:
            moved.append({"image_id": image_id, "old_file": old["file"], "new_file": new["file"]})
    return {
        "added": [{"image_id": i, **_described(after[i])} for i in added],
        "removed": [{"image_id": i, **_described(before[i])} for i in removed],
        "renamed": renamed,
        "replaced": replaced,
        "moved": moved,
    }


def _described(fact: dict) -> dict:
    return {key: fact[key] for key in ("file", "sha256", "size", "split", "fractured",
                                       "instances")}  # fmt: skip


def _label_changes(old: Release, new: Release, common: set[str]) -> tuple[dict, list[dict]]:
    """The columns added and removed, and every cell of dataset.csv that changed."""
    old_rows, new_rows = _csv_rows(old), _csv_rows(new)
    old_columns = [c for c in old_rows.columns if c != "image_id"]
    new_columns = [c for c in new_rows.columns if c != "image_id"]
    columns = {"added": [c for c in new_columns if c not in old_columns],
               "removed": [c for c in old_columns if c not in new_columns]}  # fmt: skip
    shared = [c for c in old_columns if c in new_columns]
    ids = sorted(common & set(old_rows.index) & set(new_rows.index))
    changes = []
    for column in shared:
        before, after = old_rows.loc[ids, column], new_rows.loc[ids, column]
        for image_id in before.index[before.to_numpy() != after.to_numpy()]:
            changes.append({"image_id": image_id, "column": column,
                            "old": before[image_id], "new": after[image_id]})  # fmt: skip
    return columns, changes


def _csv_readable(release: Release) -> bool:
    rows = release.dataset_csv.rows if release.dataset_csv else None
    return rows is not None and "image_id" in rows


def _unreadable(old: Release, new: Release, readable) -> str | None:
    """Why a source cannot be compared (`readable` fails in either version), else None."""
    sides = [side for side, release in (("old", old), ("new", new)) if not readable(release)]
    return f"unreadable or missing in {' and '.join(sides)}" if sides else None


def _csv_rows(release: Release) -> pd.DataFrame:
    """dataset.csv as written (strings), one row per image id (its first), by image id."""
    if not _csv_readable(release):
        return pd.DataFrame(columns=["image_id"]).set_index("image_id", drop=False)
    rows = release.dataset_csv.rows.fillna("").map(str.strip)
    return rows.drop_duplicates("image_id").set_index("image_id", drop=False)


def _instance_changes(old: Release, new: Release, common: set[str],
                      tolerances: Tolerances) -> tuple[list[dict], dict[str, str]]:  # fmt: skip
    changes: list[dict] = []
    not_compared = {}
    for fmt in FORMATS:
        unreadable = _unreadable(old, new, partial(_format_readable, fmt=fmt))
        if unreadable:
            not_compared[fmt] = unreadable
            continue
        before, after = _boxes(old, fmt, common), _boxes(new, fmt, common)
        for image_id in sorted(set(before) | set(after)):
            changes += _image_instance_changes(fmt, image_id, before.get(image_id, []),
                                               after.get(image_id, []), tolerances)  # fmt: skip
    return changes, not_compared


def _format_readable(release: Release, fmt: str) -> bool:
    return release.annotations.readable(fmt)


def _boxes(release: Release, fmt: str, images: set[str]) -> dict[str, list]:
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
    pairs = _pairs(old_boxes, new_boxes, tolerances.iou)
    changes = []
    for i, j in pairs:
        change = _pair_change(before[i], after[j], old_boxes[i], new_boxes[j], tolerances)
        if change is not None:
            changes.append({"format": fmt, "image_id": image_id, **change})
    paired_old, paired_new = {i for i, _ in pairs}, {j for _, j in pairs}
    for i, row in enumerate(before):
        if i not in paired_old:
            changes.append({"format": fmt, "image_id": image_id, "change": "removed",
                            "old": _where(row, old_boxes[i]), "new": None})  # fmt: skip
    for j, row in enumerate(after):
        if j not in paired_new:
            changes.append({"format": fmt, "image_id": image_id, "change": "added",
                            "old": None, "new": _where(row, new_boxes[j])})  # fmt: skip
    return changes


def _pairs(old: list[list[float]], new: list[list[float]], least_iou: float) -> list[tuple]:
    """One-to-one pairs: by IoU at or above `least_iou` first, then the rest by nearest centre."""
    if not old or not new:
        return []
    scores = np.array([[iou(a, b) for b in new] for a in old])
    rows, columns = linear_sum_assignment(scores, maximize=True)
    pairs = [(i, j) for i, j in zip(rows, columns, strict=True) if scores[i, j] >= least_iou]
    left_old = [i for i in range(len(old)) if i not in {p[0] for p in pairs}]
    left_new = [j for j in range(len(new)) if j not in {p[1] for p in pairs}]
    if left_old and left_new:
        distances = np.array([[_centre_distance(old[i], new[j]) for j in left_new]
                              for i in left_old])  # fmt: skip
        rows, columns = linear_sum_assignment(distances)
        pairs += [(left_old[i], left_new[j]) for i, j in zip(rows, columns, strict=True)]
    return sorted(pairs)


def _pair_change(old_row, new_row, old_box, new_box, tolerances: Tolerances) -> dict | None:
    off = max(abs(a - b) for a, b in zip(old_box, new_box, strict=True))
    dx = (new_box[0] + new_box[2] - old_box[0] - old_box[2]) / 2
    dy = (new_box[1] + new_box[3] - old_box[1] - old_box[3]) / 2
    if off > tolerances.pixels:
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


def _centre_distance(a: list[float], b: list[float]) -> float:
    return float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2))


def _where(row, corners: list[float]) -> dict[str, Any]:
    return {"file": row.file, "location": row.location, "box": corners}


def _memberships(release: Release) -> dict[str, str]:
    """image_id -> its splits (`train`, or `test/train` for an image listed twice)."""
    table = release.splits.table
    return table.groupby("image_id")["split"].apply(lambda s: "/".join(sorted(s))).to_dict()


def _split_changes(old: Release, new: Release, common: set[str]) -> list[dict]:
    before, after = _memberships(old), _memberships(new)
    return [{"image_id": i, "old": before.get(i) or None, "new": after.get(i) or None}
            for i in sorted(common) if before.get(i, "") != after.get(i, "")]  # fmt: skip


def _figure_changes(old: list[dict] | None, new: list[dict] | None) -> list[dict]:
    before = {row["figure"]: row for row in old or []}
    changes = []
    for row in new or []:
        previous = before.get(row["figure"])
        if previous is None or previous["observed"] == row["observed"]:
            continue
        delta = (None if previous["observed"] is None or row["observed"] is None
                 else row["observed"] - previous["observed"])  # fmt: skip
        changes.append({"figure": row["figure"], "published": row["published"],
                        "old": previous["observed"], "new": row["observed"], "delta": delta,
                        "old_ok": previous["ok"], "new_ok": row["ok"]})  # fmt: skip
    return changes


def _finding_changes(old: list[Finding], new: list[Finding]) -> tuple[list, list]:
    """Findings of `old` not in `new` (fixed) and of `new` not in `old` (introduced), by
    fingerprint, counting repeats."""
    def unmatched(findings: list[Finding], others: list[Finding]) -> list[Finding]:
        remaining = Counter(fingerprint(f) for f in others)
        left = []
        for finding in findings:
            key = fingerprint(finding)
            if remaining[key]:
                remaining[key] -= 1
            else:
                left.append(finding)
        return left

    old = [f for f in old if f.family != "waivers"]
    new = [f for f in new if f.family != "waivers"]
    return unmatched(old, new), unmatched(new, old)
