"""The loaded release: its layout and one table per kind of fact, which every rule reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fracqa.config import Settings
from fracqa.figures import observe, statistics_frames
from fracqa.layout import Layout
from fracqa.load.annotation_table import Annotations
from fracqa.load.coco import load_coco
from fracqa.load.dataset_csv import DatasetCsv, read_dataset_csv, typed_meta
from fracqa.load.expectations import Expectations
from fracqa.load.images import PendingInventory
from fracqa.load.splits import SplitTables, load_splits
from fracqa.load.vgg import load_vgg
from fracqa.load.voc import load_voc
from fracqa.load.yolo import load_yolo
from fracqa.model import Hit
from fracqa.workers import Workers


@dataclass
class Release:
    """What the loaders read. Rules only look at this; none of them opens a file."""

    layout: Layout
    dataset_csv: DatasetCsv | None
    meta: pd.DataFrame
    images: pd.DataFrame
    annotations: Annotations
    splits: SplitTables
    settings: Settings = field(default_factory=Settings)
    observed_statistics: list[dict] | None = None  # measured in a worker while loading
    _derived: dict[str, Any] = field(default_factory=dict)

    @property
    def tolerances(self):
        return self.settings.tolerances

    def problems(self, code: str) -> Iterator[Hit]:
        """The loaders' problems that rule `code` reports."""
        if self.dataset_csv:
            yield from (hit for found, hit in self.dataset_csv.problems if found == code)
        yield from self.annotations.problems(code)
        yield from (hit for found, hit in self.splits.problems if found == code)

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value computed from the tables once and shared by the rules that need it."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


def load_release(
    layout: Layout, settings: Settings | None = None, expectations: Expectations | None = None
) -> Release:
    """Read every source once. The published figures (when `expectations` are given) and the
    image scan run in the worker pool while the annotations are read; YOLO's pixel boxes are
    placed once the real image sizes are known."""
    settings = settings or Settings()
    dataset_csv = None
    if layout.dataset_csv is not None:
        dataset_csv = read_dataset_csv(layout.dataset_csv, layout.relative(layout.dataset_csv))
    meta = typed_meta(dataset_csv.rows if dataset_csv else None)
    splits = load_splits(layout)
    with Workers(settings.workers) as workers:
        figures = None
        if expectations is not None:  # Great Expectations alone weighs 200 MB: its own process
            figures = workers.submit_alone(
                observe, expectations, statistics_frames(dataset_csv, meta, splits)
            )
        pending = PendingInventory(layout, settings.scan, workers)
        annotations = load_annotations(layout)
        observed = figures.result() if figures is not None else None  # and its process ends
        images = pending.table()
    annotations.place_yolo_boxes(real_sizes(images))
    return Release(
        layout=layout,
        dataset_csv=dataset_csv,
        meta=meta,
        images=images,
        annotations=annotations,
        splits=splits,
        settings=settings,
        observed_statistics=observed,
    )


def real_sizes(images: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """image_id -> (width, height) from the headers of the images in the class folders."""
    known = images[images["folder"].isin(["fractured", "non_fractured"]) & images["width"].notna()]
    return {
        row.image_id: (int(row.width), int(row.height))
        for row in known.drop_duplicates("image_id").itertuples(index=False)
    }


def load_annotations(layout: Layout) -> Annotations:
    return Annotations.of([load_coco(layout), load_vgg(layout), load_yolo(layout),
                           load_voc(layout)])  # fmt: skip
