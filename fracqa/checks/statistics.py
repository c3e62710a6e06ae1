"""STA: the release shows the figures its paper published (measured in fracqa.figures)."""

from __future__ import annotations

from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.inputs import FIGURES
from fracqa.model import Hit
from fracqa.release import Release


def _deviations(release: Release, section: str) -> Iterator[Hit]:
    if release.figures is None:
        return  # no expectations were given to measure
    for row in release.figures.rows():
        if row["figure"].split(".")[0] != section or row["ok"] is not False:
            continue
        delta = row["observed"] - row["published"]
        yield Hit(f"{row['figure']}: published {_shown(row['published'])}, observed "
                  f"{_shown(row['observed'])} ({'+' if delta > 0 else ''}{_shown(delta)})",
                  None, _section_file(release, section), row["figure"],
                  {**row, "delta": delta})  # fmt: skip


def _section_file(release: Release, section: str) -> str | None:
    if section == "splits":
        folder = release.layout.split_dir
        return release.layout.relative(folder) if folder else None
    path = release.layout.dataset_csv
    return release.layout.relative(path) if path else None


def _shown(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.4f}"


@rule("STA001", "published-totals", "statistics", "warning",
      "a release total differs from the published figure", needs=(FIGURES,))  # fmt: skip
def published_totals(release: Release) -> Iterator[Hit]:
    """The release's totals differ from what the paper published: images, fractured and
    non-fractured images, fracture instances, the fracture_count range, locales (region flags),
    hardware and multiscan images.

    Why: the paper is how the world knows the release; a version that silently differs from
    it (images lost, labels flipped) breaks every comparison with published results.
    Fix: find what changed (see the other findings); if the change is intended, publish the new
    figures in a new expectations file (--expect) alongside the release.
    """
    yield from _deviations(release, "dataset")


@rule("STA002", "published-regions", "statistics", "warning",
      "a body-region count differs from the published figure", needs=(FIGURES,))  # fmt: skip
def published_regions(release: Release) -> Iterator[Hit]:
    """The number of images per body region (hand, leg, hip, shoulder), in total or among the
    fractured images, differs from the paper.

    Why: region counts are what per-region results are weighed against; a drift usually means
    region flags were edited or images added or lost.
    Fix: check the region flags that changed; publish new figures if the change is intended.
    """
    yield from _deviations(release, "regions")


@rule("STA003", "published-views", "statistics", "warning",
      "a view count differs from the published figure", needs=(FIGURES,))  # fmt: skip
def published_views(release: Release) -> Iterator[Hit]:
    """The number of frontal, lateral or oblique images, in total or by class, differs from the
    paper.

    Why: view counts describe what a model sees; a drift means view flags or images changed.
    Fix: check the view flags that changed; publish new figures if the change is intended.
    """
    yield from _deviations(release, "views")


@rule("STA004", "published-splits", "statistics", "warning",
      "a split's size or share differs from the published figure", needs=(FIGURES,))  # fmt: skip
def published_splits(release: Release) -> Iterator[Hit]:
    """The sizes of the train, valid and test splits, or their shares of the fractured images
    (80/12/8 %), differ from the paper.

    Why: results are reported on the official split; a split of another size is another
    benchmark, and scores stop being comparable.
    Fix: restore the official split files; publish new figures if the change is intended.
    """
    yield from _deviations(release, "splits")
