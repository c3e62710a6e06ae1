"""STA: the release shows the figures its paper published (measured in fracqa.figures)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from fracqa.catalogue import rule
from fracqa.checks.images import _folders_of
from fracqa.figures import figure_value, statistics_frames
from fracqa.inputs import CSV, FIGURES, IMAGE_FILES, SPLITS
from fracqa.model import Hit
from fracqa.release import Release

SECTIONS = ("dataset", "regions", "views", "splits")  # STA001-STA004, in that order
NEEDS = (FIGURES, CSV, SPLITS, IMAGE_FILES)  # every rule here declares these
_FOLDER_OF_LABEL = {1: "fractured", 0: "non_fractured"}
_FOLDER_NAME = {"fractured": "images/Fractured/", "non_fractured": "images/Non_fractured/"}
# figures that depend on an image's fracture_count or split, which a label turned to
# fractured does not tell
_NEED_COUNT = ("dataset.fracture_instances", "dataset.fracture_count_min_on_fractured",
               "dataset.fracture_count_max")  # fmt: skip


@dataclass
class Explanation:
    """A set of images whose labels the release itself contradicts (their file is in the other
    class folder too, or only there), which, counted with the label the folder gives, makes
    some deviating figures exactly what was published and no other figure deviate."""

    kind: str  # "in both class folders"
    rule: str  # the image rule that reports them
    labels: dict[str, int]  # image -> the label the folder gives
    figures: list[dict]  # the rows explained, each with the value it would have ("counted")

    @property
    def sections(self) -> set[str]:
        return {row["figure"].split(".")[0] for row in self.figures}


def explanation(release: Release) -> Explanation | None:
    return release.derived("figure-explanation", lambda: _explain(release), uses=NEEDS)


def _explain(release: Release) -> Explanation | None:
    """Of the images in both class folders, the images in the folder of the other label, and
    the two together, the set that explains the most deviating figures without making any
    other deviate (the fewer images the better); None when none explains one."""
    if release.figures is None or release.dataset_csv is None:
        return None
    rows = release.figures.rows()
    if not any(row["ok"] is False for row in rows):
        return None
    folders = _folders_of(release)
    meta = release.meta
    both, moved = {}, {}
    for image_id, fractured in meta[["image_id", "fractured"]].itertuples(index=False):
        if pd.isna(image_id) or pd.isna(fractured) or fractured not in _FOLDER_OF_LABEL:
            continue
        found = set(folders.get(image_id, []))
        if len(found) == 2:
            both[image_id] = 1 - int(fractured)
        elif found and found != {_FOLDER_OF_LABEL[int(fractured)]}:
            moved[image_id] = 1 - int(fractured)
    candidates = [Explanation(kind, code, labels, [])
                  for kind, code, labels in (("in both class folders", "IMG004", both),
                                             ("in the folder of the other label", "IMG002",
                                              moved))
                  if labels]  # fmt: skip
    if both and moved:
        candidates.append(Explanation("in both class folders or in the folder of the other "
                                      "label", "IMG004, IMG002", {**both, **moved}, []))
    if not candidates:
        return None
    frames = statistics_frames(release.dataset_csv, meta, release.splits)
    best = None
    for candidate in candidates:
        candidate.figures = _explained(candidate.labels, rows, frames, meta, release.splits)
        if candidate.figures and (best is None or (len(candidate.figures), -len(candidate.labels))
                                  > (len(best.figures), -len(best.labels))):  # fmt: skip
            best = candidate
    return best


def _explained(labels: dict[str, int], rows: list[dict], frames: dict, meta: pd.DataFrame,
               splits) -> list[dict]:  # fmt: skip
    """The deviating rows that the images counted with `labels` make as published. dataset.csv
    and the split lists are weighed apart: the images' part in each (their labels; their
    split entries, which a negative does not have) explains nothing if it makes another of its
    figures deviate."""
    changed = dict(frames)
    unknown = any(label == 1 for label in labels.values())
    if frames.get("meta") is not None:
        table = frames["meta"].copy()
        ids = meta.loc[table.index, "image_id"]
        chosen = ids.isin(list(labels)).to_numpy()
        table.loc[chosen, "fractured"] = [float(labels[i]) for i in ids[chosen]]
        if "fracture_count" in table:
            negative = chosen & (table["fractured"] == 0).to_numpy()
            table.loc[negative, "fracture_count"] = 0.0
        changed["meta"] = table
    if frames.get("splits") is not None:
        ids = splits.table.loc[frames["splits"].index, "image_id"]
        gone = ids.map(lambda i: labels.get(i) == 0).to_numpy(dtype=bool)
        changed["splits"] = frames["splits"][~gone]
    explained: dict[bool, list[dict]] = {False: [], True: []}  # by: a split figure?
    broken = {False: False, True: False}
    for row in rows:
        name = row["figure"]
        in_splits = name.startswith("splits.")
        if row["observed"] is None or (unknown and (name in _NEED_COUNT or in_splits)):
            continue
        before, after = figure_value(name, frames), figure_value(name, changed)
        if before is None or after is None:
            continue
        counted = row["observed"] + (after - before)
        as_published = abs(counted - row["published"]) <= row["tolerance"] + 1e-9
        if row["ok"] and not as_published:
            broken[in_splits] = True  # the images would make this figure deviate
        if row["ok"] is False and as_published:
            explained[in_splits].append({**row, "delta": row["observed"] - row["published"],
                                         "counted": int(counted) if float(counted).is_integer()
                                         else counted})  # fmt: skip
    return [row for part in (False, True) if not broken[part] for row in explained[part]]


def _deviations(release: Release, section: str) -> Iterator[Hit]:
    if release.figures is None:
        return  # no expectations were given to measure
    found = explanation(release)
    explained = {row["figure"] for row in found.figures} if found else set()
    if found and _owner(release, found) == section:
        yield _explained_hit(release, found)
    for row in release.figures.rows():
        if row["figure"].split(".")[0] != section or row["ok"] is not False:
            continue
        if row["figure"] in explained:
            continue
        delta = row["observed"] - row["published"]
        yield Hit(f"{row['figure']}: published {_shown(row['published'])}, observed "
                  f"{_shown(row['observed'])} ({'+' if delta > 0 else ''}{_shown(delta)})",
                  None, _section_file(release, section), row["figure"],
                  {**row, "delta": delta})  # fmt: skip


def _owner(release: Release, found: Explanation) -> str | None:
    """The section whose rule reports the explanation: the first of its sections whose rule
    the audit runs (with --select STA004 alone, STA004 reports it)."""
    return next((section for section in SECTIONS if section in found.sections
                 and release.runs(_rule_of(section))), None)  # fmt: skip


def _rule_of(section: str) -> str:
    return f"STA00{SECTIONS.index(section) + 1}"


def _explained_hit(release: Release, found: Explanation) -> Hit:
    images = sorted(found.labels)
    labels = set(found.labels.values())
    if found.kind == "in both class folders" and len(labels) == 1:
        label = labels.pop()
        copies = "its copy" if len(images) == 1 else "their copies"
        splits = "splits" in found.sections
        counted = (f"counted as {'fractured' if label else 'non-fractured'}, as {copies} in "
                   f"{_FOLDER_NAME[_FOLDER_OF_LABEL[label]]} say{'s' if len(images) == 1 else ''}"
                   + ("" if label else " (so in no split list, with no fracture instance)"
                      if splits else " (with no fracture instance)"))
    else:
        counted = "counted with the label of the class folder that holds them"
    csv_label = {1 - label for label in found.labels.values()}
    said = ("which dataset.csv labels " + ("fractured" if csv_label == {1} else "non-fractured")
            if len(csv_label) == 1 else "whose folder and dataset.csv disagree")  # fmt: skip
    named = ", ".join(images[:6]) + (f" and {len(images) - 6} more" if len(images) > 6 else "")
    shown = ", ".join(f"{row['figure']} {_shown(row['observed'])} (published "
                      f"{_shown(row['published'])}, {'+' if row['delta'] > 0 else ''}"
                      f"{_shown(row['delta'])})" for row in found.figures)
    count = len(found.figures)
    return Hit(f"{count} published figure{'s' if count > 1 else ''} differ"
               f"{'' if count > 1 else 's'} because of {len(images)} image"
               f"{'s' if len(images) > 1 else ''} {found.kind} ({found.rule}), {named}, {said}: "
               f"{counted}, the release gives {'all ' + str(count) if count > 1 else 'it'} as "
               f"published: {shown}",
               images[0] if len(images) == 1 else None, _section_file(release, "dataset"),
               f"images {found.kind}",
               {"images": images, "kind": found.kind, "rule": found.rule,
                "counted_as": {i: found.labels[i] for i in images},
                "figures": found.figures,
                "rules": sorted({_rule_of(s) for s in found.sections})})


def _section_file(release: Release, section: str) -> str | None:
    if section == "splits":
        folder = release.layout.split_dir
        return release.layout.relative(folder) if folder else None
    path = release.layout.dataset_csv
    return release.layout.relative(path) if path else None


def _shown(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.4f}"


@rule("STA001", "published-totals", "statistics", "warning",
      "a release total differs from the published figure",
      needs=(FIGURES, CSV, SPLITS, IMAGE_FILES))  # fmt: skip
def published_totals(release: Release) -> Iterator[Hit]:
    """The release's totals differ from what the paper published: images, fractured and
    non-fractured images, fracture instances, the fracture_count range, locales (region flags),
    hardware and multiscan images. Each deviation is one finding with both values, unless the
    release shows its cause:

    One cause is one finding. Images whose label the release itself contradicts (a file in
    both class folders, IMG004; a file only in the folder of the other label, IMG002) are
    counted once more with the label their folder gives (a negative then in no split list and
    with no fracture instance). When that makes deviating figures exactly what was published,
    and no other figure deviate (dataset.csv's figures and the split lists' are weighed apart:
    images whose split entries are not the difference can still explain the label counts),
    those figures are one finding naming the images, filed under the first of STA001-STA004
    that concerns one of them and runs (the others leave them out). fracqa
    does not guess beyond what the release shows: a deviation no such set of images explains
    stays a finding of its own. The statistics table of the JSON report keeps every figure.

    Why: the paper is how the world knows the release; a version that silently differs from
    it (images lost, labels flipped) breaks every comparison with published results.
    Fix: find what changed (see the other findings); if the change is intended, publish the new
    figures in a new expectations file (--expect) alongside the release.
    """
    yield from _deviations(release, "dataset")


@rule("STA002", "published-regions", "statistics", "warning",
      "a body-region count differs from the published figure",
      needs=(FIGURES, CSV, SPLITS, IMAGE_FILES))  # fmt: skip
def published_regions(release: Release) -> Iterator[Hit]:
    """The number of images per body region (hand, leg, hip, shoulder), in total or among the
    fractured images, differs from the paper. Deviations that images in the folder of the
    other class explain are one finding, filed under the first rule they concern that runs
    (see STA001).

    Why: region counts are what per-region results are weighed against; a drift usually means
    region flags were edited or images added or lost.
    Fix: check the region flags that changed; publish new figures if the change is intended.
    """
    yield from _deviations(release, "regions")


@rule("STA003", "published-views", "statistics", "warning",
      "a view count differs from the published figure",
      needs=(FIGURES, CSV, SPLITS, IMAGE_FILES))  # fmt: skip
def published_views(release: Release) -> Iterator[Hit]:
    """The number of frontal, lateral or oblique images, in total or by class, differs from the
    paper. Deviations that images in the folder of the other class explain are one finding,
    filed under the first rule they concern that runs (see STA001).

    Why: view counts describe what a model sees; a drift means view flags or images changed.
    Fix: check the view flags that changed; publish new figures if the change is intended.
    """
    yield from _deviations(release, "views")


@rule("STA004", "published-splits", "statistics", "warning",
      "a split's size or share differs from the published figure",
      needs=(FIGURES, CSV, SPLITS, IMAGE_FILES))  # fmt: skip
def published_splits(release: Release) -> Iterator[Hit]:
    """The sizes of the train, valid and test splits, or their shares of the fractured images
    (80/12/8 %), differ from the paper. Deviations that images in the folder of the other
    class explain are one finding, filed under the first rule they concern that runs
    (see STA001).

    Why: results are reported on the official split; a split of another size is another
    benchmark, and scores stop being comparable.
    Fix: restore the official split files; publish new figures if the change is intended.
    """
    yield from _deviations(release, "splits")
