"""The columns of dataset.csv, as the FracAtlas data descriptor documents them."""

from __future__ import annotations

import re

REGIONS = ("hand", "leg", "hip", "shoulder")
VIEWS = ("frontal", "lateral", "oblique")
FLAGS = (*REGIONS, "mixed", "hardware", "multiscan", "fractured", *VIEWS)
COLUMNS = (
    "image_id", "hand", "leg", "hip", "shoulder", "mixed", "hardware", "multiscan",
    "fractured", "fracture_count", "frontal", "lateral", "oblique",
)  # fmt: skip
# ASCII digits only: `\d` also matches the digits of other scripts (`IMG٠٠٠٠٣٠٧.jpg`), which no
# file name of the release holds.
IMAGE_ID = re.compile(r"IMG[0-9]{7}\.jpg")
