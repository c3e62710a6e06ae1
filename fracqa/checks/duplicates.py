"""IMG, duplicates: the same radiograph published twice, exactly (same bytes or same pixels) or
nearly (perceptual hashes within a few bits), as loaders see it (EXIF orientation applied), also
when the copy was flipped, turned by quarter turns, cropped by up to 10 % per side, rescaled,
regraded or re-encoded; and whether that leaks across the split or the labels.

The load layer finds the candidate links (`near_duplicates`, `crop_search`) and measures each
near-duplicate candidate on the two images read again (`view_match`); the rules judge: a
near-duplicate joins a group only if the aligned contents correlate (MIN_CORRELATION), a group
is a spanning tree of its links, and each link says what was found (crop, flip or turn, EXIF
orientation, rescale, regrade or re-encoding)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fracqa.catalogue import rule
from fracqa.columns import FLAGS
from fracqa.inputs import CSV, IMAGE_SCAN, SPLITS
from fracqa.load.crop_search import MAX_CUT, crop_pairs
from fracqa.load.image_hashes import DIHEDRAL, compose, inverse
from fracqa.load.near_duplicates import dihedral_pairs
from fracqa.load.view_match import ViewMatcher
from fracqa.model import Hit
from fracqa.release import Release

LABELS = (*FLAGS, "fracture_count")
CLASS_LABELS = ("fractured", "fracture_count")  # what makes copies contradict each other
SAME_BYTES, SAME_PIXELS = "same bytes", "same pixels"
EXACT = (("sha256", SAME_BYTES), ("pixel_hash", SAME_PIXELS),
         ("view_pixel_hash", SAME_PIXELS))  # fmt: skip
DRAFT = "same pixels at 1/8 scale"  # a JPEG's pixels are compared as the scan decodes them
NEAR = "near-duplicates"
RANK = {SAME_BYTES: 0, SAME_PIXELS: 1, DRAFT: 1, NEAR: 2}  # the links a group is joined by first
MIN_CORRELATION = 0.9  # a near-duplicate link's aligned contents must correlate this well
SHOWN_CUT = 0.005  # a side cut by less than this is not called cropped
SHOWN_BRIGHTNESS = 4.0  # grey levels by which the mean must move to be called a regrade
SHOWN_CONTRAST = 1.1  # the factor by which the spread must change to be called a regrade
RESCALE_SLACK = (2, 0.015)  # pixels and share by which a crop's size may miss its copy's
SHOWN_MEMBERS = 12  # members (and the links joining them) listed in a message; all in details
SHOWN_IDS = 3  # images named per label value where labels differ


@dataclass
class Group:
    """Images that show the same radiograph, each joined to the others by one link (a
    spanning tree of the links found, from one representative)."""

    members: list[dict]  # image_id, file, splits, labels
    links: list[dict]  # a, b, kind (SAME_BYTES | SAME_PIXELS | DRAFT | NEAR), transform,
    # distance, correlation (near-duplicates: of the aligned contents)

    @property
    def splits(self) -> set[str]:
        return {s for m in self.members for s in m["splits"]}

    def differing_labels(self, columns=LABELS) -> list[str]:
        labelled = [m["labels"] for m in self.members if m["labels"] is not None]
        return [c for c in columns if len({str(lab.get(c)) for lab in labelled}) > 1]

    def label_values(self, columns) -> str:
        """Each label of `columns` with the images that carry each of its values:
        "fracture_count: 1 in IMG1.jpg, 2 in IMG2.jpg"."""
        parts = []
        for column in columns:
            holders: dict[str, list[str]] = {}
            for member in self.members:
                value = (member["labels"] or {}).get(column)
                holders.setdefault("?" if value is None else str(value), []).append(
                    member["image_id"])
            parts.append(f"{column}: " + ", ".join(
                f"{value} in {_named(ids)}" for value, ids in sorted(holders.items())))
        return "; ".join(parts)

    def evidence(self) -> dict:
        return {"members": self.members, "links": self.links,
                "differing_labels": self.differing_labels()}  # fmt: skip

    @property
    def identical(self) -> bool:
        """Every link is the same bytes or pixels, as stored (no flip, turn or orientation)."""
        return all(link["kind"] != NEAR and link["transform"] == "none" for link in self.links)

    def describe(self) -> str:
        kinds = ", ".join(sorted({link["kind"] for link in self.links}, key=RANK.get))
        what = "identical copies" if self.identical else "copies of one radiograph"
        shown_labels = ["fractured", *(c for c in CLASS_LABELS[1:]
                                       if c in self.differing_labels(CLASS_LABELS))]
        people = "; ".join(
            f"{m['image_id']} ({'/'.join(m['splits']) or 'no split'}, "
            + ", ".join(f"{c}={_label(m, c)}" for c in shown_labels) + ")"
            for m in self.members[:SHOWN_MEMBERS]
        )
        how = "; ".join(
            f"{link['b']} is {link['a']} {link['transform']}"
            + (f" (hash distance {link['distance']})" if link["kind"] == NEAR else "")
            for link in self.links[:SHOWN_MEMBERS - 1] if link["transform"] != "none"
        )
        more = len(self.members) - SHOWN_MEMBERS
        rest = (f"; and {more} more image{'s' if more > 1 else ''}, each with the link that "
                "joins it, in the details") if more > 0 else ""
        return (f"{len(self.members)} images are {what} ({kinds}): {people}"
                + (f": {how}" if how else "") + rest)


def _label(member: dict, column: str) -> str:
    value = (member["labels"] or {}).get(column)
    return "?" if value is None else str(value)


def _named(ids: list[str]) -> str:
    if len(ids) <= SHOWN_IDS:
        return ", ".join(ids)
    return f"{len(ids)} images ({', '.join(ids[:SHOWN_IDS])}, ...)"


@dataclass
class Link:
    """Image b is image a (indices in the image table) cropped by `crop` (fractions cut from its
    left, top, right and bottom), then flipped or turned by DIHEDRAL[turn], as loaders see them;
    for a near-duplicate, how well their aligned contents correlate and `levels`: the mean grey
    level of a's aligned content and of b, and the ratio of their spreads (None: not measured)."""

    a: int
    b: int
    kind: str
    distance: int = 0
    turn: int = 0
    crop: tuple[float, ...] | None = None
    correlation: float | None = None
    levels: tuple[float, float, float] | None = None

    def oriented(self, images: pd.DataFrame) -> Link:
        """The same link from the image listed first, when no crop gives it a direction."""
        if self.crop is None and images.at[self.a, "file"] > images.at[self.b, "file"]:
            levels = self.levels and (self.levels[1], self.levels[0], 1 / self.levels[2])
            return Link(self.b, self.a, self.kind, self.distance, inverse(self.turn), None,
                        self.correlation, levels)  # fmt: skip
        return self


def _groups(release: Release) -> list[Group]:
    return release.derived("duplicate-groups", lambda: find_groups(release),
                           uses=(IMAGE_SCAN, CSV, SPLITS))


def find_groups(release: Release) -> list[Group]:
    """The groups of images that show the same radiograph: every candidate link (same bytes,
    same pixels, hashes within the distance, crops), joined into a spanning tree per group; a
    near-duplicate link joins only once the images' aligned contents agree (`view_match`)."""
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
                add(Link(first, other, _exact_kind(images, kind, first, other), 0,
                         _exact_turn(images, release.views, first, other)))  # fmt: skip
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
    tree = _spanning_links(images, links, store)
    return _connected(images, tree, release)


def _exact_kind(images: pd.DataFrame, kind: str, a: int, b: int) -> str:
    """Same pixels of a JPEG are the same pixels of its draft decode, at 1/8 of its size."""
    if kind == SAME_PIXELS and "JPEG" in (images.at[a, "format"], images.at[b, "format"]):
        return DRAFT
    return kind


def _exact_turn(images: pd.DataFrame, store, a: int, b: int) -> int:
    """How b's view is a's, for images with the same pixels in some orientation."""
    row_a, row_b = images.at[a, "view"], images.at[b, "view"]
    if store is None or pd.isna(row_a) or pd.isna(row_b):
        return 0
    variant_a, variant_b = int(store.pixel_variant[row_a]), int(store.pixel_variant[row_b])
    return compose(inverse(variant_b), variant_a)


def _spanning_links(images: pd.DataFrame, links: dict[tuple[int, int], Link],
                    store) -> list[Link]:  # fmt: skip
    """The links that join the images into groups, one fewer than each group's images (a
    spanning tree; 300 copies of one radiograph are 299 links, not 44,850). The links are
    taken in order (same bytes, same pixels, then near-duplicates; within each, those of the
    image with the most links first, so that the tree is a star around it where it can be;
    then the nearest hashes), and a link is skipped when its images are already joined. A
    near-duplicate link is checked first: the two images read again and aligned, it is kept
    only if their contents correlate (`view_match`), and it takes the crop that alignment
    finds."""
    files = images["file"].to_numpy()
    found = _UnionFind()
    degree: dict[int, int] = {}
    for a, b in links:
        found.join(a, b)
        degree[a], degree[b] = degree.get(a, 0) + 1, degree.get(b, 0) + 1
    centre: dict[int, int] = {}
    for i in sorted(degree, key=lambda i: (-degree[i], files[i])):
        centre.setdefault(found.root(i), i)
    hub = set(centre.values())

    def order(link: Link) -> tuple:
        return (RANK[link.kind], not ({link.a, link.b} & hub), link.distance, files[link.a],
                files[link.b])

    matcher = ViewMatcher(store) if store is not None else None
    joined, tree = _UnionFind(), []
    for link in sorted(links.values(), key=order):
        if joined.root(link.a) == joined.root(link.b):
            continue
        if link.kind == NEAR:
            link = _checked(link, images, matcher)
            if link is None:
                continue
        joined.join(link.a, link.b)
        tree.append(link)
    return tree


def _checked(link: Link, images: pd.DataFrame, matcher: ViewMatcher | None) -> Link | None:
    """The near-duplicate link aligned and measured on the images read again, or None when
    their contents do not correlate (look-alike images, such as distinct radiographs in one
    wide collimation frame). A link whose images cannot be read again stands as the hashes
    found it."""
    row_a, row_b = images.at[link.a, "view"], images.at[link.b, "view"]
    if matcher is None or pd.isna(row_a) or pd.isna(row_b):
        return link
    row_a, row_b = int(row_a), int(row_b)
    found = matcher.match(row_a, row_b, link.turn, link.crop)
    if found is None:
        return link
    if found.correlation < MIN_CORRELATION:
        return None
    index = {row_a: link.a, row_b: link.b}
    distance = link.distance if found.distance is None else min(link.distance, found.distance)
    checked = Link(index[found.a], index[found.b], NEAR, distance, found.turn, found.crop,
                   found.correlation, (found.mean_a, found.mean_b, found.contrast))  # fmt: skip
    return checked.oriented(images)


class _UnionFind:
    def __init__(self):
        self.parent: dict[int, int] = {}

    def root(self, i: int) -> int:
        while self.parent.setdefault(i, i) != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.root(a)] = self.root(b)


def transform_of(link: Link, images: pd.DataFrame) -> str:
    """What was done to image a to give image b, in words ("none" when nothing shows): the
    crop (of a, a's sides), the flip or turn, the EXIF orientation, the rescale (from the size
    of a's crop, turned, to b's), and for a near-duplicate the regrade (the mean grey level and
    the spread of the aligned contents) or, when neither the size nor the levels changed, that
    it was re-encoded (its pixels differ)."""
    parts = []
    cut = link.crop or (0.0, 0.0, 0.0, 0.0)
    sides = [f"{'at least ' if value >= MAX_CUT - 1e-9 else ''}{100 * value:.0f} % {side}"
             for side, value in zip(("left", "top", "right", "bottom"), cut, strict=True)
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
        at_limit = max(cut) >= MAX_CUT - 1e-9  # the crop's size is not known: nor a rescale
        rescaled = None if at_limit else _rescale(link, images, cut if sides else None)
        if rescaled:
            parts.append(rescaled)
        regraded = _regrade(link.levels)
        if regraded:
            parts.append(regraded)
        elif link.levels is None:
            parts.append("re-encoded or regraded")  # not measured: the pixels differ
        elif not sides and not at_limit and not rescaled:
            parts.append("re-encoded")
    return ", ".join(parts) or "none"


def _rescale(link: Link, images: pd.DataFrame, cut) -> str | None:
    """"rescaled from WxH to W'xH'" when b's size is not that of a's crop (turned)."""
    size_a, size_b = _view_size(images, link.a), _view_size(images, link.b)
    if not size_a or not size_b:
        return None
    if cut is not None:
        left, top, right, bottom = cut
        size_a = (round(size_a[0] * (1 - left - right)), round(size_a[1] * (1 - top - bottom)))
    if DIHEDRAL[link.turn].transpose:
        size_a = size_a[::-1]
    pixels, share = RESCALE_SLACK
    slack = [0, 0] if cut is None else [max(pixels, share * side) for side in size_b]
    if all(abs(x - y) <= s for x, y, s in zip(size_a, size_b, slack, strict=True)):
        return None
    return f"rescaled from {size_a[0]}x{size_a[1]} to {size_b[0]}x{size_b[1]}"


def _regrade(levels) -> str | None:
    """"regraded (brighter by 20 grey levels, contrast x1.25)" when the mean grey level or the
    spread of the aligned contents changed by more than SHOWN_BRIGHTNESS or SHOWN_CONTRAST."""
    if levels is None:
        return None
    mean_a, mean_b, contrast = levels
    said = []
    if abs(mean_b - mean_a) >= SHOWN_BRIGHTNESS:
        said.append(f"{'brighter' if mean_b > mean_a else 'darker'} by "
                    f"{abs(mean_b - mean_a):.0f} grey levels")  # fmt: skip
    if contrast >= SHOWN_CONTRAST or contrast <= 1 / SHOWN_CONTRAST:
        said.append(f"contrast ×{contrast:.2f}")
    return f"regraded ({', '.join(said)})" if said else None


def _view_size(images: pd.DataFrame, index: int) -> tuple[int, int] | None:
    width, height = images.at[index, "width"], images.at[index, "height"]
    if pd.isna(width) or pd.isna(height):
        return None
    orientation = images.at[index, "view_orientation"]
    if not pd.isna(orientation) and int(orientation) in (5, 6, 7, 8):
        return int(height), int(width)
    return int(width), int(height)


def _connected(images: pd.DataFrame, tree: list[Link], release: Release) -> list[Group]:
    """The groups the tree's links join, each member once and each link listed when it first
    reaches a member, from the member that the most links join (the representative)."""
    found = _UnionFind()
    for link in tree:
        found.join(link.a, link.b)
    components: dict[int, list[Link]] = {}
    for link in tree:
        components.setdefault(found.root(link.a), []).append(link)
    if not components:
        return []
    members_of = {images.at[i, "image_id"] for link in tree for i in (link.a, link.b)}
    labels = _labels(release, members_of)
    splits = release.splits.of(members_of)
    files = images["file"].to_numpy()
    groups = []
    for component in components.values():
        around: dict[int, list[Link]] = {}
        for link in component:
            around.setdefault(link.a, []).append(link)
            around.setdefault(link.b, []).append(link)
        first = min(around, key=lambda i: (-len(around[i]), files[i]))
        order, reached, listed = [first], {first}, []
        for i in order:  # breadth first, nearest files first
            for link in sorted(around[i], key=lambda lk: files[lk.a + lk.b - i]):
                other = link.a + link.b - i
                if other not in reached:
                    reached.add(other)
                    order.append(other)
                    listed.append(link)
        members = [{"image_id": images.at[i, "image_id"], "file": images.at[i, "file"],
                    "splits": splits.get(images.at[i, "image_id"], []),
                    "labels": labels.get(images.at[i, "image_id"])} for i in order]  # fmt: skip
        group_links = [{"a": images.at[link.a, "image_id"], "b": images.at[link.b, "image_id"],
                        "kind": link.kind, "transform": transform_of(link, images),
                        "distance": link.distance,
                        "correlation": (None if link.correlation is None
                                        else round(link.correlation, 3))}
                       for link in listed]  # fmt: skip
        groups.append(Group(members, group_links))
    return sorted(groups, key=lambda g: min(m["file"] for m in g.members))


def _labels(release: Release, image_ids: set[str]) -> dict[str, dict]:
    meta = release.meta[release.meta["image_id"].isin(image_ids)].drop_duplicates("image_id")
    columns = [c for c in LABELS if c in meta]
    return {row["image_id"]: {c: (None if pd.isna(row[c]) else int(row[c])) for c in columns}
            for row in meta.to_dict("records")}  # fmt: skip


def _hit(group: Group, message: str) -> Hit:
    member = max(group.members, key=lambda m: m["file"])
    return Hit(message, member["image_id"], member["file"], details=group.evidence())


@rule("IMG011", "duplicate-leakage", "images", "error",
      "the same radiograph is in two splits", needs=(IMAGE_SCAN, CSV, SPLITS))  # fmt: skip
def duplicate_leakage(release: Release) -> Iterator[Hit]:
    """Images that are the same radiograph sit in different splits: identical bytes, identical
    pixels (also flipped or turned, or under another EXIF orientation), or nearly identical as
    loaders that apply EXIF show them: the perceptual hash of one within the configured
    distance of the hash of the other, or of the other flipped, turned by quarter turns or
    cropped by up to 10 % per side, so that a copy augmented that way and rescaled, regraded
    (brightness, contrast, gamma) or re-encoded is found, and their contents, read again and
    aligned, agree (a rank correlation of at least 0.9 where either has detail: distinct
    radiographs in one wide collimation frame hash alike but do not). Each member is listed
    once, with the link that joins it to the group, which names what was done to the first
    image to give the second ("rotated 90° clockwise", "cropped by 5 % left, ...", "rescaled
    from 373x454 to 224x272", "regraded (brighter by 20 grey levels)"). When the copies' labels
    differ too, the message says which and where: that contradiction is a cause of its own,
    with its own fix (correct the wrong label), and IMG012 reports it as well, so that it is
    seen with IMG012 alone and stays reported when this leakage is waived or repaired by
    moving the copies into one split.

    Why: a model is tested on an image it was trained on, an augmentation of it being the same
    patient's radiograph; every score reported on the test or validation split is inflated.
    Fix: keep one copy, or move all copies into one split.
    """
    for group in _groups(release):
        if len(group.splits) > 1:
            differing = group.differing_labels()
            conflict = [c for c in differing if c in CLASS_LABELS]
            also = ""
            if conflict:
                also = (f"; their fracture labels differ too ({group.label_values(conflict)}): "
                        "IMG012 reports that conflict")  # fmt: skip
            other = [c for c in differing if c not in CLASS_LABELS]
            if other:
                also += f"; their other labels differ ({group.label_values(other)})"
            yield _hit(group, f"leakage across {', '.join(sorted(group.splits))}: "
                              f"{group.describe()}{also}")  # fmt: skip


@rule("IMG012", "duplicate-label-conflict", "images", "error",
      "copies of one radiograph carry different labels",
      needs=(IMAGE_SCAN, CSV, SPLITS))  # fmt: skip
def duplicate_label_conflict(release: Release) -> Iterator[Hit]:
    """Images that are the same radiograph (identical, or nearly identical also once flipped,
    turned or cropped, as IMG011 finds them) have different fracture labels in dataset.csv
    (fractured or fracture_count): the message names each label that differs with the images
    that carry each value. Each member is listed once, with the link that joins it to the
    group, which names what was done to the first image to give the second. A group that also
    spans splits is IMG011's leakage as well: two causes with two fixes (correct the label;
    keep the copies in one split), each reported by its own rule, and the message here says
    that the group spans splits.

    Why: the same picture is taught as two different truths; at least one label is wrong (a
    flipped or cropped radiograph shows the same fracture).
    Fix: look at the radiograph, correct the wrong label, and keep one copy.
    """
    for group in _groups(release):
        conflict = group.differing_labels(CLASS_LABELS)
        if conflict:
            spans = (f"; the copies are also in {', '.join(sorted(group.splits))} (IMG011)"
                     if len(group.splits) > 1 else "")  # fmt: skip
            yield _hit(group, f"labels differ ({group.label_values(conflict)}): "
                              f"{group.describe()}{spans}")  # fmt: skip


@rule("IMG013", "duplicate-images", "images", "warning",
      "the same radiograph is published more than once",
      needs=(IMAGE_SCAN, CSV, SPLITS))  # fmt: skip
def duplicate_images(release: Release) -> Iterator[Hit]:
    """Images that are the same radiograph (identical bytes or pixels, or nearly identical also
    once flipped, turned or cropped, as IMG011 finds them) with the same fracture labels, in
    the same split or in none. Each member is listed once, with the link that joins it.

    Why: duplicates over-weight one patient's radiograph and inflate the image count; they are
    harmless to the split only while they stay together.
    Fix: keep one copy, unless the copies are documented as distinct scans.
    """
    for group in _groups(release):
        if len(group.splits) <= 1 and not group.differing_labels(CLASS_LABELS):
            differing = group.differing_labels()
            also = (f"; their other labels differ ({group.label_values(differing)})"
                    if differing else "")  # fmt: skip
            yield _hit(group, group.describe() + also)
