"""Pairs of 64-bit perceptual hashes within a Hamming distance, found without comparing every
pair: split each hash into distance + 1 blocks; two hashes within the distance share at least
one block exactly (pigeonhole), so only hashes that share a block are compared.

`dihedral_pairs` compares each image's own hash with the hashes of the 8 flips and quarter
turns of every other image (derived from their coefficients, `image_hashes`), so a copy that
was flipped or rotated, and rescaled, regraded or re-encoded, is within the distance of one of
its original's variants."""

from __future__ import annotations

import numpy as np

from fracqa.load.image_hashes import DIHEDRAL, above_median, pack_bits

BITS = 64
QUERY_BLOCK = 4096  # queries looked up at once


def popcount(values: np.ndarray) -> np.ndarray:
    return np.bitwise_count(np.asarray(values, dtype=np.uint64)).astype(np.int64)


def matches_within(queries, targets, distance: int, bits: int = BITS) -> tuple[np.ndarray, ...]:
    """(query index, target index, Hamming distance) of every pair of a query and a target
    hash that differ in at most `distance` bits, each pair once. The pairs that share a block
    are looked at QUERY_BLOCK queries at a time and only those within the distance kept: with
    ten times the release's images, the pairs that share one of five 13-bit blocks are
    millions."""
    queries = np.asarray(queries, dtype=np.uint64)
    targets = np.asarray(targets, dtype=np.uint64)
    empty = np.zeros(0, dtype=np.int64)
    if distance < 0 or not len(queries) or not len(targets):
        return empty, empty, empty
    blocks = min(distance + 1, bits)
    edges = np.linspace(0, bits, blocks + 1).astype(int)
    tables = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        mask = np.uint64((1 << int(high - low)) - 1)
        target_keys = (targets >> np.uint64(low)) & mask
        order = np.argsort(target_keys, kind="stable")
        tables.append((np.uint64(low), mask, order, target_keys[order]))
    found_q, found_t = [], []
    for start in range(0, len(queries), QUERY_BLOCK):
        part = queries[start:start + QUERY_BLOCK]
        for low, mask, order, ordered in tables:
            query_keys = (part >> low) & mask
            first = np.searchsorted(ordered, query_keys, side="left")
            counts = np.searchsorted(ordered, query_keys, side="right") - first
            q, t = expand(first, counts)
            t = order[t]
            close = popcount(part[q] ^ targets[t]) <= distance
            found_q.append(q[close] + start)
            found_t.append(t[close])
    q = np.concatenate(found_q)
    t = np.concatenate(found_t)
    _, first = np.unique(q * len(targets) + t, return_index=True)  # found in several blocks
    q, t = q[first], t[first]
    return q, t, popcount(queries[q] ^ targets[t])


def expand(first: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [first, first + count) of sorted targets, one per query: (query index,
    position) of every member."""
    total = int(counts.sum())
    queries = np.repeat(np.arange(len(counts)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    positions = np.repeat(first, counts) + (np.arange(total) - starts)
    return queries, positions


def dihedral_hashes(coefficients: np.ndarray) -> np.ndarray:
    """(n, 8) uint64: the hash of each of the 8 dihedral variants of n images' coefficients.

    A transposed variant holds the values of an untransposed one (with the other flips), so it
    has the same median and its bits are theirs transposed: 4 medians per image, not 8."""
    upright = [g for g in DIHEDRAL if not g.transpose]
    above = {g: above_median(g.coefficients(coefficients)) for g in upright}
    for g in DIHEDRAL:
        if g.transpose:
            above[g] = np.swapaxes(above[DIHEDRAL[2 * g.flip_cols + g.flip_rows]], -1, -2)
    bits = np.stack([above[g] for g in DIHEDRAL], axis=1)
    return pack_bits(bits.reshape(*bits.shape[:-2], -1))


def dihedral_pairs(coefficients: np.ndarray,
                   distance: int) -> dict[tuple[int, int], tuple[int, int]]:  # fmt: skip
    """{(a, b): (distance, g)} for images a != b where b's own hash is within `distance` bits of
    the hash of a transformed by DIHEDRAL[g] (b looks like a so flipped or turned), keeping per
    pair of images the closest transform (the identity first at equal distance)."""
    variants = dihedral_hashes(np.asarray(coefficients, dtype=np.float64))
    own = variants[:, 0]
    q, t, d = matches_within(own, variants.reshape(-1), distance)
    best: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for b, target, dist in zip(q.tolist(), t.tolist(), d.tolist(), strict=True):
        a, g = divmod(target, len(DIHEDRAL))
        key = (min(a, b), max(a, b))
        if a != b and (key not in best or (dist, g) < best[key][:2]):
            best[key] = (dist, g, a, b)
    return {(a, b): (dist, g) for dist, g, a, b in best.values()}
