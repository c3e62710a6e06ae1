"""Pairs of 64-bit perceptual hashes within a Hamming distance, found without comparing every
pair: split each hash into distance + 1 blocks; two hashes within the distance share at least
one block exactly (pigeonhole), so only hashes that share a block are compared."""

from __future__ import annotations

import numpy as np

BITS = 64


def _popcount(values: np.ndarray) -> np.ndarray:
    as_bytes = values.view(np.uint8).reshape(*values.shape, 8)
    return np.unpackbits(as_bytes, axis=-1).sum(axis=-1)


def close_pairs(hashes: list[int], distance: int) -> dict[tuple[int, int], int]:
    """{(i, j): Hamming distance} for every i < j whose hashes differ in at most `distance` bits."""
    values = np.array(hashes, dtype=np.uint64)
    blocks = distance + 1
    edges = np.linspace(0, BITS, blocks + 1).astype(int)
    found: dict[tuple[int, int], int] = {}
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        width = high - low
        keys = (values >> np.uint64(low)) & np.uint64((1 << width) - 1)
        order = np.argsort(keys, kind="stable")
        boundaries = np.flatnonzero(np.diff(keys[order])) + 1
        for bucket in np.split(order, boundaries):
            if len(bucket) < 2:
                continue
            members = np.sort(bucket)
            xor = values[members][:, None] ^ values[members][None, :]
            distances = _popcount(xor)
            rows, columns = np.nonzero(np.triu(distances <= distance, k=1))
            for a, b in zip(rows, columns, strict=True):
                found[(int(members[a]), int(members[b]))] = int(distances[a, b])
    return found
