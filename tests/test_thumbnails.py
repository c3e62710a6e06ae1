"""The report's previews: what a privacy rule found burned into the pixels is blacked out
wherever the preview shows it, and an oriented image is shown as its annotations were drawn."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from fracqa.load.thumbnails import TURNS, thumbnail

TEXT = (600, 50, 760, 110)  # where a name is burned in, in the stored pixels


def _radiograph_with_text(path) -> None:
    pixels = np.full((600, 800), 90, dtype=np.uint8)
    pixels[TEXT[1]:TEXT[3], TEXT[0]:TEXT[2]] = 255
    Image.fromarray(pixels).save(path, "JPEG", quality=95)


def _shown(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("L"),
                      dtype=float)  # fmt: skip


@pytest.mark.parametrize("orientation", [None, 3, 6, 8])
def test_burned_in_text_is_black_in_every_preview(orientation, tmp_path):
    path = tmp_path / "a.jpg"
    _radiograph_with_text(path)
    shown = _shown(thumbnail(path, hide=[TEXT], orientation=orientation))
    assert shown.max() < 200  # nothing of the white text is left, at any draft scale
    stored = np.zeros((600, 800), dtype=np.uint8)
    stored[TEXT[1]:TEXT[3], TEXT[0]:TEXT[2]] = 1
    where = Image.fromarray(stored * 255)
    if orientation in TURNS:
        where = where.transpose(TURNS[orientation])
    mask = np.asarray(where.resize(shown.shape[::-1])) > 128
    assert shown[mask].mean() < 20 and shown[~mask].mean() > 60


def test_an_oriented_preview_has_the_oriented_size(tmp_path):
    path = tmp_path / "a.jpg"
    _radiograph_with_text(path)
    assert _shown(thumbnail(path)).shape == (192, 256)
    assert _shown(thumbnail(path, orientation=6)).shape == (256, 192)
