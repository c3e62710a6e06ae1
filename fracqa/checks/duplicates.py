"""IMG, duplicates: the same radiograph published twice, exactly (same bytes or same pixels) or
nearly (perceptual hashes within a few bits), as loaders see it (EXIF orientation applied), also
when the copy was flipped, turned by quarter turns, cropped by up to 10 % per side, rescaled,
regraded or re-encoded; and whether that leaks across the split or the labels."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fracqa.catalogue import rule
from fracqa.columns import FLAGS
from fracqa.inputs import CSV, IMAGE_SCAN, SPLITS
from fracqa.load.crop_search import crop_pairs
from fracqa.load.image_hashes import DIHEDRAL, compose, inverse
from fracqa.load.near_duplicates import dihedral_pairs
from fracqa.model import Hit
from fracqa.release import Release

LABELS = (*FLAGS, "fracture_count")
CLASS_LABELS = ("fractured", "fracture_count")  # what makes copies contradict each other
EXACT = (("sha256", "same bytes"), ("pixel_hash", "same pixels"),
         ("view_pixel_hash", "same pixels"))  # fmt: skip
NEAR = "near-duplicates"
SHOWN_CUT = 0.005  # a side cut by less than this is not called cropped


@dataclass
class Group:
    """Images that show the same radiograph, with how each link was found."""

    members: list[dict]  # image_id, file, split, labels
    links: list[dict]  # a, b, kind ("same bytes" | "same pixels" | NEAR), transform, distance

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
        how = "; ".join(
            f"{link['b']} is {link['a']} {link['transform']}"
            + (f" (hash distance {link['distance']})" if link["kind"] == NEAR else "")
            for link in self.links if link["transform"] != "none"
        )
        return f"{len(self.members)} images are {' / '.join(kinds)}: {people}" + (
            f": {how}" if how else "")


@dataclass
class Link:
    """Image b is image a (indices in the image table) cropped by `crop` (fractions cut from its
    left, top, right and bottom), then flipped or turned by DIHEDRAL[turn], as loaders see them."""

    a: int
    b: int
    kind: str
    distance: int = 0
    turn: int = 0
    crop: tuple[float, ...] | None = None

    def oriented(self, images: pd.DataFrame) -> Link:
        """The same link from the image listed first, when no crop gives it a direction."""
        if self.crop is None and images.at[self.a, "file"] > images.at[self.b, "file"]:
            return Link(self.b, self.a, self.kind, self.distance, inverse(self.turn))
        return self


def _groups(release: Release) -> list[Group]:
    return release.derived("duplicate-groups", lambda: find_groups(release),
                           uses=(IMAGE_SCAN, CSV, SPLITS))


def find_groups(release: Release) -> list[Group]:
    images = release.images
    images = images[images["folder"].isin(["fractured", "non_fractured"]) & ~images["outside_root"]
                    & (images["bytes"].fillna(0) > 0)].reset_index(drop=True)  # fmt: skip
    links: dict[tuple[int, int], Link] = {}

    def add(link: Link) -> None:
        pair = (min(link.a, link.b), max(link.a, link.b))
        if link.a != link.b and images.at[link.a, "image_id"] != images.at[link.b, "image_id"]:
            links.setdefault(pair, link.oriented(images))  # the same id twice is IMG004's

    for column, kind in EXACT:
        repeated = images[images[column].notna() & images[column].duplicated(keep=False)]
        for _, group in repeated.groupby(column):
            first = group.index[0]
            for other in group.index[1:]:
                add(Link(first, other, kind, 0, _exact_turn(images, release.views, first,
                                                            other)))  # fmt: skip
    store = release.views
    hashed = images[images["view"].notna()] if store is not None else images.iloc[:0]
    rows = hashed["view"].to_numpy(dtype=np.int64)
    index_of = dict(zip(rows.tolist(), hashed.index, strict=True))
    distance = release.tolerances.hash_distance
    if len(rows):
        for (a, b), (dist, turn) in sorted(dihedral_pairs(store.coefficients[rows],
                                                          distance).items()):  # fmt: skip
            add(Link(hashed.index[a], hashed.index[b], NEAR, dist, turn))
        row_of = dict(zip(hashed.index, rows.tolist(), strict=True))
        known = {(min(row_of[a], row_of[b]), max(row_of[a], row_of[b])) for a, b in links
                 if a in row_of and b in row_of}  # fmt: skip
        for (a, b), (dist, turn, crop) in sorted(crop_pairs(store, distance, known,
                                                            rows).items()):  # fmt: skip
            add(Link(index_of[a], index_of[b], NEAR, dist, turn, crop))
    return _connected(images, links, release)


def _exact_turn(images: pd.DataFrame, store, a: int, b: int) -> int:
    """How b's view is a's, for images with the same pixels in some orientation."""
    row_a, row_b = images.at[a, "view"], images.at[b, "view"]
    if store is None or pd.isna(row_a) or pd.isna(row_b):
        return 0
    variant_a, variant_b = int(store.pixel_variant[row_a]), int(store.pixel_variant[row_b])
    return compose(inverse(variant_b), variant_a)


def transform_of(link: Link, images: pd.DataFrame) -> str:
    """What was done to image a to give image b, in words ("none" when nothing shows)."""
    parts = []
    cut = link.crop or (0.0, 0.0, 0.0, 0.0)
    sides = [f"{100 * value:.0f} % {side}" for side, value
             in zip(("left", "top", "right", "bottom"), cut, strict=True)
             if value >= SHOWN_CUT]  # fmt: skip
    if sides:
        parts.append(f"cropped by {', '.join(sides)}")
    if link.turn:
        parts.append(DIHEDRAL[link.turn].name)
    orientation_a = images.at[link.a, "view_orientation"]
    orientation_b = images.at[link.b, "view_orientation"]
    if not pd.isna(orientation_a) and not pd.isna(orientation_b) and orientation_a != orientation_b:
        parts.append(f"stored with EXIF orientation {int(orientation_b)} where "
                     f"{images.at[link.a, 'image_id']} has {int(orientation_a)}")
    if link.kind == NEAR:
        size_a, size_b = _view_size(images, link.a), _view_size(images, link.b)
        if size_a and DIHEDRAL[link.turn].transpose:
            size_a = size_a[::-1]
        if not sides and size_a and size_b and size_a != size_b:
            parts.append(f"rescaled from {size_a[0]}x{size_a[1]} to {size_b[0]}x{size_b[1]}")
        parts.append("re-encoded/regraded")
    return ", ".join(parts) or "none"


def _view_size(images: pd.DataFrame, index: int) -> tuple[int, int] | None:
    width, height = images.at[index, "width"], images.at[index, "height"]
    if pd.isna(width) or pd.isna(height):
        return None
    orientation = images.at[index, "view_orientation"]
    if not pd.isna(orientation) and int(orientation) in (5, 6, 7, 8):
        return int(height), int(width)
    return int(width), int(height)


def _connected(images: pd.DataFrame, links: dict[tuple[int, int], Link],
               release: Release) -> list[Group]:
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
        inside = set(indices)
        group_links = [{"a": images.at[link.a, "image_id"], "b": images.at[link.b, "image_id"],
                        "kind": link.kind, "transform": transform_of(link, images),
                        "distance": link.distance}
                       for pair, link in sorted(links.items()) if pair[0] in inside]  # fmt: skip
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
    """Images that are the same radiograph sit in different splits: identical bytes, identical
    pixels (also flipped or turned, or under another EXIF orientation), or nearly identical as
    loaders that apply EXIF show them: the perceptual hash of one within the configured
    distance of the hash of the other, or of the other flipped, turned by quarter turns or
    cropped by up to 10 % per side, so that a copy augmented that way and rescaled, regraded
    (brightness, contrast, gamma) or re-encoded is found. Each link names what was done to the
    first image to give the second ("rotated 90° clockwise", "cropped by 5 % left, ...").

    Why: a model is tested on an image it was trained on, an augmentation of it being the same
    patient's radiograph; every score reported on the test or validation split is inflated.
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
    """Images that are the same radiograph (identical, or nearly identical also once flipped,
    turned or cropped, as IMG011 finds them) have different fracture labels in dataset.csv
    (fractured or fracture_count). Each link names what was done to the first image to give the
    second.

    Why: the same picture is taught as two different truths; at least one label is wrong (a
    flipped or cropped radiograph shows the same fracture).
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
    """Images that are the same radiograph (identical bytes or pixels, or nearly identical also
    once flipped, turned or cropped, as IMG011 finds them) with the same labels, in the same
    split or in none.

    Why: duplicates over-weight one patient's radiograph and inflate the image count; they are
    harmless to the split only while they stay together.
    Fix: keep one copy, unless the copies are documented as distinct scans.
    """
    for group in _groups(release):
        if _kind(group) == "duplicate":
            differing = group.differing_labels()
            also = f"; their other labels differ ({', '.join(differing)})" if differing else ""
            yield _hit(group, group.describe() + also)
