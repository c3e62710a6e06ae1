"""Text burned into an image's pixels, read with Tesseract OCR (only with `--ocr`).

Running Tesseract over every radiograph would take hours; almost every radiograph holds no
text at all. So a cheap pre-filter looks first, on a reduced decode (JPEG draft mode, keeping
at least WORK_SIDE pixels on the short side: 1/4 scale for the large radiographs, full size for
the small ones): text is strokes of high contrast against their surroundings (the grey level
differs from a local mean by more than CONTRAST), forming small components of character size,
several of them side by side on one line. Only such lines of at least MIN_CHARACTERS
components are cut out of the full-resolution image, scaled to a height Tesseract reads well,
stacked into one picture, and read in one Tesseract call per image; an image without candidate
lines costs its reduced decode and a few array operations. Text smaller than about 5 pixels
of the reduced decode (20 pixels high on a 2304 x 2880 radiograph) is not looked for. Side
markers (L, R) and two-letter views (AP, PA) are one or two components and never reach
Tesseract.

Each region found is {"box": [x0, y0, x1, y1] in the image's pixels, "text": the words read
with confidence of at least MIN_CONFIDENCE, "confidence": their mean}.
"""

from __future__ import annotations

import io
import os
import shutil
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from fracqa.errors import Unusable

CONTRAST = 48.0  # grey levels between a text stroke and its local mean
MIN_CHARACTERS = 3  # components side by side that make a candidate line
MIN_CONFIDENCE = 55.0  # Tesseract's word confidence (0-100) below which a word is dropped
MAX_LINES = 16  # candidate lines read per image
WORK_SIDE = 350  # the reduced decode keeps at least this many pixels on the short side
LINE_HEIGHT = 40  # candidate lines are scaled to about this height for Tesseract


class OcrUnavailable(Unusable):
    """--ocr was asked for, but Tesseract (or its Python binding) is not installed."""


def require_tesseract() -> None:
    """Raise OcrUnavailable unless Tesseract and pytesseract can be used."""
    try:
        import pytesseract
    except ImportError:
        raise OcrUnavailable("--ocr needs the Python package pytesseract (pip install "
                             "pytesseract) and Tesseract OCR (Debian: apt-get install "
                             "tesseract-ocr)") from None  # fmt: skip
    command = pytesseract.pytesseract.tesseract_cmd
    if shutil.which(command) is None:
        raise OcrUnavailable("--ocr needs Tesseract OCR, which is not installed (Debian: "
                             "apt-get install tesseract-ocr)")  # fmt: skip


def read_text(data: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """The text regions of the image in `data` and an error (None when it was read)."""
    try:
        grey, scale = _work_image(data)
    except Exception as error:  # noqa: BLE001 - an image that does not decode is its own finding
        return [], f"cannot be decoded ({type(error).__name__})"
    lines = candidate_lines(grey)
    if not lines:
        return [], None
    boxes = [[round(v * scale) for v in line] for line in lines]
    try:
        if scale > 1:  # the lines are read at full resolution
            with Image.open(io.BytesIO(data)) as image:
                grey = np.asarray(image.convert("L"))
        read = _recognise(grey, boxes)
    except Exception as error:  # noqa: BLE001
        return [], f"Tesseract failed ({type(error).__name__}: {str(error)[:80]})"
    return [{"box": box, "text": text, "confidence": confidence}
            for box, (text, confidence) in zip(boxes, read, strict=True) if text], None


def _work_image(data: bytes) -> tuple[np.ndarray, float]:
    """The image as grey levels at the reduced scale, and that scale (full pixels per pixel)."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        if image.format in ("JPEG", "MPO"):
            shrink = 1
            while shrink < 8 and min(width, height) / (shrink * 2) >= WORK_SIDE:
                shrink *= 2
            if shrink > 1:
                image.draft("L", (width // shrink, height // shrink))
        grey = image.convert("L")
        return np.asarray(grey), width / grey.width


def candidate_lines(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1, in `grey`'s pixels) of lines of character-sized high-contrast
    components: where text may be."""
    from scipy import ndimage

    pixels = grey.astype(np.float32)
    background = ndimage.uniform_filter(pixels, size=31, mode="nearest")
    contrast = pixels - background
    boxes = []
    for mask in (contrast > CONTRAST, contrast < -CONTRAST):  # light text, dark text
        if not mask.any():
            continue
        labels, count = ndimage.label(mask)
        if count == 0 or count > 5000:
            continue
        for found in ndimage.find_objects(labels):
            if found is None:
                continue
            ys, xs = found
            h, w = ys.stop - ys.start, xs.stop - xs.start
            if 5 <= h <= 90 and 1 <= w <= 1.6 * h + 4:
                boxes.append((xs.start, ys.start, xs.stop, ys.stop))
    if len(boxes) < MIN_CHARACTERS:
        return []
    boxes = sorted(boxes)[:600]
    return _lines(boxes, grey.shape)


def _lines(boxes: list[tuple[int, int, int, int]], shape) -> list[tuple[int, int, int, int]]:
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (_, ay0, ax1, ay1) in enumerate(boxes):
        ah = ay1 - ay0
        for j in range(i + 1, len(boxes)):
            bx0, by0, bx1, by1 = boxes[j]
            if bx0 - ax1 > 1.5 * max(ah, by1 - by0):
                break  # sorted by x0: every later box starts further right
            bh = by1 - by0
            overlap = min(ay1, by1) - max(ay0, by0)
            if overlap >= 0.5 * min(ah, bh) and 0.5 <= ah / bh <= 2.0:
                parent[root(j)] = root(i)
    groups: dict[int, list] = {}
    for i, box in enumerate(boxes):
        groups.setdefault(root(i), []).append(box)
    lines = []
    height, width = shape
    for members in groups.values():
        if len(members) < MIN_CHARACTERS:
            continue
        x0, y0 = min(b[0] for b in members), min(b[1] for b in members)
        x1, y1 = max(b[2] for b in members), max(b[3] for b in members)
        pad = max(2, round(0.3 * (y1 - y0)))
        lines.append((max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad),
                      min(height, y1 + pad)))  # fmt: skip
    lines.sort(key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))
    return sorted(lines[:MAX_LINES], key=lambda b: (b[1], b[0]))


def _recognise(grey: np.ndarray, lines: list) -> list[tuple[str, float | None]]:
    """Read every candidate line in one Tesseract call: the lines are enlarged, made dark on
    light, and stacked with gaps; each word read is given back to the line it lies in."""
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one thread per worker process
    crops, gap = [], 24
    for x0, y0, x1, y1 in lines:
        crop = Image.fromarray(grey[y0:y1, x0:x1])
        factor = LINE_HEIGHT / max(1, y1 - y0)
        if not 0.5 <= factor <= 1.0:
            crop = crop.resize((round(crop.width * factor), round(crop.height * factor)),
                               Image.Resampling.BICUBIC)  # fmt: skip
        values = np.asarray(crop)
        if float(np.median(values)) < 128:  # light text on a dark background
            crop = ImageOps.invert(crop)
        crops.append(ImageOps.autocontrast(crop))
    width = max(c.width for c in crops) + 2 * gap
    canvas = Image.new("L", (width, sum(c.height + gap for c in crops) + gap), 255)
    spans, top = [], gap
    for crop in crops:
        canvas.paste(crop, (gap, top))
        spans.append((top, top + crop.height))
        top += crop.height + gap
    data = pytesseract.image_to_data(canvas, config="--psm 6",
                                     output_type=pytesseract.Output.DICT)  # fmt: skip
    words: list[list[tuple[str, float]]] = [[] for _ in lines]
    for text, conf, top_, height in zip(data["text"], data["conf"], data["top"], data["height"],
                                        strict=True):  # fmt: skip
        confidence = float(conf)
        if not text.strip() or confidence < MIN_CONFIDENCE:
            continue
        middle = top_ + height / 2
        for index, (start, stop) in enumerate(spans):
            if start - gap / 2 <= middle <= stop + gap / 2:
                words[index].append((text.strip(), confidence))
                break
    return [(" ".join(w for w, _ in found),
             round(sum(c for _, c in found) / len(found), 1) if found else None)
            for found in words]  # fmt: skip
