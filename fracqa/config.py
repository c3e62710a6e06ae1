"""The settings an audit runs with, and their defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_EXPECTATIONS = Path(__file__).resolve().parent / "profiles" / "fracatlas-2023.yaml"


DEFAULT_PIXEL_LIMIT = 50_000_000  # the release's largest radiographs have 6.6 million


@dataclass(frozen=True)
class ScanSettings:
    """How the image files are read: in how many processes, refusing images over how many
    pixels, with a progress bar or not."""

    workers: int | None = None  # None: every core
    pixel_limit: int = DEFAULT_PIXEL_LIMIT
    progress: bool = False


@dataclass(frozen=True)
class Tolerances:
    """How far two descriptions of the same thing may differ and still agree.

    The release's own COCO -> YOLO -> VOC chain rounds boxes to whole pixels, so up to one
    pixel of difference is agreement, not a finding.
    """

    pixels: float = 1.0  # box corners, polygon vertices, image bounds
    area: float = 0.1  # largest relative difference of COCO `area` from the polygon's area
    hash_distance: int = 4  # perceptual-hash bits within which two images are near-duplicates
    iou: float = 0.5  # the least box IoU at which two versions of an instance are the same one


@dataclass(frozen=True)
class Settings:
    tolerances: Tolerances = field(default_factory=Tolerances)
    workers: int | None = None  # image-scan processes; None: every core
    pixel_limit: int = DEFAULT_PIXEL_LIMIT
    expectations: Path = DEFAULT_EXPECTATIONS  # the published figures to compare with
    progress: bool = False  # a progress bar for the image scan, on a terminal
    croissant: Path | None = None  # a published Croissant description to compare with

    @property
    def scan(self) -> ScanSettings:
        return ScanSettings(self.workers, self.pixel_limit, self.progress)
