"""Whether two images that the hashes link show the same content, as loaders see them, and how
one was made from the other (`near_duplicates` and `crop_search` find the candidates; the
duplicate rules IMG011-IMG013 judge them).

Hashes compare the lowest frequencies of whole images, so two distinct radiographs inside the
same wide collimation frame (a black border of a quarter of each side, a label block) can hash
alike: the frame is most of what the hash sees. `ViewMatcher.match` therefore reads the working
views of both images again (`ViewStore.working`: the draft decode, EXIF applied, at most 64
pixels a side; a few are cached, none is kept), aligns them by the link (the first image
cropped, then flipped or turned) and measures, on a grid of CELLS x CELLS cells of the aligned
content:

- **correlation**: the rank (Spearman) correlation of the cells' grey levels, over the cells
  that have detail in both images: a cell is flat when its grey levels and those of its 8
  neighbours span at most FLAT of the image's range, and the cells next to a flat one are left
  out too, so that the edges of a shared frame do not count. A flip, turn, crop, rescale,
  re-encoding, noise, or a regrade (brightness, contrast, gamma: any monotone change of the
  grey levels keeps the ranks) leaves it near 1 (measured on copies of replica images: 0.98 or
  more for every such copy, 0.93 for a 2° rotation); distinct images under one frame were
  0.80 or less. With fewer than MIN_CELLS cells of detail, the cells with detail are taken
  without that margin, then every cell.
- **levels**: the mean grey level of each image's aligned content and the ratio of their
  spreads (standard deviations of 8x8 blocks of cells), from which the rules name a regrade.

A link found by the plain hashes (no crop) is aligned first, both ways: a copy cropped by a
few percent hashes like its original, and which image is the crop of the other, if either,
is told by the crop of one that brings its coefficients nearest the other's
(`crop_search.align`): a crop is taken only when it brings them CROP_GAIN times nearer than
the whole image (real crops: 70 times nearer or more; a strong regrade or a marker drifts the
alignment by up to 1 % for at most a halving).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from fracqa.load.crop_search import align, crop_distance
from fracqa.load.image_hashes import DIHEDRAL, WorkingView, hash_bits, inverse
from fracqa.load.near_duplicates import popcount
from fracqa.load.view_store import ViewStore

CELLS = 24  # the aligned content is compared on a grid of CELLS x CELLS cells
FLAT = 0.03  # a cell is flat when its 3x3 neighbourhood spans at most this share of the range
MIN_CELLS = 20  # fewest cells with detail to correlate; with fewer, the margin is dropped
LEVEL_BLOCKS = 8  # the spread of the grey levels is measured on 8x8 blocks of cells
CROP_GAIN = 5.0  # a crop found on a plain link must bring the coefficients this much nearer
CACHE = 16  # working views kept while links are matched (the first image of a group's links)
NO_CROP = (0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Match:
    """Image b (a row of the store) is image a cropped by `crop` (fractions cut from its left,
    top, right and bottom; None: not cropped), then flipped or turned by DIHEDRAL[turn], and
    how alike their aligned contents are."""

    a: int
    b: int
    turn: int
    crop: tuple[float, ...] | None
    correlation: float  # rank correlation of the cells with detail
    cells: int  # how many cells it was measured on
    mean_a: float  # mean grey level of a's aligned content
    mean_b: float  # mean grey level of b
    contrast: float  # spread of b's grey levels over that of a's aligned content
    distance: int | None = None  # the hash distance of b to a's crop, for a crop found here


class ViewMatcher:
    """Matches links between images of a store, reading their working views again (the last
    CACHE read are kept while it lives)."""

    def __init__(self, store: ViewStore):
        self.store = store
        self._cache: OrderedDict[int, WorkingView | None] = OrderedDict()

    def working(self, row: int) -> WorkingView | None:
        if row in self._cache:
            self._cache.move_to_end(row)
            return self._cache[row]
        view = self.store.working(row)
        self._cache[row] = view
        if len(self._cache) > CACHE:
            self._cache.popitem(last=False)
        return view

    def match(self, a: int, b: int, turn: int, crop=None) -> Match | None:
        """How b is a (b is a cropped by `crop`, then turned by DIHEDRAL[turn]); without a crop,
        the crop of either that makes it the other, if any (the match may then run from b to
        a). None if either image cannot be read again."""
        view_a, view_b = self.working(a), self.working(b)
        if view_a is None or view_b is None:
            return None
        distance = None
        if crop is None:
            a, b, turn, crop, view_a, view_b = self._oriented(a, b, turn, view_a, view_b)
            if crop is not None:
                copy = DIHEDRAL[inverse(turn)].coefficients(
                    self.store.coefficients[b].astype(np.float64))
                own = hash_bits(view_a.box_coefficients([crop])[0])
                distance = int(popcount(own ^ hash_bits(copy)))
        return Match(a, b, turn, crop, *compare(view_a, view_b, turn, crop), distance)

    def _oriented(self, a: int, b: int, turn: int, view_a: WorkingView, view_b: WorkingView):
        """(a, b, turn, crop, view a, view b) of a link found without a crop: a's crop that
        gives b, or b's that gives a, whichever brings the coefficients nearer, if it brings
        them CROP_GAIN times nearer than the whole image; else the link as it was."""
        coefficients = self.store.coefficients
        forward = _crop_of(view_a, DIHEDRAL[inverse(turn)].coefficients(
            coefficients[b].astype(np.float64)))  # fmt: skip
        backward = _crop_of(view_b, DIHEDRAL[turn].coefficients(
            coefficients[a].astype(np.float64)))  # fmt: skip
        if backward is not None and (forward is None or backward[1] < forward[1]):
            return b, a, inverse(turn), backward[0], view_b, view_a
        if forward is not None:
            return a, b, turn, forward[0], view_a, view_b
        return a, b, turn, None, view_a, view_b


def _crop_of(original: WorkingView, copy: np.ndarray) -> tuple[tuple[float, ...], float] | None:
    """(crop, distance) of the crop of `original` nearest `copy`'s coefficients (turned to
    original's orientation), if it is CROP_GAIN times nearer than the whole image."""
    whole = crop_distance(original, copy, NO_CROP)
    crop = align(original, copy, NO_CROP)
    distance = crop_distance(original, copy, crop)
    if distance * CROP_GAIN <= whole and any(side > 0 for side in crop):
        return crop, distance
    return None


def compare(original: WorkingView, copy: WorkingView, turn: int,
            crop=None) -> tuple[float, int, float, float, float]:  # fmt: skip
    """(correlation, cells, mean of original, mean of copy, contrast) of `copy` against
    `original` cropped by `crop` and turned by DIHEDRAL[turn] (see the module's docstring)."""
    first = DIHEDRAL[turn].array(cells(original, crop or NO_CROP))
    second = cells(copy, NO_CROP)
    flat = _flat(first) | _flat(second)
    keep = ~_grown(flat)
    if keep.sum() < MIN_CELLS:
        keep = ~flat
    if keep.sum() < MIN_CELLS:
        keep = np.ones_like(flat)
    correlation = _correlation(_ranks(first[keep]), _ranks(second[keep]))
    spread_first, spread_second = _block_spread(first), _block_spread(second)
    contrast = spread_second / spread_first if spread_first > 0 else 1.0
    return (correlation, int(keep.sum()), float(first.mean()), float(second.mean()),
            float(contrast))  # fmt: skip


def cells(view: WorkingView, crop) -> np.ndarray:
    """(CELLS, CELLS): the mean grey level of each cell of a box of the view (the fractions
    cut from the left, top, right and bottom of its content)."""
    x0, x1, y0, y1 = view.content
    left, top, right, bottom = crop
    pixels = view.pixels.astype(np.float64)
    down = _cell_weights(pixels.shape[0], y0, y1, top, bottom)
    across = _cell_weights(pixels.shape[1], x0, x1, left, right)
    return down @ pixels @ across.T


def _cell_weights(pixels: int, start: float, end: float, low: float, high: float) -> np.ndarray:
    """(CELLS, pixels): each cell's share of each pixel, for the span of [start, end] that
    leaves out `low` and `high` of its length at either end, cut in CELLS equal cells."""
    length = end - start
    edges = np.linspace(start + low * length, end - high * length, CELLS + 1)
    bounds = np.clip(np.arange(pixels + 1, dtype=np.float64), start, end)
    overlap = (np.minimum(bounds[None, 1:], edges[1:, None])
               - np.maximum(bounds[None, :-1], edges[:-1, None]))  # fmt: skip
    overlap = np.clip(overlap, 0.0, None)
    return overlap / np.maximum(overlap.sum(axis=1, keepdims=True), 1e-12)


def _neighbourhoods(values: np.ndarray) -> np.ndarray:
    """(9, rows, cols): each cell's value and its 8 neighbours' (the edge repeated)."""
    padded = np.pad(values, 1, mode="edge")
    rows, cols = values.shape
    return np.stack([padded[i:i + rows, j:j + cols] for i in range(3) for j in range(3)])


def _flat(values: np.ndarray) -> np.ndarray:
    """The cells whose 3x3 neighbourhood spans at most FLAT of the image's range (from its
    2nd to its 98th percentile)."""
    low, high = np.percentile(values, [2, 98])
    around = _neighbourhoods(values)
    return around.max(axis=0) - around.min(axis=0) <= FLAT * max(high - low, 1e-9)


def _grown(mask: np.ndarray) -> np.ndarray:
    """The cells of the mask and their 8 neighbours."""
    return _neighbourhoods(mask).any(axis=0)


def _ranks(values: np.ndarray) -> np.ndarray:
    """The ranks of values, ties given their mean rank."""
    _, inverse_of, counts = np.unique(values, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    return (last - (counts - 1) / 2.0)[inverse_of]


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    scale = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / scale) if scale > 0 else 0.0


def _block_spread(values: np.ndarray) -> float:
    """The standard deviation of the means of LEVEL_BLOCKS x LEVEL_BLOCKS blocks of cells
    (coarse enough that a copy's lower resolution does not lower it)."""
    size = CELLS // LEVEL_BLOCKS
    blocks = values.reshape(LEVEL_BLOCKS, size, LEVEL_BLOCKS, size).mean(axis=(1, 3))
    return float(blocks.std())
