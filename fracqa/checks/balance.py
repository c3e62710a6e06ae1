"""STA, split balance: is the official split what a random split of the same sizes would be?

Every attribute of the images in the split (the dataset.csv flags and fracture_count; the
image size, mode, file size and decode defects the scan measured) is tested against the split
by shuffling the split 2,000 times (fracqa.permutation: seeded, so the same release always
gives the same answer; the family-wise error over all attributes controlled by minP). The
split's order along the image ids is tested on the same shuffles, and neighbouring ids that
look like views of one study are measured for leakage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fracqa.catalogue import rule
from fracqa.inputs import CSV, IMAGE_SCAN, SPLITS
from fracqa.layout import SPLITS as SPLIT_NAMES
from fracqa.model import Hit
from fracqa.permutation import (
    LEVEL,
    PERMUTATIONS,
    SEED,
    SMALL_H,
    Extra,
    Result,
    cohens_h,
    compare_groups,
    shuffles,
    shuffles_within,
)
from fracqa.properties import (
    csv_attributes,
    image_table,
    scan_attributes,
    sizes,
    with_splits,
)
from fracqa.release import Release

MINIMUM_ITEMS = 20  # fewer images in the split than this: nothing to test
STUDY_GAP = 2  # ids at most this far apart can be views of one study
STUDY_SHUFFLES = 100
WITHIN_SHUFFLES = 500  # the second look, within image sizes: descriptive, one test at a time
ALONG_IDS = 1000  # the split's sequence along the ids started at this many places at most
MAX_NAMED = 6  # cells named in a message; every cell is in the details


@dataclass
class SplitAnalysis:
    names: tuple[str, ...]
    sizes: dict[str, int]
    results: list[Result]
    order: Extra
    order_details: dict
    tested: int  # statistics in the family (attributes and the order)
    table: pd.DataFrame = field(repr=False, default=None)
    along_ids: dict[str, dict] = field(default_factory=dict)  # attribute -> the third look


def analysis(release: Release) -> SplitAnalysis | None:
    return release.derived("split-balance", lambda: analyse(release),
                           uses=(CSV, IMAGE_SCAN, SPLITS))  # fmt: skip


def properties_table(release: Release) -> pd.DataFrame:
    """dataset.csv and the image scan, one row per image (shared by STA005-STA010)."""
    return release.derived("image-properties",
                           lambda: image_table(release.meta, release.images),
                           uses=(CSV, IMAGE_SCAN))  # fmt: skip


def joined(release: Release) -> pd.DataFrame:
    """The properties table with the split of each image."""
    return release.derived("image-properties-splits",
                           lambda: with_splits(properties_table(release), release.splits.table),
                           uses=(CSV, IMAGE_SCAN, SPLITS))  # fmt: skip


def analyse(release: Release) -> SplitAnalysis | None:
    """The shuffles' verdict on every attribute of the split's images, and on their order."""
    table = joined(release)
    table = table[table["split"].isin(SPLIT_NAMES)].reset_index(drop=True)
    names = tuple(s for s in SPLIT_NAMES if (table["split"] == s).any())
    if len(names) < 2 or len(table) < MINIMUM_ITEMS:
        return None
    groups = table["split"].map({n: i for i, n in enumerate(names)}).to_numpy(dtype=np.int64)
    shuffled = shuffles(groups)
    order = _order_test(table, groups, shuffled)
    attributes = csv_attributes(table) + scan_attributes(table)
    results = compare_groups(attributes, groups, names, shuffled, [order])
    _within_image_size(results, groups, names)
    counts = {n: int((groups == i).sum()) for i, n in enumerate(names)}
    found = SplitAnalysis(names, counts, results, order, _ranges(table, names),
                          len(results) + 1, table)  # fmt: skip
    if order.p_adjusted <= LEVEL:
        found.along_ids = _along_ids(results, groups, names, table)
    return found


def _within_image_size(results: list[Result], groups: np.ndarray,
                       names: tuple[str, ...]) -> None:  # fmt: skip
    """When the image size is unbalanced, whether each other unbalanced attribute is so only
    through it: the attribute tested again against splits shuffled within each image size
    (every split keeps its sizes). Recorded in the result's `within`."""
    size = next((r for r in results if r.attribute.name == "image size"), None)
    if size is None or not size.significant():
        return
    strata = size.attribute.codes
    shuffled = shuffles_within(groups, strata, WITHIN_SHUFFLES)
    for result in results:
        if result is size or not result.significant():
            continue
        [again] = compare_groups([result.attribute], groups, names, shuffled)
        result.within = {"stratified_by": "image size", "p_value": again.p_value,
                         "permutations": WITHIN_SHUFFLES}  # fmt: skip


def _along_ids(results: list[Result], groups: np.ndarray, names: tuple[str, ...],
               table: pd.DataFrame) -> dict[str, dict]:  # fmt: skip
    """When the split follows the ids, whether each unbalanced attribute is so only because
    of that: the attribute tested again against splits that follow the ids as this one does
    (the split's own sequence along the sorted ids, started at another place, forwards or
    backwards: at most ALONG_IDS places each way), which keep whatever runs of alike images
    and drifts along the ids the release has. The p-values are adjusted (minP) for every
    attribute looked at again, so that "the id order alone does not explain it" is said of
    one attribute by chance in at most one release in twenty.
    {attribute: {"p_value", "p_adjusted", "tests", "splits"}}."""
    unbalanced = [r for r in results if r.significant()]
    if not unbalanced:
        return {}
    order = np.argsort(table["number"].fillna(-1).to_numpy(), kind="stable")
    sequence = groups[order].astype(np.int8)
    count = len(sequence)
    starts = np.unique(np.linspace(1, count, min(count - 1, ALONG_IDS), endpoint=False)
                       .astype(np.int64))  # fmt: skip
    shifted = np.empty((2 * len(starts) + 1, count), dtype=np.int8)
    row = 0
    for direction in (sequence, sequence[::-1]):
        for start in ([0] if direction is not sequence else []) + list(starts):
            shifted[row, order] = np.roll(direction, start)
            row += 1
    shifted = shifted[:row]
    again = compare_groups([r.attribute for r in unbalanced], groups, names, shifted)
    return {r.attribute.name: {"p_value": a.p_value, "p_adjusted": a.p_adjusted,
                               "tests": len(unbalanced), "splits": int(row)}
            for r, a in zip(unbalanced, again, strict=True)}  # fmt: skip


def _order_test(table: pd.DataFrame, groups: np.ndarray, shuffled: np.ndarray) -> Extra:
    """Sorted by id, how often the split changes from one image to the next: a random split
    changes often, a split into ranges of ids hardly ever (fewer changes: more extreme)."""
    order = np.argsort(table["number"].fillna(-1).to_numpy(), kind="stable")
    ordered = shuffled[:, order]
    changes = (ordered[:, 1:] != ordered[:, :-1]).sum(axis=1).astype(float)
    observed = float((groups[order][1:] != groups[order][:-1]).sum())
    extra = Extra("id order", -observed, -changes)
    extra.details = {"changes": int(observed),
                     "band": [float(v) for v in np.percentile(changes, (2.5, 97.5))],
                     "expected": float(changes.mean())}  # fmt: skip
    return extra


def _ranges(table: pd.DataFrame, names: tuple[str, ...]) -> dict:
    ranges = {}
    for name in names:
        ids = sorted(table.loc[table["split"] == name, "image_id"])
        ranges[name] = {"first": ids[0], "last": ids[-1], "images": len(ids)}
    return ranges


def shown_p(p: float, permutations: int = PERMUTATIONS) -> str:
    """A p-value as text; the smallest the shuffles can show as "<=" it."""
    floor = 1 / (permutations + 1)
    return f"<= {floor:.4f}" if p <= floor * 1.0001 else f"= {p:.4f}"


def _split_file(release: Release) -> str | None:
    folder = release.layout.split_dir
    return release.layout.relative(folder) if folder else None


def _amount(value: float, unit: str) -> str:
    if unit == "bytes":
        return f"{value / 1000:.1f} kB"
    return f"{value:.3g}"


def _named_cells(result: Result) -> list[dict]:
    """The cells outside the random band (or the most extreme one), the most extreme first,
    kept together by category."""
    cells = sorted(result.cells, key=lambda c: -abs(c["z"]))
    named = ([c for c in cells if c["outside"]] or cells[:1])[:MAX_NAMED]
    order = list(dict.fromkeys(c["category"] for c in named))
    return sorted(named, key=lambda c: order.index(c["category"]))


def _cell_text(cell: dict, attribute) -> str:
    low, high = cell["band"]
    if attribute.numeric:
        return (f"{cell['group']} {_amount(cell['observed'], attribute.unit)} (a random split: "
                f"{_amount(low, attribute.unit)}-{_amount(high, attribute.unit)})")
    return (f"{cell['group']} {cell['observed']} of {cell['size']} "
            f"({100 * cell['share']:.0f} %; a random split: {low:g}-{high:g})")


def _cells_text(cells: list[dict], attribute) -> str:
    """The cells as text, by category ("2304x2880: train 90 of 574 (...), valid ...")."""
    if attribute.numeric or attribute.shown == (1,):
        return ", ".join(_cell_text(c, attribute) for c in cells)
    parts: dict[str, list[str]] = {}
    for cell in cells:
        parts.setdefault(cell["category"], []).append(_cell_text(cell, attribute))
    return "; ".join(f"{category}: {', '.join(texts)}" for category, texts in parts.items())


def band_chart(result: Result, title: str) -> dict:
    """The observed value per group against the band random groupings give."""
    attribute = result.attribute
    if attribute.numeric:
        bars = [{"label": c["group"], "value": c["observed"], "low": c["band"][0],
                 "high": c["band"][1]} for c in result.cells]  # fmt: skip
        return {"kind": "band", "title": title, "unit": attribute.unit or "mean", "bars": bars}
    category = _named_cells(result)[0]["category"]
    bars = [{"label": c["group"], "value": 100 * c["share"], "low": 100 * c["band_share"][0],
             "high": 100 * c["band_share"][1]}
            for c in result.cells if c["category"] == category]  # fmt: skip
    what = attribute.name if attribute.shown == (1,) else f"{attribute.name} {category}"
    return {"kind": "band", "title": f"{title}: {what}, % of each", "unit": "%", "bars": bars}


def evidence(result: Result, tested: int) -> dict:
    attribute = result.attribute
    return {"attribute": attribute.name,
            "kind": "numeric" if attribute.numeric else "categorical",
            "categories": list(attribute.labels), "statistic": result.statistic,
            "test": "Kruskal-Wallis" if attribute.numeric else "chi-square",
            "p_value": result.p_value, "p_adjusted": result.p_adjusted, "tests": tested,
            "permutations": result.permutations, "seed": SEED, "level": LEVEL,
            "effect": result.effect, "cells": result.cells}  # fmt: skip


@rule("STA005", "split-balance", "statistics", "warning",
      "an attribute is spread over the official split unlike a random split",
      needs=(CSV, IMAGE_SCAN, SPLITS))  # fmt: skip
def split_balance(release: Release) -> Iterator[Hit]:
    """An attribute of the images in the official split (a region or view flag, hardware,
    multiscan, mixed, fracture_count; the image size, mode, file size or decode defects) is
    spread over train, valid and test in a way a random split of the same sizes almost never
    gives. The split is shuffled 2,000 times (seeded): per attribute, the chi-square of the
    attribute-by-split table (the Kruskal-Wallis statistic for file size) is compared with the
    shuffles', and the p-value is adjusted for every attribute tested at once (minP); an
    attribute at or under 0.05 is reported, naming the splits whose counts fall outside the
    range that 95 % of the shuffles give, with Cramér's V (epsilon-squared) as effect size.
    When the image size is unbalanced, every other unbalanced attribute is tested again on
    splits shuffled within each image size, and the finding says whether it follows from the
    image size (file size usually does) or not.

    Why: scores measured on a split that holds other images than the rest (only the small
    format, few multi-fracture images, all the hip fractures) describe those images, not the
    dataset; a model tuned on the validation split is tuned for them.
    Fix: draw the split at random (stratified by the attributes that matter) and publish the
    seed; or, when the split is meant to differ, document how and why.
    """
    found = analysis(release)
    if found is None:
        return
    for result in found.results:
        if not result.significant():
            continue
        attribute = result.attribute
        cells = _named_cells(result)
        effect = result.effect
        named = _cells_text(cells, attribute)
        mean = "mean " if attribute.numeric else ""
        details = evidence(result, found.tested)
        details["chart"] = band_chart(result, "Split balance")
        details["splits"] = [c["group"] for c in cells]
        within = ""
        if result.within:
            details["within_image_size"] = result.within
            p = result.within["p_value"]
            within = (f". Within each image size a random split gives this with p {p:.4f}: "
                      + ("it follows from the image size" if p > LEVEL
                         else "the image size alone does not explain it"))  # fmt: skip
        along = found.along_ids.get(attribute.name)
        if along:
            details["along_ids"] = along
            p = along["p_adjusted"]
            within += (f". Splits that follow the ids as this one does (its sequence along the "
                       f"sorted ids started elsewhere or reversed: {along['splits']:,} such "
                       f"splits) give this with p {p:.4f} (over {along['tests']} attributes): "
                       + ("it follows from the id order (STA006)" if p > LEVEL
                          else "the id order alone does not explain it"))  # fmt: skip
        yield Hit(f"{attribute.name} is not spread over the splits as a random split of the same "
                  f"sizes spreads it (p {shown_p(result.p_adjusted)} over {found.tested} tests, "
                  f"{effect['name']} {effect['value']:.2f}): {mean}{named}{within}",
                  None, _split_file(release), attribute.name, details)  # fmt: skip


@rule("STA006", "split-order", "statistics", "warning",
      "the official split follows the order of the image ids, not chance",
      needs=(CSV, IMAGE_SCAN, SPLITS))  # fmt: skip
def split_order(release: Release) -> Iterator[Hit]:
    """Sorted by image id, the split changes from one image to the next far less often than in
    any random split of the same sizes: the split is (nearly) ranges of ids. Tested on the same
    shuffles and in the same family as STA005 (the p-value is adjusted for all its tests).
    Other orders a split could follow are attributes there: file size is one; a file's time
    is not part of a release (archives do not keep it reliably).

    Why: ids follow acquisition (hospital, device, time, study), so a split by ranges of ids
    puts whole acquisition periods or devices in one split; the FracAtlas paper describes its
    split as random, and scores on it are read as if it were.
    Fix: draw the split at random (seeded, published), or say in the release how it was made.
    """
    found = analysis(release)
    if found is None or found.order.p_adjusted > LEVEL:
        return
    details = found.order.details
    low, high = details["band"]
    ranges = "; ".join(f"{name} {r['first']}-{r['last']} ({r['images']})"
                       for name, r in sorted(found.order_details.items(),
                                             key=lambda item: item[1]["first"]))  # fmt: skip
    yield Hit(f"the split follows the order of the image ids, not chance: sorted by id, the "
              f"split changes {details['changes']} times from one image to the next, where a "
              f"random split of the same sizes changes {low:g}-{high:g} times (p "
              f"{shown_p(found.order.p_adjusted)} over {found.tested} tests); by id: {ranges}. "
              f"A split described as random (as the FracAtlas paper describes its split) is not",
              None, _split_file(release), "id order",
              {**details, "ranges": found.order_details, "p_value": found.order.p_value,
               "p_adjusted": found.order.p_adjusted, "tests": found.tested,
               "permutations": PERMUTATIONS, "seed": SEED,
               "chart": {"kind": "band", "title": "Split changes along the ids", "unit": "count",
                         "bars": [{"label": "changes", "value": details["changes"],
                                   "low": low, "high": high}]}})  # fmt: skip


# ---------------------------------------------------------------- leakage by study


def _study_keys(table: pd.DataFrame) -> np.ndarray:
    """What two views of one study share, as one integer per image: the region flags,
    hardware and the image size (in either orientation)."""
    def column(name: str) -> np.ndarray:
        return pd.to_numeric(table[name], errors="coerce").fillna(-1).to_numpy(dtype=np.int64)

    width, height = column("width"), column("height")
    key = np.zeros(len(table), dtype=np.int64)
    for name in ("hand", "leg", "hip", "shoulder", "hardware"):
        key = key * 3 + (column(name) + 1)  # -1 (missing), 0, 1
    small, large = np.minimum(width, height) + 1, np.maximum(width, height) + 1
    return (key << 34) + (np.clip(small, 0, 1 << 17) << 17) + np.clip(large, 0, (1 << 17) - 1)


def _neighbours(numbers: np.ndarray) -> np.ndarray:
    """Pairs (i, j) of rows whose id numbers differ by 1..STUDY_GAP (`numbers` sorted)."""
    pairs = []
    for gap in range(1, STUDY_GAP + 1):
        j = np.searchsorted(numbers, numbers + gap)
        ok = j < len(numbers)
        ok[ok] &= numbers[j[ok]] == numbers[ok] + gap
        pairs.append(np.column_stack([np.flatnonzero(ok), j[ok]]))
    return np.vstack(pairs) if pairs else np.zeros((0, 2), dtype=int)


def study_evidence(release: Release) -> dict | None:
    return release.derived("study-leakage", lambda: _study_evidence(release),
                           uses=(CSV, IMAGE_SCAN, SPLITS))  # fmt: skip


def _study_evidence(release: Release) -> dict | None:
    table = joined(release)
    table = table[table["number"].notna()].sort_values("number").reset_index(drop=True)
    if len(table) < MINIMUM_ITEMS or not table["split"].isin(SPLIT_NAMES).any():
        return None
    numbers = table["number"].to_numpy(dtype=np.int64)
    pairs = _neighbours(numbers)
    if len(pairs) == 0:
        return None
    keys = pd.factorize(_study_keys(table))[0].astype(np.int32)
    alike = keys[pairs[:, 0]] == keys[pairs[:, 1]]
    rng = np.random.default_rng(SEED)
    shuffled = np.empty(STUDY_SHUFFLES)
    for row in range(STUDY_SHUFFLES):  # one at a time: the pairs of 40,000 images are many
        permuted = keys.copy()
        rng.shuffle(permuted)
        shuffled[row] = (permuted[pairs[:, 0]] == permuted[pairs[:, 1]]).mean()
    rate = float(alike.mean())
    p_value = (1 + int((shuffled >= rate).sum())) / (STUDY_SHUFFLES + 1)
    split = table["split"].to_numpy(dtype=object)
    in_splits = np.isin(split[pairs[:, 0]], SPLIT_NAMES) & np.isin(split[pairs[:, 1]], SPLIT_NAMES)
    crossing = in_splits & (split[pairs[:, 0]] != split[pairs[:, 1]])
    size_text = sizes(table)
    leaks = [{"a": table.at[i, "image_id"], "b": table.at[j, "image_id"],
              "splits": [split[i], split[j]], "size": [size_text[i], size_text[j]]}
             for i, j in pairs[crossing & alike]]  # fmt: skip
    random_rate = float(shuffled.mean())
    return {"pairs": int(len(pairs)), "alike": int(alike.sum()), "rate": rate,
            "random_rate": random_rate,
            "random_band": [float(v) for v in np.percentile(shuffled, (2.5, 97.5))],
            "p_value": p_value, "cohens_h": cohens_h(rate, random_rate),
            "shuffles": STUDY_SHUFFLES, "seed": SEED, "gap": STUDY_GAP,
            "alike_in_splits": int((in_splits & alike).sum()), "crossing": int(crossing.sum()),
            "leaks": leaks}  # fmt: skip


def runs_of_studies(found: dict | None) -> bool:
    """Whether the release's neighbouring ids look alike more often than random pairs of its
    images, beyond chance (p at most 0.05) and not negligibly (Cohen's h at least 0.2)."""
    return (found is not None and found["p_value"] <= LEVEL
            and found["cohens_h"] >= SMALL_H)  # fmt: skip


@rule("STA010", "study-leakage", "statistics", "info",
      "image ids come in runs that look like one study (leakage when a split separates them)",
      needs=(CSV, IMAGE_SCAN, SPLITS))  # fmt: skip
def study_leakage(release: Release) -> Iterator[Hit]:
    """The release's images with neighbouring ids (at most 2 apart) share their region flags,
    hardware flag and image size (in either orientation) more often than random pairs of its
    images do: 100 seeded shuffles of the images over the ids give the random rate, and the
    release's rate is reported when it is beyond them (p at most 0.05) by at least a small
    effect (Cohen's h 0.2 between the two rates; a slow drift of what is acquired along the
    ids makes neighbours a little more alike without making them studies). Reported once,
    whatever the split: with every pair of such neighbours that sits in different splits, or
    saying that none does (a split by ranges of ids, as FracAtlas's, separates few or none:
    STA006).

    How far the evidence goes: the release has no patient or study ids. Consecutive ids that
    share region, hardware and size are only circumstantially one study: the shuffles show
    whether the release's ids are assigned in runs of alike images at all (if they are not,
    nothing is reported), not that a given pair is one patient. Duplicates and near-duplicates
    across splits are IMG011's, with pixel evidence; this is the weaker, statistical kind.

    Why: views of one patient in train and in test let a model recognise the patient rather
    than the fracture; scores on the test split are then too good. Runs matter even when the
    official split keeps them together: the classification task over all images has no
    official split, and whoever draws a split image by image separates them.
    Fix: look at the pairs; if they are one study, keep each study in one split (split by
    study, or by runs of ids, not by image), and publish study ids with the release.
    """
    found = study_evidence(release)
    if not runs_of_studies(found):
        return
    low, high = found["random_band"]
    runs = (f"image ids come in runs that look like views of one study: neighbouring ids (at "
            f"most {found['gap']} apart) share regions, hardware and image size in "
            f"{100 * found['rate']:.1f} % of {found['pairs']:,} pairs, random pairs of the "
            f"release's images in {100 * low:.1f}-{100 * high:.1f} % (p "
            f"{'<=' if found['p_value'] <= 1 / (STUDY_SHUFFLES + 1) else '='} "
            f"{found['p_value']:.3f}; Cohen's h {found['cohens_h']:.2f}); there are no patient "
            f"ids to confirm it")  # fmt: skip
    if found["leaks"]:
        shown = ", ".join(f"{leak['a']} ({leak['splits'][0]}) and {leak['b']} "
                          f"({leak['splits'][1]})" for leak in found["leaks"][:MAX_NAMED])
        more = len(found["leaks"]) - MAX_NAMED
        where = (f"{len(found['leaks'])} pairs of such neighbours are in different splits: "
                 f"{shown}{f' and {more} more' if more > 0 else ''}")  # fmt: skip
    elif found["alike_in_splits"]:
        where = (f"none of the {found['alike_in_splits']:,} pairs of such neighbours in the "
                 f"split lists is in different splits (a split by ranges of ids keeps them "
                 f"together), but a split drawn image by image separates them: split by study "
                 f"or by runs of ids")  # fmt: skip
    else:
        where = ("no pair of such neighbours has both images in the split lists, but a split "
                 "drawn image by image separates them: split by study or by runs of ids")
    yield Hit(f"{runs}. {where[0].upper()}{where[1:]}",
              None, _split_file(release), "neighbouring ids",
              {**found, "chart": {"kind": "band", "title": "Neighbouring ids that look alike",
                                  "unit": "%", "bars": [
                                      {"label": "neighbours", "value": 100 * found["rate"],
                                       "low": 100 * low, "high": 100 * high}]}})  # fmt: skip
