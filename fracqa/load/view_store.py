"""The view hashes of every scanned image of a release, in arrays with one row per image.

The scan's workers describe each image by a `ViewHashes` (see `image_hashes`); kept as one
object per image, with the working image it was computed from, they weighed about 7 KB an image
in the audit's memory (300 MB for ten times the release). The store keeps what the duplicate
rules compare in a few arrays, 700 bytes an image, and no working image: the crop search aligns
a crop on the working image of the few originals it finds, which `working` reads again from the
file (or, for views made in memory, takes from the function given). The crop boxes' 8-bit
coefficients (3.4 KB an image, 139 MB for ten times the release) are looked up only for the
candidates the crop boxes' keys find: they are kept in an unnamed temporary file (`CropFile`),
not in the audit's memory, and their keys (computed by the scan's workers) in memory.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from fracqa.load.image_hashes import (
    CROP_GRIDS,
    DESCRIPTOR_FREQUENCIES,
    FREQUENCIES,
    ViewHashes,
    crop_keys,
)

BOXES = sum(len(grid) ** 4 for grid in CROP_GRIDS)  # 97
DESCRIPTOR = DESCRIPTOR_FREQUENCIES**2 - 1  # 35
SLAB = 2048  # images whose crop coefficients are mapped at once (7 MB)


@dataclass(frozen=True, eq=False)
class ViewBlock:
    """The ViewHashes of consecutive images, stacked (what a scan chunk sends back), with the
    keys of their crop boxes."""

    present: np.ndarray  # (k,) bool: the image was decoded and has hashes
    coefficients: np.ndarray  # (k, 8, 8) float32
    crop_coefficients: np.ndarray  # (k, 97, 35) int8
    crop_keys: np.ndarray  # (k, 97) uint32: image_hashes.crop_keys of the crop coefficients
    pixel_variant: np.ndarray  # (k,) int8

    @classmethod
    def of(cls, views: Sequence[ViewHashes | None]) -> ViewBlock:
        count = len(views)
        present = np.zeros(count, dtype=bool)
        coefficients = np.zeros((count, FREQUENCIES, FREQUENCIES), dtype=np.float32)
        crops = np.zeros((count, BOXES, DESCRIPTOR), dtype=np.int8)
        variant = np.zeros(count, dtype=np.int8)
        for row, view in enumerate(views):
            if view is not None:
                present[row] = True
                coefficients[row] = view.coefficients
                crops[row] = view.crop_coefficients
                variant[row] = view.pixel_variant
        return cls(present, coefficients, crops, crop_keys(crops), variant)


class CropFile:
    """The crop boxes' coefficients of n images, (n, 97, 35) int8, in an unnamed temporary
    file: written a block of rows at a time, read by indexing as an array would be (each read
    maps the file for as long as it takes, so that what was read is not left in the audit's
    memory)."""

    ROW = BOXES * DESCRIPTOR

    def __init__(self, count: int):
        self.shape = (count, BOXES, DESCRIPTOR)
        self._memory: np.ndarray | None = None  # where no temporary file can be made
        try:
            self._file = tempfile.TemporaryFile(prefix="fracqa-crops-")  # noqa: SIM115
            self._file.truncate(max(1, count * self.ROW))
        except OSError:
            self._memory = np.zeros(count * self.ROW, dtype=np.int8)

    def __len__(self) -> int:
        return self.shape[0]

    def write(self, start: int, rows: np.ndarray) -> None:
        if self._memory is not None:
            flat = np.ascontiguousarray(rows, dtype=np.int8).reshape(-1)
            self._memory[start * self.ROW:start * self.ROW + len(flat)] = flat
            return
        data = np.ascontiguousarray(rows, dtype=np.int8).tobytes()
        written = 0
        while written < len(data):
            written += os.pwrite(self._file.fileno(), data[written:],
                                 start * self.ROW + written)  # fmt: skip

    def __getitem__(self, key) -> np.ndarray:
        """As an (n, 97, 35) array indexed by `key`; a pair of integer arrays (images, boxes),
        as the crop search gives, is read a slab of images at a time."""
        if (isinstance(key, tuple) and len(key) == 2
                and all(isinstance(part, np.ndarray) for part in key)):  # fmt: skip
            return self._boxes(*key)
        return self._read(0, self.shape[0], lambda array, first: np.array(
            array.reshape(-1, BOXES, DESCRIPTOR)[key]))

    def _boxes(self, images: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """(m, 35): the coefficients of box boxes[i] of image images[i]."""
        found = np.empty((len(images), DESCRIPTOR), dtype=np.int8)
        order = np.argsort(images, kind="stable")
        ordered = images[order]
        for start in range(0, self.shape[0], SLAB):
            low, high = np.searchsorted(ordered, (start, start + SLAB))
            if low == high:
                continue
            chosen = order[low:high]
            at = images[chosen].astype(np.int64) * self.ROW + boxes[chosen] * DESCRIPTOR
            found[chosen] = self._read(start, min(self.shape[0], start + SLAB),
                                       lambda array, first, at=at: array[
                                           (at - first)[:, None] + np.arange(DESCRIPTOR)])
        return found

    def _read(self, start: int, stop: int, take):
        """take(array, first) on images start ... stop - 1 mapped from the file as a flat int8
        array that begins at byte `first` of the file, unmapped after: only what one slab
        touches is ever in the audit's memory (a read maps the pages around it too). `take`
        must return a copy, not a view."""
        if stop <= start:
            return take(np.zeros(0, dtype=np.int8), start * self.ROW)
        if self._memory is not None:
            return take(self._memory, 0)
        first = start * self.ROW - start * self.ROW % mmap.ALLOCATIONGRANULARITY
        with mmap.mmap(self._file.fileno(), stop * self.ROW - first, offset=first,
                       access=mmap.ACCESS_READ) as mapped:  # fmt: skip
            return take(np.frombuffer(mapped, dtype=np.int8), first)

    def copy(self) -> CropFile:
        copied = CropFile(self.shape[0])
        copied.write(0, self[:])
        return copied


@dataclass(eq=False)
class ViewStore:
    """The view hashes of n images (rows), filled block by block as the scan's chunks arrive.
    `working(row)` gives the working view of an image again (None if it cannot be read)."""

    present: np.ndarray
    coefficients: np.ndarray
    crop_coefficients: CropFile
    crop_keys: np.ndarray
    pixel_variant: np.ndarray
    reader: Callable[[int], object] = field(default=lambda row: None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def empty(cls, count: int, reader: Callable[[int], object] | None = None) -> ViewStore:
        """A store for `count` images, none present yet (np.zeros commits no memory before a
        row is written)."""
        return cls(np.zeros(count, dtype=bool),
                   np.zeros((count, FREQUENCIES, FREQUENCIES), dtype=np.float32),
                   CropFile(count), np.zeros((count, BOXES), dtype=np.uint32),
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
            self.crop_coefficients.write(start, block.crop_coefficients)
            self.crop_keys[rows] = block.crop_keys
            self.pixel_variant[rows] = block.pixel_variant

    def working(self, row: int):
        """The WorkingView of image `row`, read again, or None."""
        return self.reader(row)
