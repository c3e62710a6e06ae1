"""The settings an audit runs with, and their defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerances:
    """How far two descriptions of the same thing may differ and still agree.

    The release's own COCO -> YOLO -> VOC chain rounds boxes to whole pixels, so up to one
    pixel of difference is agreement, not a finding.
    """

    pixels: float = 1.0  # box corners, polygon vertices, image bounds
    area: float = 0.1  # largest relative difference of COCO `area` from the polygon's area
