"""Copies cropped by up to 10 % per side (and perhaps flipped, turned, rescaled, regraded or
re-encoded too), found without comparing every pair of images.

A 64-bit perceptual hash changes by several bits when a crop moves by half a percent, so crops
cannot be found by hashing a few boxes of every image; `image_hashes` keeps coarser
descriptions of 97 boxes per image (sides cut by 0, 5 or 10 %, or by 2.5 or 7.5 %: any crop of
up to 10 % per side is within 2.5 % per side of a box of either set), and the search goes in
three steps:

1. **Keys.** Each image's view is looked up among the boxes of every image by its 24-bit key
   (the signs of its 5x5 lowest frequencies but the constant one), made the same for the 8 flips
   and turns of an image: exactly, in a sorted table, once for each setting of its PROBED_BITS
   least certain bits (the coefficients nearest zero, whose sign a few percent of crop can turn).
2. **Descriptors.** A candidate box's normalised 6x6 coefficients must be within
   DESCRIPTOR_DISTANCE of those of the view in the flip or turn its key says (measured: 800
   copies of replica images randomly cropped, turned, regraded, rescaled and re-encoded were
   within 0.36 of a box of their original; of the replica's 4,083 distinct images, the nearest
   box of another image was 0.49 away).
3. **Alignment.** The crop of the original whose normalised 8x8 coefficients are nearest the
   copy's is searched from the candidate's box, on the original's working image (a pattern
   search down to 0.05 % per side, each side cut by at most MAX_CUT, so that a crop found from
   a box of up to 10 % that goes on beyond it is named with its real cut; the working image is
   read again from the original's file, `ViewStore.working`); the copy is that crop
   when its 64-bit hash is within the near-duplicate distance of the hash of the crop, the same
   test as for any other near-duplicate.

A copy whose key differs from that of every box of its original in a bit that is not probed is
missed: 3 of 500 copies of replica images randomly cropped by up to 10 % per side, turned,
regraded, rescaled and re-encoded at once, 1 of 300 only cropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

from fracqa.load.image_hashes import (
    COMPOSITION,
    DIHEDRAL,
    INVERSES,
    KEY_FREQUENCIES,
    KEY_MASK,
    TIE_SHIFT,
    TURN_SHIFT,
    WorkingView,
    axis_weights,
    canonical,
    crop_boxes,
    descriptors,
    hash_bits,
    inverse,
    key_variants,
    sign_keys,
    unit,
)
from fracqa.load.near_duplicates import expand, popcount
from fracqa.load.view_store import ViewStore

PROBED_BITS = 6  # the least certain bits of a key, tried both ways: 64 probes per image
DESCRIPTOR_DISTANCE = 0.42  # between unit vectors of 35 coefficients
MAX_CUT = 0.2  # the most cut from one side when aligning (crops of up to 10 % are searched;
# a crop found beyond, up to this, is named with its real cut, and one at it "at least")
STEPS = (0.01, 0.005, 0.0025, 0.001, 0.0005)  # the pattern search's steps, per side
CHUNK = 20_000  # candidates compared at once in step 2
QUERY_BLOCK = 1024  # images looked up at once (the candidates of ten times the release's
# images are millions: they are found, compared and dropped a block of queries at a time)
MATCHES_AT_ONCE = 1_000_000  # key matches compared at once
MAX_KEY_BOXES = 2048  # a key more boxes share than this tells nothing (the release's most
# shared key is in 39): it is left out, so that a cluster of look-alike images costs little
TOP_CANDIDATES = 4  # per copy, the originals nearest by their coefficients that are aligned


def _probes(own: np.ndarray) -> np.ndarray:
    """(n, 2**PROBED_BITS) canonical keys (`image_hashes.canonical`) to look up for n images'
    coefficients (n, 8, 8)."""
    low = own[:, :KEY_FREQUENCIES, :KEY_FREQUENCIES].reshape(len(own), -1)[:, 1:]
    scale = np.linalg.norm(own.reshape(len(own), -1)[:, 1:], axis=-1)
    certainty = np.abs(low) / np.maximum(scale, 1e-12)[:, None]
    doubtful = np.argsort(certainty, axis=-1, kind="stable")[:, :PROBED_BITS]
    bit_numbers = (low.shape[1] - 1 - doubtful).astype(np.uint64)  # the key's highest bit first
    values = np.left_shift(np.uint64(1), bit_numbers)  # (n, PROBED_BITS)
    cleared = sign_keys(own) & ~np.bitwise_or.reduce(values, axis=-1)
    settings = np.array(list(itertools.product((0, 1), repeat=PROBED_BITS)), dtype=np.uint64)
    added = (values[:, None, :] * settings[None]).sum(axis=-1, dtype=np.uint64)
    return canonical(key_variants(cleared[:, None] | added))


def crop_pairs(store: ViewStore, distance: int, skip=frozenset(), rows=None
               ) -> dict[tuple[int, int], tuple[int, int, tuple[float, ...]]]:  # fmt: skip
    """{(a, b): (hash distance, g, crop)}: image b (a row of the store) is image a cropped by
    `crop` (fractions cut from the left, top, right, bottom of a's view) then flipped or turned
    by DIHEDRAL[g], its hash within `distance` bits of that crop's. Only the images of `rows`
    (default: every image present) are compared; pairs of rows (i < j) in `skip` are not."""
    rows = np.flatnonzero(store.present) if rows is None else np.asarray(rows, dtype=np.int64)
    rows = rows[store.present[rows]]
    if len(rows) < 2 or distance < 0:
        return {}
    table = _KeyTable.of(store, rows)
    skipped = np.array(sorted(i * len(store) + j for i, j in skip), dtype=np.int64)
    best: dict[tuple[int, int, int], tuple[float, int]] = {}
    for start in range(0, len(rows), QUERY_BLOCK):
        queries = rows[start:start + QUERY_BLOCK]
        own = store.coefficients[queries].astype(np.float64)
        wanted = descriptors(np.stack([g.coefficients(own) for g in DIHEDRAL], axis=1))
        found = []
        for local, target, box, turn in table.matches(own):
            query = queries[local]
            pairs = np.minimum(query, target) * len(store) + np.maximum(query, target)
            keep = (query != target) & ~np.isin(pairs, skipped)
            local, query, target, box, turn = (local[keep], query[keep], target[keep],
                                               box[keep], turn[keep])  # fmt: skip
            closest = _descriptor_distances(wanted, store.crop_coefficients, local, target,
                                            box, turn)  # fmt: skip
            keep = closest <= DESCRIPTOR_DISTANCE
            found.append((closest[keep], query[keep], turn[keep], target[keep], box[keep]))
        if found:
            best.update(_nearest(*(np.concatenate(column) for column in zip(*found,
                                                                           strict=True))))
    return _aligned(store, best, distance)


def _nearest(closest, query, turn, target, box) -> dict[tuple[int, int, int], tuple[float, int]]:
    """{(b, g, a): (distance, box)}: for each copy b, the TOP_CANDIDATES originals a (with the
    turn g and the box of a) nearest by their coefficients, each (b, g, a) by its nearest box.
    Only these are aligned, so that a cluster of look-alike images (one frame, one layout)
    costs as many alignments as it has images, not their square."""
    order = np.lexsort((box, target, turn, closest, query))  # per copy, nearest first
    closest, query, turn, target, box = (closest[order], query[order], turn[order],
                                         target[order], box[order])  # fmt: skip
    chosen: dict[tuple[int, int, int], tuple[float, int]] = {}
    taken: dict[int, int] = {}
    for dist, b, g, a, c in zip(closest.tolist(), query.tolist(), turn.tolist(), target.tolist(),
                                box.tolist(), strict=True):  # fmt: skip
        if (b, g, a) in chosen or taken.get(b, 0) >= TOP_CANDIDATES:
            continue
        chosen[(b, g, a)] = (dist, c)
        taken[b] = taken.get(b, 0) + 1
    return chosen


def _aligned(store: ViewStore, best: dict, distance: int) -> dict:
    """The candidates (b turned by g looks like box c of a) whose crop, aligned on a's working
    view, has a hash within `distance` of b's so turned; per pair the nearest."""
    boxes = crop_boxes()
    found: dict[tuple[int, int], tuple[int, int, tuple[float, ...], int, int]] = {}
    workings: dict[int, object] = {}
    for (b, g, a), (_, c) in sorted(best.items()):
        if a not in workings:
            workings[a] = store.working(a)
        original = workings[a]
        if original is None:  # no longer readable: no crop can be told
            continue
        copy = DIHEDRAL[g].coefficients(store.coefficients[b].astype(np.float64))
        crop = align(original, copy, boxes[c])
        crop_hash = hash_bits(original.box_coefficients([crop])[0])
        dist = int(popcount(crop_hash ^ hash_bits(copy)))
        pair = (min(a, b), max(a, b))
        if dist <= distance and (pair not in found or dist < found[pair][0]):
            found[pair] = (dist, inverse(g), crop, a, b)
    return {(a, b): (dist, g, crop) for dist, g, crop, a, b in found.values()}


class _KeyTable:
    """Every crop box's canonical key (`image_hashes.crop_keys`), sorted, to look keys up in."""

    def __init__(self, keys: np.ndarray, rows: np.ndarray):
        mask = np.uint32(KEY_MASK)
        self.boxes = keys.shape[1]
        self.flat = keys.reshape(-1)
        self.order = np.argsort(self.flat & mask, kind="stable").astype(np.int32)
        self.ordered = self.flat[self.order] & mask
        self.rows = rows

    @classmethod
    def of(cls, store: ViewStore, rows: np.ndarray) -> _KeyTable:
        return cls(store.crop_keys[rows], rows)

    def matches(self, own: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
        """(query, image, box, turn) for every probe of a query's key (its coefficients `own`)
        that is the key of a box of an image (a row of the store): the query turned by
        DIHEDRAL[turn] has the box's key (every turn that does, where some flip or turn leaves
        the key as it is). `query` indexes `own`. Given in batches of at most about
        MATCHES_AT_ONCE; a key that more than MAX_KEY_BOXES boxes share is not looked up."""
        mask = np.uint32(KEY_MASK)
        probes = _probes(own).reshape(-1)
        sorting = np.argsort(probes & mask)  # sorted needles are found faster
        needles = probes[sorting] & mask
        first = np.searchsorted(self.ordered, needles, side="left")
        counts = np.searchsorted(self.ordered, needles, side="right") - first
        counts[counts > MAX_KEY_BOXES] = 0
        ends = np.cumsum(counts)
        start = 0
        while start < len(needles):
            stop = max(start + 1, int(np.searchsorted(ends, ends[start] - counts[start]
                                                      + MATCHES_AT_ONCE, side="right")))
            which, position = expand(first[start:stop], counts[start:stop])
            if len(which):
                yield self._matched(probes, sorting[start:stop][which], position)
            start = stop

    def _matched(self, probes: np.ndarray, probe: np.ndarray,
                 position: np.ndarray) -> tuple[np.ndarray, ...]:  # fmt: skip
        """(query, image, box, turn) of probes (indices into `probes`) and the positions of the
        boxes whose keys they are."""
        found = self.flat[self.order[position]]
        query = probe // 2**PROBED_BITS
        probe = probes[probe]
        target, box = np.divmod(self.order[position], self.boxes)
        target = self.rows[target]
        probe_turn = (probe >> np.uint32(TURN_SHIFT)) & np.uint32(7)
        box_turn = (found >> np.uint32(TURN_SHIFT)) & np.uint32(7)
        turn = COMPOSITION[INVERSES[box_turn], probe_turn]
        tied = (((probe | found) >> np.uint32(TIE_SHIFT)) & np.uint32(1)).astype(bool)
        if tied.any():  # try every turn
            count = int(tied.sum())
            query = np.concatenate([query[~tied], np.repeat(query[tied], 8)])
            target = np.concatenate([target[~tied], np.repeat(target[tied], 8)])
            box = np.concatenate([box[~tied], np.repeat(box[tied], 8)])
            turn = np.concatenate([turn[~tied], np.tile(np.arange(8), count)])
        return query, target, box, turn


def _descriptor_distances(wanted: np.ndarray, stored: np.ndarray, query: np.ndarray,
                          target: np.ndarray, box: np.ndarray,
                          turn: np.ndarray) -> np.ndarray:  # fmt: skip
    """For each candidate, the distance between the descriptors of the query so turned
    (`wanted`: (queries, 8, 35), `query` indexing it) and those of the target's box (`stored`:
    every image's crop_coefficients)."""
    closest = np.empty(len(query), dtype=np.float64)
    for start in range(0, len(query), CHUNK):
        part = slice(start, start + CHUNK)
        boxes = unit(stored[target[part], box[part]])
        cosines = np.einsum("md,md->m", wanted[query[part], turn[part]], boxes)
        closest[part] = np.sqrt(np.maximum(2 - 2 * cosines, 0))
    return closest


def _normalised(coefficients: np.ndarray) -> np.ndarray:
    flat = coefficients.reshape(*coefficients.shape[:-2], -1)[..., 1:]
    return flat / np.maximum(np.linalg.norm(flat, axis=-1, keepdims=True), 1e-12)


def crop_distance(original: WorkingView, copy: np.ndarray, crop) -> float:
    """How far the normalised coefficients of a crop of `original` are from `copy`'s (the
    squared distance `align` minimises)."""
    found = original.box_coefficients([crop], copy.shape[-1])[0]
    return float(((_normalised(found) - _normalised(copy)) ** 2).sum())


def align(original: WorkingView, copy: np.ndarray, start) -> tuple[float, ...]:
    """The crop (left, top, right, bottom cut) of `original` whose 8x8 coefficients, normalised
    (so brightness and contrast do not count), are nearest `copy`'s, searched from `start`.

    The two axes are separate: a move of the left or right side changes only the weights
    across, a move of the top or bottom only those down, so each step multiplies the image by
    the current weights of one axis once and tries the moves of the other against that."""
    wanted = _normalised(copy)
    image = original.pixels.astype(np.float64)
    x0, x1, y0, y1 = original.content
    k = copy.shape[-1]
    crop = np.clip(np.asarray(start, dtype=np.float64), 0.0, MAX_CUT)

    def across(spans):
        return axis_weights(image.shape[1], x0, x1, spans, k)  # (m, k, cols)

    def down(spans):
        return axis_weights(image.shape[0], y0, y1, spans, k)  # (m, k, rows)

    rows_done = down([crop[[1, 3]]])[0] @ image  # (k, cols): the current weights down, applied
    cols_done = image @ across([crop[[0, 2]]])[0].T  # (rows, k)
    best = float(((_normalised(rows_done @ across([crop[[0, 2]]])[0].T) - wanted) ** 2).sum())
    for step in STEPS:
        for _ in range(40):
            trials = np.clip(crop + step * np.concatenate([np.eye(4), -np.eye(4)]), 0, MAX_CUT)
            sideways = [0, 2, 4, 6]  # moves of the left or right side
            upright = [1, 3, 5, 7]
            coefficients = np.concatenate([
                rows_done @ np.swapaxes(across(trials[sideways][:, [0, 2]]), 1, 2),
                down(trials[upright][:, [1, 3]]) @ cols_done,
            ])  # fmt: skip
            scores = ((_normalised(coefficients) - wanted) ** 2).sum(axis=-1)
            chosen = int(np.argmin(scores))
            if scores[chosen] >= best - 1e-12:
                break
            best = float(scores[chosen])
            move = (sideways + upright)[chosen]
            crop = trials[move]
            if move in sideways:
                cols_done = image @ across([crop[[0, 2]]])[0].T
            else:
                rows_done = down([crop[[1, 3]]])[0] @ image
    return tuple(float(x) for x in crop)
