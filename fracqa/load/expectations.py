"""An expectations file: the figures a release is expected to show, with their tolerances."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fracqa.columns import REGIONS, VIEWS
from fracqa.errors import Unusable
from fracqa.load.files import Unreadable, read_text

SPLIT_NAMES = ("train", "valid", "test")
KNOWN_FIGURES = (
    "dataset.images", "dataset.fractured_images", "dataset.non_fractured_images",
    "dataset.fracture_instances", "dataset.fracture_count_min_on_fractured",
    "dataset.fracture_count_max", "dataset.locales", "dataset.multiscan_images",
    "dataset.hardware_images",
    *(f"regions.{r}.{part}" for r in REGIONS for part in ("total", "fractured")),
    *(f"views.{v}.{part}" for v in VIEWS for part in ("total", "fractured", "non_fractured")),
    *(f"splits.{s}" for s in SPLIT_NAMES), *(f"splits.{s}_ratio" for s in SPLIT_NAMES),
)  # fmt: skip


class BadExpectations(Unusable):
    """The expectations file cannot be used; the audit stops with exit code 2."""


@dataclass(frozen=True)
class Figure:
    name: str
    published: float
    tolerance: float


@dataclass(frozen=True)
class Expectations:
    name: str
    source: str
    figures: tuple[Figure, ...]


def load_expectations(path: Path) -> Expectations:
    import yaml

    try:
        document = yaml.safe_load(read_text(path, limit=1024 * 1024))
    except (Unreadable, yaml.YAMLError) as error:
        raise BadExpectations(f"expectations file {path}: {_first_line(error)}") from None
    if not isinstance(document, dict) or not isinstance(document.get("figures"), dict):
        raise BadExpectations(f"expectations file {path} has no `figures` mapping")
    default = _number(document.get("tolerance", 0), path, "tolerance")
    figures = []
    for name, value in document["figures"].items():
        if name not in KNOWN_FIGURES:
            section = str(name).split(".")[0]
            close = ", ".join(k for k in KNOWN_FIGURES if k.split(".")[0] == section)
            raise BadExpectations(f"expectations file {path}: unknown figure {name!r} "
                                  f"(known: {close or ', '.join(KNOWN_FIGURES)})")  # fmt: skip
        if isinstance(value, dict):
            published = _number(value.get("value"), path, name)
            tolerance = _number(value.get("tolerance", default), path, f"{name} tolerance")
        else:
            published, tolerance = _number(value, path, name), default
        figures.append(Figure(name, published, tolerance))
    return Expectations(str(document.get("name", path.stem)), str(path), tuple(figures))


def _number(value, path: Path, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadExpectations(f"expectations file {path}: {what} is {value!r}, not a number")
    return value


def _first_line(error: Exception) -> str:
    return re.sub(r"\s+", " ", str(error)).strip()[:200]
