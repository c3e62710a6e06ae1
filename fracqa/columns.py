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
IMAGE_ID = re.compile(r"IMG\d{7}\.jpg")
