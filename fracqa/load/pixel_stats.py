"""Pixel statistics of a decoded image, for the rules about content: is this a usable
radiograph (not blank, not saturated, not a flat band where a truncated file ended)?

Measured on the draft-mode decode the scan already does (1/8 scale, greyscale), so they cost
a few microseconds per image. Grey levels are 0-255.
"""

from __future__ import annotations

import numpy as np

STAT_COLUMNS = (
    "px_mean", "px_std", "px_min", "px_max", "px_p01", "px_p99", "px_entropy",
    "px_flat_bottom", "px_flat_run",
)  # fmt: skip
FLAT_LEVELS = 1  # grey levels a row may span and still count as flat


def pixel_stats(pixels: np.ndarray) -> dict[str, float]:
    """Statistics of a 2-D array of grey levels: mean, standard deviation, extremes, the 1st
    and 99th percentiles, the entropy of the histogram (bits), and the share of rows that are
    flat (one grey level) at the bottom of the image and in the longest run anywhere."""
    if pixels.size == 0:
        return dict.fromkeys(STAT_COLUMNS, float("nan"))
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    share = histogram / histogram.sum()
    levels = np.arange(histogram.size, dtype=np.float64)
    mean = float((share * levels).sum())
    cumulative = np.cumsum(share)
    nonzero = share[share > 0]
    flat = _flat_rows(pixels)
    return {
        "px_mean": round(mean, 3),
        "px_std": round(float(np.sqrt((share * (levels - mean) ** 2).sum())), 3),
        "px_min": float(np.flatnonzero(histogram)[0]),
        "px_max": float(np.flatnonzero(histogram)[-1]),
        "px_p01": float(np.searchsorted(cumulative, 0.01)),
        "px_p99": float(np.searchsorted(cumulative, 0.99)),
        "px_entropy": round(float(-(nonzero * np.log2(nonzero)).sum()), 4),
        "px_flat_bottom": round(_bottom_run(flat) / len(flat), 4),
        "px_flat_run": round(_longest_run(flat) / len(flat), 4),
    }


def _flat_rows(pixels: np.ndarray) -> np.ndarray:
    """Per row: True when the row holds one grey level (within FLAT_LEVELS), the same as the
    row before it where that one is flat too."""
    low, high = pixels.min(axis=1).astype(np.int16), pixels.max(axis=1).astype(np.int16)
    flat = (high - low) <= FLAT_LEVELS
    level = (low + high) / 2
    same = np.ones_like(flat)
    same[1:] = np.abs(np.diff(level)) <= FLAT_LEVELS
    return flat & (same | ~np.roll(flat, 1))


def _bottom_run(flat: np.ndarray) -> int:
    if not flat[-1]:
        return 0
    breaks = np.flatnonzero(~flat[::-1])
    return int(breaks[0]) if breaks.size else len(flat)


def _longest_run(flat: np.ndarray) -> int:
    padded = np.concatenate(([False], flat, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[0::2]).max()) if edges.size else 0
