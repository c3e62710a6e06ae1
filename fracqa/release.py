"""The loaded release: its layout and one table per kind of fact, which every rule reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fracqa.config import Tolerances
from fracqa.layout import Layout
from fracqa.load.annotation_table import Annotations
from fracqa.load.coco import load_coco
from fracqa.load.dataset_csv import DatasetCsv, read_dataset_csv, typed_meta
from fracqa.load.images import inventory
from fracqa.load.vgg import load_vgg
from fracqa.load.voc import load_voc
from fracqa.load.yolo import load_yolo
from fracqa.model import Hit


@dataclass
class Release:
    """What the loaders read. Rules only look at this; none of them opens a file."""

    layout: Layout
    dataset_csv: DatasetCsv | None
    meta: pd.DataFrame
    images: pd.DataFrame
    annotations: Annotations
    tolerances: Tolerances = field(default_factory=Tolerances)
    _derived: dict[str, Any] = field(default_factory=dict)

    def problems(self, code: str) -> Iterator[Hit]:
        """The loaders' problems that rule `code` reports."""
        if self.dataset_csv:
            yield from (hit for found, hit in self.dataset_csv.problems if found == code)
        yield from self.annotations.problems(code)

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value computed from the tables once and shared by the rules that need it."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


def load_release(layout: Layout, tolerances: Tolerances | None = None) -> Release:
    dataset_csv = None
    if layout.dataset_csv is not None:
        dataset_csv = read_dataset_csv(layout.dataset_csv, layout.relative(layout.dataset_csv))
    images = inventory(layout)
    return Release(
        layout=layout,
        dataset_csv=dataset_csv,
        meta=typed_meta(dataset_csv.rows if dataset_csv else None),
        images=images,
        annotations=load_annotations(layout, real_sizes(images)),
        tolerances=tolerances or Tolerances(),
    )


def real_sizes(images: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """image_id -> (width, height) from the headers of the images in the class folders."""
    known = images[images["folder"].isin(["fractured", "non_fractured"]) & images["width"].notna()]
    return {
        row.image_id: (int(row.width), int(row.height))
        for row in known.drop_duplicates("image_id").itertuples(index=False)
    }


def load_annotations(layout: Layout, sizes: dict[str, tuple[int, int]]) -> Annotations:
    folders, relative = layout.annotation_dirs, layout.relative
    return Annotations.of(
        [
            load_coco(folders.get("coco"), relative),
            load_vgg(folders.get("vgg"), relative),
            load_yolo(folders.get("yolo"), relative, sizes),
            load_voc(folders.get("voc"), relative),
        ]
    )
