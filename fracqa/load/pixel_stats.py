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
    "px_band", "px_band_edge", "px_band_lines", "px_band_level", "px_band_extreme",
)  # fmt: skip
FLAT_LEVELS = 1  # grey levels a row may span and still count as flat
MIN_BAND_LINES = 2  # flat lines (at the measured scale) an edge band needs to count as one
EXTREME_LEVELS = 2  # a band this close to the rest's 1st or 99th percentile is at its extremes


def pixel_stats(pixels: np.ndarray, size: tuple[int, int] | None = None,
                scale: int = 1) -> dict[str, float | str | None]:  # fmt: skip
    """Statistics of a 2-D array of grey levels: mean, standard deviation, extremes, the 1st
    and 99th percentiles, the entropy of the histogram (bits), the share of rows that are
    flat (one grey level) at the bottom of the image and in the longest run anywhere, and the
    widest flat band along an edge (see `edge_band`). `size` is the (width, height) of the
    image the array was decoded from at 1/`scale`, to give the band in the image's lines."""
    if pixels.size == 0:
        return dict.fromkeys(STAT_COLUMNS, float("nan"))
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    share = histogram / histogram.sum()
    levels = np.arange(histogram.size, dtype=np.float64)
    mean = float((share * levels).sum())
    cumulative = np.cumsum(share)
    nonzero = share[share > 0]
    low, high = pixels.min(axis=1).astype(np.int16), pixels.max(axis=1).astype(np.int16)
    spans = high - low
    if spans.min() > FLAT_LEVELS:  # the usual case: no row is flat
        bottom = longest = 0.0
    else:
        flat = _flat_rows(low, high, spans)
        bottom = round(_bottom_run(flat) / len(flat), 4)
        longest = round(_longest_run(flat) / len(flat), 4)
    return {
        "px_mean": round(mean, 3),
        "px_std": round(float(np.sqrt((share * (levels - mean) ** 2).sum())), 3),
        "px_min": float(np.flatnonzero(histogram)[0]),
        "px_max": float(np.flatnonzero(histogram)[-1]),
        "px_p01": float(np.searchsorted(cumulative, 0.01)),
        "px_p99": float(np.searchsorted(cumulative, 0.99)),
        "px_entropy": round(float(-(nonzero * np.log2(nonzero)).sum()), 4),
        "px_flat_bottom": bottom,
        "px_flat_run": longest,
        **edge_band(pixels, (low, high, spans), size, scale),
    }


def edge_band(pixels: np.ndarray, row_range: tuple[np.ndarray, ...] | None = None,
              size: tuple[int, int] | None = None, scale: int = 1) -> dict:  # fmt: skip
    """The widest band of flat lines (rows at the top or bottom, columns at the left or
    right) of one grey level along an edge, at least MIN_BAND_LINES wide:
    - px_band: its share of the lines across that axis (0 without a band);
    - px_band_edge: "top", "bottom", "left" or "right";
    - px_band_lines: its width in the image's own lines (at full resolution);
    - px_band_level: its grey level;
    - px_band_extreme: 1.0 when that level is at the extremes of the rest of the image (the
      darkest or brightest 1% of it, where a padded border lies), 0.0 when it lies within
      its range (the mid-grey a lenient decoder fills a truncated file's missing rows with)."""
    none = {"px_band": 0.0, "px_band_edge": None, "px_band_lines": 0, "px_band_level": None,
            "px_band_extreme": None}  # fmt: skip
    if pixels.ndim != 2 or min(pixels.shape) < 2 * MIN_BAND_LINES:
        return none
    if row_range is None:
        low, high = pixels.min(axis=1).astype(np.int16), pixels.max(axis=1).astype(np.int16)
        row_range = (low, high, high - low)
    low, high, spans = row_range
    # the usual case, no edge line flat, costs a few comparisons of single values: a band
    # needs its two outermost lines flat
    last, at = len(spans) - 1, pixels.item
    edges = []
    if spans.item(last) <= FLAT_LEVELS and spans.item(last - 1) <= FLAT_LEVELS:
        edges.append(("bottom", (low, high), True))
    if spans.item(0) <= FLAT_LEVELS and spans.item(1) <= FLAT_LEVELS:
        edges.append(("top", (low, high), False))
    middle, right = pixels.shape[0] // 2, pixels.shape[1] - 1
    candidates = [(edge, from_end) for edge, from_end, columns in
                  (("right", True, (right, right - 1)), ("left", False, (0, 1)))
                  if all(_level_span(at(0, c), at(middle, c), at(last, c)) <= FLAT_LEVELS
                         for c in columns)]  # fmt: skip
    if candidates:
        columns = (pixels.min(axis=0).astype(np.int16), pixels.max(axis=0).astype(np.int16))
        edges += [(edge, columns, from_end) for edge, from_end in candidates]
    best = None
    for edge, (low, high), from_end in edges:
        if not from_end:
            low, high = low[::-1], high[::-1]
        run, level = _edge_run(low, high)
        if run >= MIN_BAND_LINES and (best is None or run / len(low) > best[1] / best[2]):
            best = (edge, run, len(low), level)
    if best is None or best[1] == best[2]:  # no band, or the whole image is one level
        return none
    edge, run, lines, level = best
    width, height = size or (pixels.shape[1] * scale, pixels.shape[0] * scale)
    extent = height if edge in ("top", "bottom") else width
    full = extent - (lines - run) * scale if edge in ("bottom", "right") else run * scale
    rest = {"bottom": pixels[:lines - run], "top": pixels[run:],
            "right": pixels[:, :lines - run], "left": pixels[:, run:]}[edge]  # fmt: skip
    p01, p99 = np.quantile(rest, (0.01, 0.99))
    extreme = level <= p01 + EXTREME_LEVELS or level >= p99 - EXTREME_LEVELS
    return {"px_band": round(run / lines, 4), "px_band_edge": edge,
            "px_band_lines": int(max(0, min(extent, full))), "px_band_level": round(level, 1),
            "px_band_extreme": float(extreme)}  # fmt: skip


def _level_span(*levels: int) -> int:
    return max(levels) - min(levels)


def bottom_band(pixels: np.ndarray) -> tuple[int, float | None]:
    """The flat rows of one grey level at the bottom of the array, and that level."""
    if pixels.ndim != 2 or pixels.size == 0:
        return 0, None
    run, level = _edge_run(pixels.min(axis=1).astype(np.int16),
                           pixels.max(axis=1).astype(np.int16))  # fmt: skip
    return run, (round(level, 1) if run else None)


def _edge_run(low: np.ndarray, high: np.ndarray) -> tuple[int, float]:
    """How many lines at the end are flat and at the level of the last one (within
    FLAT_LEVELS), and that level."""
    level = (low + high) / 2
    edge = float(level[-1])
    fits = ((high - low) <= FLAT_LEVELS) & (np.abs(level - edge) <= FLAT_LEVELS)
    breaks = np.flatnonzero(~fits[::-1])
    return (int(breaks[0]) if breaks.size else len(fits)), edge


def _flat_rows(low: np.ndarray, high: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Per row: True when the row holds one grey level (within FLAT_LEVELS), the same as the
    row before it where that one is flat too."""
    flat = spans <= FLAT_LEVELS
    level = (low + high) / 2
    same = np.ones_like(flat)
    same[1:] = np.abs(np.diff(level)) <= FLAT_LEVELS
    before = np.empty_like(flat)  # each row's predecessor (the first row's: the last, as np.roll)
    before[0], before[1:] = flat[-1], flat[:-1]
    return flat & (same | ~before)


def _bottom_run(flat: np.ndarray) -> int:
    if not flat[-1]:
        return 0
    breaks = np.flatnonzero(~flat[::-1])
    return int(breaks[0]) if breaks.size else len(flat)


def _longest_run(flat: np.ndarray) -> int:
    padded = np.concatenate(([False], flat, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[0::2]).max()) if edges.size else 0
