"""Hashes of an image as loaders that apply EXIF see it, from which copies that were flipped,
turned, cropped, rescaled, regraded or re-encoded are found (`near_duplicates`, `crop_search`;
rules IMG011-IMG013).

`view_hashes` starts from the draft-mode greyscale decode of `image_scan` (a JPEG at 1/8 of its
size), in the scan's worker processes, and costs less than the decode itself.

- **The view.** The image is first turned by its EXIF orientation, as OpenCV, browsers and
  `ImageOps.exif_transpose` show it, so that a copy stored rotated with an orientation tag that
  turns it back is the same picture.
- **The coefficients.** The lowest frequencies of a cosine transform of the view, as
  `imagehash.phash` takes them, but computed as integrals of the image against the cosines over
  its exact content, in fractions of its width and height: the draft's last column and row stand
  for part of a block only (373 pixels are 46.6 blocks of 8), which a resize to 32x32 would
  stretch and which a flip moves to the other side (flipped copies were 6 to 8 bits away with
  imagehash, 0 to 2 with this). So the coefficients do not depend on the image's size, a flip or
  a turn of the image is a change of signs or a transposition of them (the 8 dihedral variants
  of the hash are derived from one set of coefficients, `Dihedral.coefficients`), and those of
  any box of the image (a crop) are as easily computed (`box_coefficients`).
- **The perceptual hash** (the scan's `phash`): 64 bits, whether each of the 8x8 coefficients is
  above their median (imagehash's rule).
- **For crops**, 97 boxes of the view: the 81 with each side cut by 0, 5 or 10 %, and the 16
  with each side cut by 2.5 or 7.5 %; a copy cropped by up to 10 % per side is within 2.5 % per
  side of a box of each set (two chances to be found). The 64-bit hash of a box changes
  by several bits when the box moves by half a percent, so the boxes keep coarser
  descriptions: `crop_keys`, the signs of their 5x5 lowest frequencies but the constant one (24
  bits, made the same for the 8 dihedral variants of a box: the smallest of their 8 keys), to
  look candidates up with, and their 6x6 lowest frequencies but the constant one, to tell
  candidates from chance; only the latter are kept (`crop_coefficients`: normalised, so that
  brightness and contrast do not count, and in 8 bits, their signs exact), and the keys are
  taken from them for every image at once (`crop_keys`). `crop_search` then aligns the crop
  on the working image.
- **The working image**: the view, reduced by a whole factor to at most WORKING_SIZE pixels a
  side (the release's largest radiographs, 2304x2880, give 48x60, about what 373x454 ones
  give), from which the coefficients are computed. It is not kept: the few images that are
  candidates of the crop search, and the two images of every near-duplicate candidate, are read
  again (`view_store`, `view_match`) to align the crop and compare the contents on it.
- **The canonical pixel hash**: the SHA-256 of one of the 8 dihedral variants of the draft's
  pixels chosen by their content alone, so that a copy flipped or turned without loss (or the
  same pixels under another EXIF orientation) has the same pixel hash.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from PIL import Image

FREQUENCIES = 8  # the 8x8 lowest frequencies: a 64-bit hash
KEY_FREQUENCIES = 5  # the crop keys: signs of the 5x5 lowest frequencies but the constant one
DESCRIPTOR_FREQUENCIES = 6  # the crop coefficients: the 6x6 lowest but the constant one
# The crop boxes: in each set, every side cut by one of the fractions.
CROP_GRIDS = ((0.0, 0.05, 0.10), (0.025, 0.075))
WORKING_SIZE = 64  # the working image's longest side at most, in pixels
ORIENTATION_TAG = 0x0112
FIELDS = ("view_orientation", "view_pixel_hash", "view_hashes")


class Dihedral(NamedTuple):
    """One of the 8 ways to flip or rotate an image by quarter turns: transpose it (swap rows
    and columns) or not, then reverse its rows (top-bottom) or not, its columns (left-right) or
    not."""

    transpose: bool
    flip_rows: bool
    flip_cols: bool

    @property
    def number(self) -> int:
        """Its index in DIHEDRAL."""
        return 4 * self.transpose + 2 * self.flip_rows + self.flip_cols

    @property
    def name(self) -> str:
        return DIHEDRAL_NAMES[self.number]

    def array(self, values: np.ndarray) -> np.ndarray:
        """The pixels (rows, columns) so transformed."""
        out = values.T if self.transpose else values
        if self.flip_rows:
            out = out[::-1]
        if self.flip_cols:
            out = out[:, ::-1]
        return out

    def coefficients(self, values: np.ndarray) -> np.ndarray:
        """Cosine coefficients (..., vertical frequency, horizontal frequency) of the image so
        transformed: reversing an axis changes the sign of its odd frequencies."""
        out = np.swapaxes(values, -1, -2) if self.transpose else values
        k = out.shape[-1]
        alternate = (-1.0) ** np.arange(k)
        if self.flip_rows:
            out = out * alternate[:, None]
        if self.flip_cols:
            out = out * alternate[None, :]
        return out


DIHEDRAL = tuple(Dihedral(bool(i & 4), bool(i & 2), bool(i & 1)) for i in range(8))
IDENTITY = DIHEDRAL[0]
DIHEDRAL_NAMES = (
    "none",
    "flipped left-right",
    "flipped top-bottom",
    "rotated 180°",
    "transposed (flipped about its main diagonal)",
    "rotated 90° clockwise",
    "rotated 90° counter-clockwise",
    "flipped about its anti-diagonal",
)
# EXIF orientation -> what turns the stored pixels into the view (ImageOps.exif_transpose).
ORIENTATIONS = {1: 0, 2: 1, 3: 3, 4: 2, 5: 4, 6: 5, 7: 7, 8: 6}


def _composition_table() -> tuple[tuple[int, ...], ...]:
    probe = np.arange(6).reshape(2, 3)
    results = {g.array(probe).tobytes() + bytes(g.array(probe).shape): g.number for g in DIHEDRAL}
    table = []
    for g in DIHEDRAL:
        row = []
        for h in DIHEDRAL:
            both = g.array(h.array(probe))
            row.append(results[both.tobytes() + bytes(both.shape)])
        table.append(tuple(row))
    return tuple(table)


_COMPOSE = _composition_table()


def compose(g: int, h: int) -> int:
    """The transform that applies h, then g (indices into DIHEDRAL)."""
    return _COMPOSE[g][h]


_INVERSE = tuple(next(h for h in range(8) if _COMPOSE[g][h] == 0) for g in range(8))
COMPOSITION = np.array(_COMPOSE)  # COMPOSITION[g, h]: h, then g
INVERSES = np.array(_INVERSE)


def inverse(g: int) -> int:
    return _INVERSE[g]


@dataclass(frozen=True, eq=False)
class ViewHashes:
    """What `view_hashes` keeps of one image for the duplicate rules (gathered for the whole
    release in a `view_store.ViewStore`)."""

    coefficients: np.ndarray  # (8, 8) float32: the view's lowest frequencies
    crop_coefficients: np.ndarray  # (97, 35) int8: the crop boxes' (crop_boxes() order)
    # 6x6 lowest frequencies but the constant one, row by row, normalised (`quantised`)
    content: tuple[float, float, float, float]  # x0, x1, y0, y1: the working image's content
    pixel_variant: int  # the dihedral transform of the view that gives the canonical pixels


@dataclass(frozen=True, eq=False)
class WorkingView:
    """The view of an image, reduced: what its coefficients are computed from."""

    pixels: np.ndarray  # uint8, at most WORKING_SIZE a side
    content: tuple[float, float, float, float]  # x0, x1, y0, y1: where the image lies in it
    orientation: int  # the EXIF orientation applied (1: none)

    def box_coefficients(self, boxes, frequencies: int = FREQUENCIES) -> np.ndarray:
        """The coefficients of boxes (left, top, right, bottom cut, fractions) of the view."""
        return box_coefficients(self.pixels, self.content, boxes, frequencies)


# The cuts of the crop boxes on one axis (from its start, from its end), every set's together.
SPANS = tuple((lo, hi) for grid in CROP_GRIDS for lo in grid for hi in grid)


def _box_spans() -> tuple[tuple[int, int], ...]:
    """(span down, span across) of each crop box: in each set, every pair of its spans; the
    first box is the whole view."""
    pairs, start = [], 0
    for grid in CROP_GRIDS:
        own = range(start, start + len(grid) ** 2)
        pairs += [(down, across) for down in own for across in own]
        start += len(grid) ** 2
    return tuple(pairs)


BOX_SPANS = _box_spans()


def crop_boxes() -> list[tuple[float, float, float, float]]:
    """The crop boxes, as the fractions cut from the left, top, right and bottom."""
    return [(SPANS[across][0], SPANS[down][0], SPANS[across][1], SPANS[down][1])
            for down, across in BOX_SPANS]  # fmt: skip


def working_view(pixels: Image.Image, width: int | None, height: int | None,
                 array: np.ndarray | None = None) -> WorkingView:  # fmt: skip
    """The working image of an image: `pixels` is its greyscale decode as stored (EXIF not
    applied; a JPEG in draft mode), `width` x `height` its size in its header (`array`: the
    pixels as an array, if the caller has it)."""
    orientation = _orientation(pixels)
    turn = DIHEDRAL[ORIENTATIONS[orientation]]
    scale = _draft_scale(pixels.size, width, height)
    content_x = (width / scale) if scale else pixels.width
    content_y = (height / scale) if scale else pixels.height
    factor = math.ceil(max(pixels.size) / WORKING_SIZE)
    if factor > 1:
        working = np.asarray(pixels.reduce(factor), dtype=np.uint8)
    else:
        working = np.asarray(pixels, dtype=np.uint8) if array is None else array
    working = np.ascontiguousarray(turn.array(working))
    content = _turned_content(turn, working.shape, content_x / factor, content_y / factor)
    return WorkingView(working, content, orientation)


def view_hashes(pixels: Image.Image, width: int | None, height: int | None,
                array: np.ndarray | None = None) -> dict:  # fmt: skip
    """The scan's `phash` and FIELDS for one image: `pixels` is its greyscale decode as stored
    (EXIF not applied; a JPEG in draft mode), `width` x `height` its size in its header
    (`array`: the pixels as an array, if the caller has it)."""
    array = np.asarray(pixels, dtype=np.uint8) if array is None else array
    view = working_view(pixels, width, height, array)
    turn = DIHEDRAL[ORIENTATIONS[view.orientation]]
    image = view.pixels.astype(np.float32)
    x0, x1, y0, y1 = view.content
    own = (_full_weights(image.shape[0], y0, y1) @ image) @ _full_weights(image.shape[1], x0, x1).T
    crops = _all_box_coefficients(image, view.content)
    canonical_pixels, variant = _canonical_pixels(array)
    return {
        "phash": f"{int(hash_bits(own)):016x}",
        "view_orientation": view.orientation,
        "view_pixel_hash": canonical_pixels,
        "view_hashes": ViewHashes(
            coefficients=own,
            crop_coefficients=quantised(crops.reshape(len(crops), -1)[:, 1:]),
            content=view.content,
            pixel_variant=compose(variant, inverse(turn.number)),
        ),
    }


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # noqa: BLE001 - unreadable EXIF: loaders show the image as stored
        return 1
    return value if isinstance(value, int) and value in ORIENTATIONS else 1


def _draft_scale(size: tuple[int, int], width: int | None, height: int | None) -> int | None:
    """The reduction the draft decode applied (8, 4, 2 or 1), or None if it cannot be told."""
    if not width or not height:
        return None
    for scale in (8, 4, 2, 1):
        if (-(-width // scale), -(-height // scale)) == size:
            return scale
    return None


def _turned_content(turn: Dihedral, shape: tuple[int, int], content_x: float,
                    content_y: float) -> tuple[float, float, float, float]:  # fmt: skip
    """Where the content lies in the turned working image: the draft's partial last block is
    at the right and bottom as stored, and moves with the flips."""
    rows, cols = shape
    if turn.transpose:
        content_x, content_y = content_y, content_x
    content_x, content_y = min(content_x, cols), min(content_y, rows)
    x = (cols - content_x, cols) if turn.flip_cols else (0.0, content_x)
    y = (rows - content_y, rows) if turn.flip_rows else (0.0, content_y)
    return (float(x[0]), float(x[1]), float(y[0]), float(y[1]))


def axis_weights(pixels: int, start: float, end: float, spans, frequencies: int) -> np.ndarray:
    """(len(spans), frequencies, pixels): for each span (lo, hi cut from the start and the end
    of the content, fractions) and frequency k, the integral of cos(pi k (x - a) / (b - a)) over
    each pixel's part of the span [a, b], divided by b - a: one axis of the cosine transform of a
    piecewise-constant image."""
    spans = np.asarray(spans, dtype=np.float64).reshape(-1, 2)
    length = end - start
    low = start + spans[:, 0] * length
    high = end - spans[:, 1] * length
    width = np.maximum(high - low, 1e-9)
    edges = np.clip(np.arange(pixels + 1, dtype=np.float64), start, end)
    inside = np.clip(edges[None, :], low[:, None], high[:, None]) - low[:, None]  # (m, n + 1)
    omega = np.pi * np.arange(1, frequencies, dtype=np.float64)[None, :, None]
    omega = omega / width[:, None, None]
    waves = np.sin(omega * inside[:, None, :]) / omega  # antiderivatives at the pixel edges
    integral = np.concatenate([inside[:, None, :], waves], axis=1)
    return np.diff(integral, axis=-1) / width[:, None, None]


@functools.lru_cache(maxsize=64)
def _crop_weights(pixels: int, start: float, end: float) -> np.ndarray:
    """(13 * 6, pixels): axis_weights of every span of the crop boxes (their 6 lowest
    frequencies), for one axis of a size (the images of a release come in a few sizes)."""
    weights = axis_weights(pixels, start, end, SPANS, DESCRIPTOR_FREQUENCIES)
    return weights.reshape(-1, pixels).astype(np.float32)


@functools.lru_cache(maxsize=64)
def _full_weights(pixels: int, start: float, end: float) -> np.ndarray:
    """(8, pixels): axis_weights of the whole content, for one axis of a size."""
    return axis_weights(pixels, start, end, [(0, 0)], FREQUENCIES)[0].astype(np.float32)


def box_coefficients(image: np.ndarray, content, boxes,
                     frequencies: int = FREQUENCIES) -> np.ndarray:  # fmt: skip
    """(len(boxes), frequencies, frequencies): the cosine coefficients of boxes of an image
    (each box: the fractions cut from the left, top, right and bottom of its content)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x0, x1, y0, y1 = content
    across = axis_weights(image.shape[1], x0, x1, boxes[:, [0, 2]], frequencies)
    down = axis_weights(image.shape[0], y0, y1, boxes[:, [1, 3]], frequencies)
    return (down @ np.asarray(image, dtype=np.float64)) @ np.swapaxes(across, 1, 2)


def _all_box_coefficients(image: np.ndarray, content) -> np.ndarray:
    """(97, 6, 6): the 6x6 lowest frequencies of every crop box (crop_boxes() order; the first
    is the whole view), from one product of matrices: every span down by every span across."""
    x0, x1, y0, y1 = content
    across = _crop_weights(image.shape[1], x0, x1)
    down = _crop_weights(image.shape[0], y0, y1)
    k = DESCRIPTOR_FREQUENCIES
    product = small_matmul(small_matmul(down, image), across.T)
    product = product.reshape(len(SPANS), k, len(SPANS), k)
    rows, cols = zip(*BOX_SPANS, strict=True)
    return product[list(rows), :, list(cols), :]


def small_matmul(left: np.ndarray, right: np.ndarray, rows: int = 32) -> np.ndarray:
    """left @ right, a few rows of left at a time: a BLAS such as OpenBLAS runs a product above
    some size on several threads, which for products this small costs far more than it saves
    (48 ms instead of 0.1 on a busy machine); each of these stays below that size."""
    if len(left) <= rows:
        return left @ right
    return np.concatenate([left[start:start + rows] @ right
                           for start in range(0, len(left), rows)])  # fmt: skip


def hash_bits(coefficients: np.ndarray) -> np.ndarray:
    """The 64-bit perceptual hash (uint64) of (..., 8, 8) coefficients: each bit whether a
    coefficient is above their median (imagehash.phash's rule), row by row, first bit highest."""
    above = above_median(coefficients)
    return pack_bits(above.reshape(*above.shape[:-2], -1))


def above_median(coefficients: np.ndarray) -> np.ndarray:
    """Whether each of (..., k, k) coefficients is above the median of its k x k."""
    flat = coefficients.reshape(*coefficients.shape[:-2], -1)
    middle = flat.shape[-1] // 2
    halves = np.sort(flat, axis=-1)[..., middle - 1:middle + 1]  # faster than partition here
    return (flat > halves.mean(axis=-1, keepdims=True)).reshape(coefficients.shape)


def sign_keys(coefficients: np.ndarray) -> np.ndarray:
    """The keys (uint64, 24 bits) of (..., k, k) coefficients: the signs of the 5x5 lowest
    frequencies but the constant one, row by row, first bit highest."""
    low = coefficients[..., :KEY_FREQUENCIES, :KEY_FREQUENCIES]
    return pack_bits(low.reshape(*low.shape[:-2], -1)[..., 1:] > 0)


def _key_layout() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the bits of a key (numbered from the highest): the bit the same coefficient has
    once transposed, and the masks of the bits whose coefficient changes sign when the rows
    (odd vertical frequency) or the columns (odd horizontal frequency) are reversed."""
    k = KEY_FREQUENCIES
    cells = [(u, v) for u in range(k) for v in range(k)][1:]
    shift = {cell: len(cells) - 1 - n for n, cell in enumerate(cells)}  # bit numbers
    transposed = np.array([shift[(v, u)] for u, v in cells], dtype=np.uint64)
    rows = sum(1 << shift[(u, v)] for u, v in cells if u % 2)
    cols = sum(1 << shift[(u, v)] for u, v in cells if v % 2)
    return transposed, rows, cols


_TRANSPOSED_BIT, _ROW_SIGNS, _COL_SIGNS = _key_layout()


def _transposition_tables() -> np.ndarray:
    """(3, 256): for each byte of a key (lowest first) and each value of it, the bits they
    become once the coefficients are transposed."""
    tables = np.zeros((3, 256), dtype=np.uint32)
    for byte in range(3):
        for value in range(256):
            moved = 0
            for bit in range(8):
                number = 8 * byte + bit
                if value >> bit & 1 and number < len(_TRANSPOSED_BIT):
                    moved |= 1 << int(_TRANSPOSED_BIT[len(_TRANSPOSED_BIT) - 1 - number])
            tables[byte, value] = moved
    return tables


_TRANSPOSITION = _transposition_tables()


def key_variants(keys: np.ndarray) -> np.ndarray:
    """(8, ...) uint32: the keys of the 8 dihedral variants (DIHEDRAL order) of the
    coefficients that have `keys` (a flip changes the sign of odd frequencies, a transposition
    moves them)."""
    keys = np.asarray(keys).astype(np.uint32)
    swapped = _TRANSPOSITION[0][keys & 255]
    swapped |= _TRANSPOSITION[1][(keys >> 8) & 255]
    swapped |= _TRANSPOSITION[2][keys >> 16]
    variants = np.empty((8, *keys.shape), dtype=np.uint32)
    for g in DIHEDRAL:
        base = swapped if g.transpose else keys
        mask = (_ROW_SIGNS if g.flip_rows else 0) ^ (_COL_SIGNS if g.flip_cols else 0)
        np.bitwise_xor(base, np.uint32(mask), out=variants[g.number])
    return variants


KEY_MASK = (1 << 24) - 1  # a canonical key's key; above it, TURN_SHIFT and TIE_SHIFT
TURN_SHIFT = 24
TIE_SHIFT = 27


def canonical(variants: np.ndarray) -> np.ndarray:
    """(...) uint32 from (8, ...) key variants: the smallest key (24 bits), the variant that
    gives it above (3 bits) and, above that, whether another variant gives it too (a key that
    some flip or turn leaves as it is)."""
    smallest = variants.min(axis=0)
    turn = variants.argmin(axis=0).astype(np.uint32)
    tie = ((variants == smallest).sum(axis=0) > 1).astype(np.uint32)
    return smallest | turn << np.uint32(TURN_SHIFT) | tie << np.uint32(TIE_SHIFT)


def canonical_keys(coefficients: np.ndarray) -> np.ndarray:
    """The canonical keys of (..., k, k) coefficients: the same key for a box and for any flip
    or turn of it (see `canonical`)."""
    return canonical(key_variants(sign_keys(coefficients)))


# Where the key's coefficients are among the 35 of a crop box (6x6 but the constant one).
_KEY_COLUMNS = [u * DESCRIPTOR_FREQUENCIES + v - 1
                for u in range(KEY_FREQUENCIES) for v in range(KEY_FREQUENCIES)][1:]  # fmt: skip


def quantised(coefficients: np.ndarray) -> np.ndarray:
    """Coefficients (..., n) as int8: the unit vector times 127, rounded away from zero, so
    that a value is positive exactly when the coefficient is (zero counts as negative)."""
    scaled = np.rint(unit(coefficients) * 127)
    positive = np.asarray(coefficients) > 0
    return np.where(positive, np.maximum(scaled, 1), np.minimum(scaled, -1)).astype(np.int8)


def crop_keys(crop_coefficients: np.ndarray) -> np.ndarray:
    """The canonical keys (uint32) of crop boxes from their stored coefficients (..., 35)."""
    positive = np.take(crop_coefficients, _KEY_COLUMNS, axis=-1) > 0
    packed = np.packbits(positive, axis=-1).astype(np.uint32)  # 3 bytes, highest first
    keys = packed[..., 0] << 16 | packed[..., 1] << 8 | packed[..., 2]
    return canonical(key_variants(keys))


def descriptors(coefficients: np.ndarray) -> np.ndarray:
    """The 6x6 lowest frequencies but the constant one of (..., k, k) coefficients, as unit
    vectors (35 values): brightness moves only the constant one, contrast scales them all."""
    low = coefficients[..., :DESCRIPTOR_FREQUENCIES, :DESCRIPTOR_FREQUENCIES]
    return unit(low.reshape(*low.shape[:-2], -1)[..., 1:])


def unit(vectors: np.ndarray) -> np.ndarray:
    """Vectors (..., n) scaled to length 1, as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(...) uint64 from (..., n <= 64) bits, the first the highest."""
    if bits.shape[-1] < 64:
        padding = np.zeros((*bits.shape[:-1], 64 - bits.shape[-1]), dtype=bool)
        bits = np.concatenate([padding, bits], axis=-1)
    packed = np.packbits(bits, axis=-1)
    return np.ascontiguousarray(packed).view(">u8")[..., 0].astype(np.uint64)


def _canonical_pixels(stored: np.ndarray) -> tuple[str, int]:
    """The SHA-256 of the canonical one of the 8 dihedral variants of the pixels (with its
    shape), and the index of that variant. The canonical variant is the one whose shape, row
    sums and column sums come first (told from the sums of the pixels as stored, so that only
    the chosen variant is copied), the smallest bytes among any that tie."""
    rows = stored.sum(axis=1, dtype=np.int64)
    cols = stored.sum(axis=0, dtype=np.int64)
    keys = {}
    for g in DIHEDRAL:
        down, across = (cols, rows) if g.transpose else (rows, cols)
        down = down[::-1] if g.flip_rows else down
        across = across[::-1] if g.flip_cols else across
        keys[g.number] = (len(down), len(across), down.tobytes(), across.tobytes())
    first = min(keys.values())
    tied = [index for index, key in keys.items() if key == first]
    if len(tied) > 1:  # sums that some flip or turn leaves as they are: compare the pixels
        tied = [min(tied, key=lambda index: (DIHEDRAL[index].array(stored).tobytes(), index))]
    chosen = tied[0]
    digest = hashlib.sha256(b"%dx%d:" % first[:2])
    digest.update(np.ascontiguousarray(DIHEDRAL[chosen].array(stored)).data)
    return digest.hexdigest(), chosen
