"""The loaded release: its layout and one table per kind of fact, and the view each rule gets.

`load_release` reads only the inputs asked for (see fracqa.inputs); what was not asked for is
an empty table. A rule never sees the Release itself but a `RuleView`, which shows only the
inputs the rule declared and raises `UndeclaredInput` for any other, so that a declaration
that is wrong fails the rule's own tests instead of passing by luck when another rule loaded
the input.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fracqa import inputs
from fracqa.config import Settings
from fracqa.figures import PublishedFigures, measure, statistics_frames
from fracqa.layout import Layout
from fracqa.load.annotation_table import Annotations
from fracqa.load.croissant import Description, load_description
from fracqa.load.dataset_csv import DatasetCsv, read_dataset_csv, typed_meta
from fracqa.load.expectations import Expectations
from fracqa.load.images import (
    FILE_COLUMNS,
    HEADER_COLUMNS,
    SCAN_COLUMNS,
    TEXT_COLUMNS,
    PendingImages,
)
from fracqa.load.splits import SplitTables, load_splits
from fracqa.load.view_store import ViewStore
from fracqa.model import Hit, Rule
from fracqa.workers import Standby, Workers

# Each annotation format's loader, imported only when the format is read.
LOADERS = {inputs.COCO: "fracqa.load.coco:load_coco", inputs.VGG: "fracqa.load.vgg:load_vgg",
           inputs.YOLO: "fracqa.load.yolo:load_yolo", inputs.VOC: "fracqa.load.voc:load_voc"}


def load_format(layout: Layout, fmt: str, workers: Workers | None = None):
    """Start the loader of annotation format `fmt`; its `.result()` is the FormatSource."""
    module, function = LOADERS[fmt].split(":")
    return getattr(importlib.import_module(module), function)(layout, workers)


@dataclass
class Release:
    """What the loaders read, for the inputs in `loaded`. No rule opens a file."""

    layout: Layout
    loaded: frozenset[str] = frozenset()
    settings: Settings = field(default_factory=Settings)
    dataset_csv: DatasetCsv | None = None
    meta: pd.DataFrame = field(default_factory=lambda: typed_meta(None))
    images: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FILE_COLUMNS))
    annotations: Annotations = field(default_factory=lambda: Annotations.of([]))
    splits: SplitTables = field(default_factory=SplitTables.empty)
    views: ViewStore | None = None  # the scanned images' view hashes (the table's `view` row)
    figures: PublishedFigures | None = None
    croissant: Description | None = None  # the published description to compare with
    # the codes of the rules the audit runs (empty: every rule), for a rule that reports a
    # finding several rules concern once, under the first of them that runs
    running: frozenset[str] = frozenset()
    _derived: dict[Any, Any] = field(default_factory=dict)

    @property
    def tolerances(self):
        return self.settings.tolerances

    def problems(self, code: str, sources: frozenset[str] | None = None) -> Iterator[Hit]:
        """The loaders' problems that rule `code` reports, from the given inputs (all by
        default)."""
        sources = self.loaded if sources is None else sources
        if self.dataset_csv and inputs.CSV in sources:
            yield from (hit for found, hit in self.dataset_csv.problems if found == code)
        yield from self.annotations.problems(code, sources)
        if inputs.SPLITS in sources:
            yield from (hit for found, hit in self.splits.problems if found == code)

    def derived(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A value computed from the tables once and shared by the rules that need it."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


class UndeclaredInput(AttributeError):
    """A rule read an input it does not declare: a bug in that rule's declaration."""


class RuleView:
    """The release as one rule sees it: the inputs the rule declares, and nothing else."""

    def __init__(self, release: Release, rule: Rule):
        self._release, self._rule, self._needs = release, rule, rule.needs
        self.layout, self.settings = release.layout, release.settings

    @property
    def tolerances(self):
        return self._release.settings.tolerances

    def runs(self, code: str) -> bool:
        """Whether the audit runs rule `code` (a rule leaves to it what it reports)."""
        return not self._release.running or code in self._release.running

    def _require(self, *names: str) -> None:
        if not any(name in self._needs for name in names):
            raise UndeclaredInput(f"rule {self._rule.code} reads {' or '.join(names)} but does "
                                  f"not declare it in `needs`")  # fmt: skip

    @property
    def dataset_csv(self) -> DatasetCsv | None:
        self._require(inputs.CSV)
        return self._release.dataset_csv

    @property
    def meta(self) -> pd.DataFrame:
        self._require(inputs.CSV)
        return self._release.meta

    @property
    def images(self) -> pd.DataFrame:
        """The image table, with the columns of the image inputs the rule declares."""
        self._require(inputs.IMAGE_FILES)
        depth = self._needs & {inputs.IMAGE_HEADERS, inputs.IMAGE_SCAN, inputs.IMAGE_TEXT}
        return self._release.derived(("images", depth), lambda: self._images(depth))

    def _images(self, depth: frozenset[str]) -> pd.DataFrame:
        columns = list(FILE_COLUMNS)
        if inputs.IMAGE_HEADERS in depth:
            columns += HEADER_COLUMNS
        if inputs.IMAGE_SCAN in depth:
            columns += SCAN_COLUMNS
        if inputs.IMAGE_TEXT in depth:
            columns += TEXT_COLUMNS
        table = self._release.images
        return table[[c for c in columns if c in table]]

    @property
    def views(self) -> ViewStore | None:
        """The view hashes of the scanned images (row `view` of the image table)."""
        self._require(inputs.IMAGE_SCAN)
        return self._release.views

    @property
    def annotations(self) -> Annotations:
        """The instances and entries of the formats the rule declares (YOLO's pixel boxes only
        with the image headers, which give the images' sizes)."""
        self._require(*inputs.ANNOTATION_FORMATS)
        formats = self._needs & set(inputs.ANNOTATION_FORMATS)
        pixels = inputs.IMAGE_HEADERS in self._needs
        return self._release.derived(("annotations", formats, pixels),
                                     lambda: self._release.annotations.only(formats, pixels))

    @property
    def splits(self) -> SplitTables:
        self._require(inputs.SPLITS)
        return self._release.splits

    @property
    def figures(self) -> PublishedFigures | None:
        self._require(inputs.FIGURES)
        return self._release.figures

    @property
    def croissant(self) -> Description | None:
        self._require(inputs.CROISSANT)
        return self._release.croissant

    def problems(self, code: str) -> Iterator[Hit]:
        """The loaders' problems that rule `code` reports, from the inputs the rule declares."""
        return self._release.problems(code, self._needs)

    def derived(self, key: str, compute: Callable[[], Any],
                uses: tuple[str, ...] | None = None) -> Any:  # fmt: skip
        """A value computed once and shared by the rules that need it. `uses` names the inputs
        it is computed from (the rule must declare them); without it, the value is shared only
        by the rules that declare the same inputs as this one."""
        if uses is None:
            return self._release.derived((key, self._needs), compute)
        for name in uses:
            self._require(name)
        return self._release.derived((key, frozenset(uses)), compute)


def load_release(layout: Layout, settings: Settings | None = None,
                 needs: frozenset[str] = frozenset(inputs.ALL),
                 expectations: Expectations | None = None,
                 meanwhile: Callable[[], Any] | None = None,
                 early: Callable[[Release], Any] | None = None,
                 standby: Standby | None = None) -> Release:  # fmt: skip
    """Read the inputs in `needs`, each once. The published figures (measured with
    `expectations`), the image files and the YOLO and VOC files are read in the worker pool
    while this process reads the rest, then calls `meanwhile` (if given), and `early(release)`
    once every input but the images and the figures is loaded, before it waits for those;
    YOLO's pixel boxes are placed once the real image sizes are known. The figures are measured
    in the `standby` process, when one was started (with Great Expectations imported)."""
    settings = settings or Settings()
    release = Release(layout, needs, settings)
    if inputs.CROISSANT in needs and settings.croissant is not None:
        # First: an unusable description stops the audit before anything is read.
        release.croissant = load_description(settings.croissant, layout.root)
    if inputs.CSV in needs and layout.dataset_csv is not None:
        release.dataset_csv = read_dataset_csv(layout.dataset_csv,
                                               layout.relative(layout.dataset_csv))  # fmt: skip
    release.meta = typed_meta(release.dataset_csv.rows if release.dataset_csv else None)
    if inputs.SPLITS in needs:
        release.splits = load_splits(layout)
    depth = (inputs.IMAGE_SCAN if inputs.IMAGE_SCAN in needs
             else inputs.IMAGE_HEADERS if inputs.IMAGE_HEADERS in needs else None)  # fmt: skip
    with Workers(settings.workers) as workers:
        figures = None
        if inputs.FIGURES in needs and expectations is not None:
            # Great Expectations alone weighs 200 MB and takes seconds to import: it runs in
            # a process of its own, started first, so that it has ended before this process
            # holds the release's tables (ten times the release: 40,830 images).
            frames = statistics_frames(release.dataset_csv, release.meta, release.splits)
            figures = workers.submit_alone(measure, expectations, frames, standby=standby,
                                           what="the Great Expectations process")  # fmt: skip
        # YOLO and VOC (a file per image) first, so that their few chunks are read in the pool
        # before the images, while COCO and VGG are read here.
        loading = {fmt: load_format(layout, fmt, workers)
                   for fmt in (inputs.YOLO, inputs.VOC) if fmt in needs}
        pending = None
        if inputs.IMAGE_FILES in needs:
            pending = PendingImages(layout, settings.scan, workers, depth,
                                    ocr=inputs.IMAGE_TEXT in needs)  # fmt: skip
        loading.update({fmt: load_format(layout, fmt, workers)
                        for fmt in (inputs.COCO, inputs.VGG) if fmt in needs})
        if meanwhile is not None:
            meanwhile()
        release.annotations = Annotations.of([loading[fmt].result() for fmt in LOADERS
                                              if fmt in loading])  # fmt: skip
        if early is not None:
            early(release)
        if figures is not None:
            release.figures = PublishedFigures(expectations, figures.result())
        if pending is not None:
            release.images = pending.table()
            release.views = pending.views
    if depth is not None:
        release.annotations.place_yolo_boxes(real_sizes(release.images))
    return release


def real_sizes(images: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """image_id -> (width, height) from the headers of the images in the class folders."""
    if "width" not in images:
        return {}
    known = images[images["folder"].isin(["fractured", "non_fractured"]) & images["width"].notna()]
    return {
        row.image_id: (int(row.width), int(row.height))
        for row in known.drop_duplicates("image_id").itertuples(index=False)
    }
