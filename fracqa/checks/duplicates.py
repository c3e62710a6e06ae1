"""IMG, duplicates: the same radiograph published twice, exactly (same bytes or same pixels) or
nearly (perceptual hashes within a few bits), and whether that leaks across the split."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from fracqa.catalogue import rule
from fracqa.columns import FLAGS
from fracqa.inputs import CSV, IMAGE_SCAN, SPLITS
from fracqa.load.near_duplicates import close_pairs
from fracqa.model import Hit
from fracqa.release import Release

LABELS = (*FLAGS, "fracture_count")
CLASS_LABELS = ("fractured", "fracture_count")  # what makes copies contradict each other


@dataclass
class Group:
    """Images that show the same radiograph, with how each link was found."""

    members: list[dict]  # image_id, file, split, labels
    links: list[dict]  # a, b, kind ("same bytes" | "same pixels" | "near"), distance

    @property
    def splits(self) -> set[str]:
        return {s for m in self.members for s in m["splits"]}

    def differing_labels(self, columns=LABELS) -> list[str]:
        labelled = [m["labels"] for m in self.members if m["labels"] is not None]
        return [c for c in columns if len({str(lab.get(c)) for lab in labelled}) > 1]

    def evidence(self) -> dict:
        return {"members": self.members, "links": self.links}

    def describe(self) -> str:
        kinds = sorted({link["kind"] for link in self.links})
        people = "; ".join(
            f"{m['image_id']} ({'/'.join(m['splits']) or 'no split'}, "
            f"fractured={m['labels'].get('fractured') if m['labels'] else '?'})"
            for m in self.members
        )
        return f"{len(self.members)} images are {' / '.join(kinds)}: {people}"


def _groups(release: Release) -> list[Group]:
    return release.derived("duplicate-groups", lambda: find_groups(release),
                           uses=(IMAGE_SCAN, CSV, SPLITS))


def find_groups(release: Release) -> list[Group]:
    images = release.images
    images = images[images["folder"].isin(["fractured", "non_fractured"]) & ~images["outside_root"]
                    & (images["bytes"].fillna(0) > 0)].reset_index(drop=True)  # fmt: skip
    links: dict[tuple[int, int], dict] = {}
    for column, kind in (("sha256", "same bytes"), ("pixel_hash", "same pixels")):
        repeated = images[images[column].notna() & images[column].duplicated(keep=False)]
        for _, group in repeated.groupby(column):
            first = group.index[0]
            for other in group.index[1:]:
                links.setdefault((first, other), {"kind": kind, "distance": 0})
    hashed = images[images["phash"].notna()]
    pairs = close_pairs([int(h, 16) for h in hashed["phash"]],
                        release.tolerances.hash_distance)  # fmt: skip
    for (i, j), distance in pairs.items():
        a, b = hashed.index[i], hashed.index[j]
        links.setdefault((a, b), {"kind": "near-duplicates", "distance": distance})
    links = {k: v for k, v in links.items()
             if images.at[k[0], "image_id"] != images.at[k[1], "image_id"]}  # IMG004's  # fmt: skip
    return _connected(images, links, release)


def _connected(images: pd.DataFrame, links: dict, release: Release) -> list[Group]:
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.setdefault(i, i) != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in links:
        parent[root(a)] = root(b)
    components: dict[int, list[int]] = {}
    for i in parent:
        components.setdefault(root(i), []).append(i)
    labels = _labels(release)
    splits = release.splits.table.groupby("image_id")["split"].apply(sorted).to_dict()
    groups = []
    for indices in components.values():
        indices = sorted(indices, key=lambda i: images.at[i, "file"])
        members = [{"image_id": images.at[i, "image_id"], "file": images.at[i, "file"],
                    "splits": splits.get(images.at[i, "image_id"], []),
                    "labels": labels.get(images.at[i, "image_id"])} for i in indices]  # fmt: skip
        group_links = [{"a": images.at[a, "image_id"], "b": images.at[b, "image_id"], **how}
                       for (a, b), how in sorted(links.items()) if a in indices]  # fmt: skip
        groups.append(Group(members, group_links))
    return sorted(groups, key=lambda g: g.members[0]["file"])


def _labels(release: Release) -> dict[str, dict]:
    meta = release.meta.dropna(subset=["image_id"]).drop_duplicates("image_id")
    columns = [c for c in LABELS if c in meta]
    return {row["image_id"]: {c: (None if pd.isna(row[c]) else int(row[c])) for c in columns}
            for row in meta.to_dict("records")}  # fmt: skip


def _kind(group: Group) -> str:
    if len(group.splits) > 1:
        return "leakage"
    if group.differing_labels(CLASS_LABELS):
        return "conflict"
    return "duplicate"


def _hit(group: Group, message: str) -> Hit:
    member = group.members[-1]
    return Hit(message, member["image_id"], member["file"], details=group.evidence())


@rule("IMG011", "duplicate-leakage", "images", "error",
      "the same radiograph is in two splits", needs=(IMAGE_SCAN, CSV, SPLITS))  # fmt: skip
def duplicate_leakage(release: Release) -> Iterator[Hit]:
    """Images that are the same radiograph (identical bytes, identical pixels, or perceptual
    hashes within a few bits, e.g. a re-encoded or brightened copy) sit in different splits.

    Why: a model is tested on an image it was trained on; every score reported on the test or
    validation split is inflated.
    Fix: keep one copy, or move all copies into one split.
    """
    for group in _groups(release):
        if _kind(group) == "leakage":
            yield _hit(group, f"leakage across {', '.join(sorted(group.splits))}: "
                              f"{group.describe()}")  # fmt: skip


@rule("IMG012", "duplicate-label-conflict", "images", "error",
      "copies of one radiograph carry different labels",
      needs=(IMAGE_SCAN, CSV, SPLITS))  # fmt: skip
def duplicate_label_conflict(release: Release) -> Iterator[Hit]:
    """Images that are the same radiograph (identical or nearly identical) have different
    fracture labels in dataset.csv (fractured or fracture_count).

    Why: the same picture is taught as two different truths; at least one label is wrong.
    Fix: look at the radiograph, correct the wrong label, and keep one copy.
    """
    for group in _groups(release):
        if _kind(group) == "conflict":
            differing = ", ".join(group.differing_labels())
            yield _hit(group, f"labels differ ({differing}): {group.describe()}")


@rule("IMG013", "duplicate-images", "images", "warning",
      "the same radiograph is published more than once",
      needs=(IMAGE_SCAN, CSV, SPLITS))  # fmt: skip
def duplicate_images(release: Release) -> Iterator[Hit]:
    """Images that are the same radiograph (identical bytes or pixels, or perceptual hashes
    within the configured distance) with the same labels, in the same split or in none.

    Why: duplicates over-weight one patient's radiograph and inflate the image count; they are
    harmless to the split only while they stay together.
    Fix: keep one copy, unless the copies are documented as distinct scans.
    """
    for group in _groups(release):
        if _kind(group) == "duplicate":
            differing = group.differing_labels()
            also = f"; their other labels differ ({', '.join(differing)})" if differing else ""
            yield _hit(group, group.describe() + also)
