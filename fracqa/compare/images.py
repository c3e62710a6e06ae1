"""Image files: what each version holds of every image of the class folders, and the images
added, removed, renamed (same content under another id), replaced (same id, other content) and
moved between the class folders."""

from __future__ import annotations

import pandas as pd

from fracqa.compare.splits import memberships
from fracqa.layout import ANNOTATION_FORMATS
from fracqa.release import Release

CLASS_FOLDERS = ("fractured", "non_fractured")


def image_facts(release: Release) -> dict[str, dict]:
    """image_id -> file, content hash, size, folder, split, label and instances, for every
    image file of the class folders."""
    images = release.images
    images = images[images["folder"].isin(CLASS_FOLDERS) & ~images["outside_root"]]
    splits = memberships(release)
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
        fact["instances"] = {fmt: int(counts.get((image_id, fmt), 0))
                             for fmt in ANNOTATION_FORMATS
                             if counts.get((image_id, fmt), 0)}  # fmt: skip
    return facts


def _size(row) -> list[int] | None:
    if pd.isna(row.width) or pd.isna(row.height):
        return None
    return [int(row.width), int(row.height)]


def image_changes(before: dict[str, dict], after: dict[str, dict]) -> dict[str, list[dict]]:
    """The image changes from the facts `before` to the facts `after`, by kind (see
    fracqa.compare.IMAGE_CHANGES); an added or removed image carries its facts."""
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
