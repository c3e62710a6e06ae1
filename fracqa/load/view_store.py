"""The view hashes of every scanned image of a release, in arrays with one row per image.

The scan's workers describe each image by a `ViewHashes` (see `image_hashes`); kept as one
object per image, with the working image it was computed from, they weighed about 7 KB an image
in the audit's memory (300 MB for ten times the release). The store keeps what the duplicate
rules compare in a few arrays: 4 KB an image, most of it the crop boxes' 8-bit coefficients, and
no working image: the crop search aligns a crop on the working image of the few originals it
finds, which `working` reads again from the file (or, for views made in memory, takes from the
function given).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from fracqa.load.image_hashes import CROP_GRIDS, DESCRIPTOR_FREQUENCIES, FREQUENCIES, ViewHashes

BOXES = sum(len(grid) ** 4 for grid in CROP_GRIDS)  # 97
DESCRIPTOR = DESCRIPTOR_FREQUENCIES**2 - 1  # 35


@dataclass(frozen=True, eq=False)
class ViewBlock:
    """The ViewHashes of consecutive images, stacked (what a scan chunk sends back)."""

    present: np.ndarray  # (k,) bool: the image was decoded and has hashes
    coefficients: np.ndarray  # (k, 8, 8) float32
    crop_coefficients: np.ndarray  # (k, 97, 35) int8
    pixel_variant: np.ndarray  # (k,) int8

    @classmethod
    def of(cls, views: Sequence[ViewHashes | None]) -> ViewBlock:
        count = len(views)
        block = cls(np.zeros(count, dtype=bool), np.zeros((count, FREQUENCIES, FREQUENCIES),
                    dtype=np.float32), np.zeros((count, BOXES, DESCRIPTOR), dtype=np.int8),
                    np.zeros(count, dtype=np.int8))  # fmt: skip
        for row, view in enumerate(views):
            if view is not None:
                block.present[row] = True
                block.coefficients[row] = view.coefficients
                block.crop_coefficients[row] = view.crop_coefficients
                block.pixel_variant[row] = view.pixel_variant
        return block


@dataclass(eq=False)
class ViewStore:
    """The view hashes of n images (rows), filled block by block as the scan's chunks arrive.
    `working(row)` gives the working view of an image again (None if it cannot be read)."""

    present: np.ndarray
    coefficients: np.ndarray
    crop_coefficients: np.ndarray
    pixel_variant: np.ndarray
    reader: Callable[[int], object] = field(default=lambda row: None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def empty(cls, count: int, reader: Callable[[int], object] | None = None) -> ViewStore:
        """A store for `count` images, none present yet (np.zeros commits no memory before a
        row is written)."""
        return cls(np.zeros(count, dtype=bool),
                   np.zeros((count, FREQUENCIES, FREQUENCIES), dtype=np.float32),
                   np.zeros((count, BOXES, DESCRIPTOR), dtype=np.int8),
                   np.zeros(count, dtype=np.int8),
                   reader or (lambda row: None))  # fmt: skip

    @classmethod
    def of(cls, views: Sequence[ViewHashes | None],
           reader: Callable[[int], object] | None = None) -> ViewStore:  # fmt: skip
        """A store of views made in memory (`reader(row)` gives each one's WorkingView)."""
        store = cls.empty(len(views), reader)
        store.fill(0, ViewBlock.of(views))
        return store

    def __len__(self) -> int:
        return len(self.present)

    def fill(self, start: int, block: ViewBlock) -> None:
        """Rows start ... of the block's images."""
        rows = slice(start, start + len(block.present))
        with self._lock:
            self.present[rows] = block.present
            self.coefficients[rows] = block.coefficients
            self.crop_coefficients[rows] = block.crop_coefficients
            self.pixel_variant[rows] = block.pixel_variant

    def working(self, row: int):
        """The WorkingView of image `row`, read again, or None."""
        return self.reader(row)
