"""STA, label shortcuts: image properties that predict the `fractured` label without being a
fracture, defects found in one class only, and clinical attributes that go with the label.

Every property is tested against the label with 1,000 seeded shuffles of the label
(fracqa.permutation; the family-wise error over all properties controlled by minP). A property
is *strong* when its adjusted p-value is at most 0.05 and its effect is not negligible: Cramér's
V of at least 0.1 for categories, an AUC outside 0.4-0.6 for numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fracqa.catalogue import rule
from fracqa.checks.balance import MINIMUM_ITEMS, evidence, properties_table, shown_p
from fracqa.inputs import CSV, IMAGE_SCAN
from fracqa.model import Hit
from fracqa.permutation import LEVEL, Result, compare_groups, shuffles
from fracqa.properties import (
    clinical_attributes,
    defects,
    flag,
    headers,
    shortcut_attributes,
)
from fracqa.release import Release

CLASSES = ("non-fractured", "fractured")
MIN_V = 0.1  # Cramér's V under this is negligible, however significant
MIN_AUC_DISTANCE = 0.1  # an AUC within 0.4-0.6 is negligible
QUANTILES = (10, 25, 50, 75, 90)
# 4,083 images: 1,000 shuffles resolve p-values down to 0.001, well under the 0.05 level, at
# half the cost of the split's 2,000 (which shuffle 717 images)
LABEL_PERMUTATIONS = 1000


@dataclass
class LabelAnalysis:
    table: pd.DataFrame
    label: np.ndarray
    shortcuts: list[Result]
    clinical: list[Result]
    defects: dict[str, np.ndarray]
    tested: int


def analysis(release: Release) -> LabelAnalysis | None:
    return release.derived("label-shortcuts", lambda: analyse(release), uses=(CSV, IMAGE_SCAN))


def analyse(release: Release) -> LabelAnalysis | None:
    table = properties_table(release)
    flags = pd.to_numeric(table["fractured"], errors="coerce")
    table = table[flags.isin([0, 1])].reset_index(drop=True)
    label = flag(table, "fractured").astype(np.int64)
    if len(table) < MINIMUM_ITEMS or label.min() == label.max():
        return None
    header = headers(table)
    properties, clinical = shortcut_attributes(table, header), clinical_attributes(table)
    results = compare_groups(properties + clinical, label, CLASSES,
                             shuffles(label, LABEL_PERMUTATIONS))  # fmt: skip
    clinical_names = {a.name for a in clinical}
    return LabelAnalysis(table, label,
                         [r for r in results if r.attribute.name not in clinical_names],
                         [r for r in results if r.attribute.name in clinical_names],
                         defects(table, header), len(results))  # fmt: skip


def strong(result: Result) -> bool:
    effect = result.effect["value"]
    large = (abs(effect - 0.5) >= MIN_AUC_DISTANCE if result.attribute.numeric
             else effect >= MIN_V)  # fmt: skip
    return result.significant() and large


def _one_class(present: np.ndarray, label: np.ndarray) -> int | None:
    """The class every image with the defect is in, when there are at least two and one class."""
    held = label[present]
    if len(held) >= 2 and held.min() == held.max():
        return int(held[0])
    return None


def _class_table(result: Result, label: np.ndarray) -> list[dict]:
    """Per category: images per class and the share fractured."""
    attribute, rows = result.attribute, []
    for code, category in enumerate(attribute.labels):
        members = attribute.codes == code
        fractured = int((members & (label == 1)).sum())
        total = int(members.sum())
        rows.append({"category": category, "fractured": fractured,
                     "non_fractured": total - fractured,
                     "share_fractured": fractured / total if total else 0.0})  # fmt: skip
    return rows


def _quantiles(result: Result, label: np.ndarray) -> dict:
    values = result.attribute.values
    return {CLASSES[c]: dict(zip([f"p{q}" for q in QUANTILES],
                                 [float(v) for v in np.percentile(values[label == c], QUANTILES)],
                                 strict=True)) for c in (0, 1)}  # fmt: skip


def _chart(result: Result, label: np.ndarray, table: list[dict] | None) -> dict:
    attribute = result.attribute
    if attribute.numeric:
        return {"kind": "box", "title": f"{attribute.name} by class", "unit": attribute.unit,
                "classes": _quantiles(result, label)}  # fmt: skip
    totals = {"fractured": max(1, sum(r["fractured"] for r in table)),
              "non_fractured": max(1, sum(r["non_fractured"] for r in table))}
    return {"kind": "bars", "title": f"{attribute.name} by class, % of each class",
            "categories": [r["category"] for r in table],
            "series": {name: [100 * r[key] / totals[key] for r in table]
                       for name, key in (("fractured", "fractured"),
                                         ("non-fractured", "non_fractured"))}}  # fmt: skip


def _value(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _describe(result: Result, label: np.ndarray, table: list[dict] | None) -> str:
    attribute = result.attribute
    if attribute.numeric:
        q = _quantiles(result, label)
        auc = result.effect["value"]
        side = "larger" if auc > 0.5 else "smaller"
        unit = f" {attribute.unit}" if attribute.unit else ""
        return (f"AUC {auc:.2f} (fractured images have {side} values; 0.5 is no association), "
                f"median {_value(q['fractured']['p50'])}{unit} fractured against "
                f"{_value(q['non-fractured']['p50'])}{unit} non-fractured")
    rows = sorted(table, key=lambda r: -(r["fractured"] + r["non_fractured"]))[:4]
    shown = "; ".join(f"{r['category']}: {r['fractured']} fractured, {r['non_fractured']} not "
                      f"({100 * r['share_fractured']:.0f} % fractured)" for r in rows)
    return f"Cramér's V {result.effect['value']:.2f}: {shown}"


def _hit(result: Result, found: LabelAnalysis, message: str, file: str | None) -> Hit:
    attribute = result.attribute
    table = None if attribute.numeric else _class_table(result, found.label)
    details = evidence(result, found.tested)
    details["by_class"] = (_quantiles(result, found.label) if attribute.numeric else table)
    details["chart"] = _chart(result, found.label, table)
    text = message.format(name=attribute.name, described=_describe(result, found.label, table),
                          p=shown_p(result.p_adjusted, result.permutations),
                          tests=found.tested)  # fmt: skip
    return Hit(text, None, file, attribute.name, details)


def _csv_file(release: Release) -> str | None:
    path = release.layout.dataset_csv
    return release.layout.relative(path) if path else None


@rule("STA007", "label-shortcut", "statistics", "warning",
      "an image property that should not carry the label predicts it",
      needs=(CSV, IMAGE_SCAN))  # fmt: skip
def label_shortcut(release: Release) -> Iterator[Hit]:
    """A property of the image files that says nothing about a fracture (image size, aspect,
    pixel count, mode, bit depth, file size, bytes per pixel, JPEG quantisation (the encoder's
    quality), chroma subsampling, progressive coding, EXIF, ICC, comment, JFIF density, APP
    markers, the scan's pixel statistics, the file-name pattern, decode defects) goes with the
    `fractured` label: across 1,000 seeded shuffles of the label its association (chi-square
    or Kruskal-Wallis) has a p-value of at most 0.05 after adjusting for every property tested
    (minP), and its effect is not negligible (Cramér's V at least 0.1, or an AUC outside
    0.4-0.6). A defect found in one class only is STA008's.

    Why: a classifier learns whatever separates the classes most cheaply; when the negatives
    were exported or re-encoded differently, it learns the export, and its scores on this
    release say nothing about fractures.
    Fix: make the property the same in both classes (re-export the images the same way), or
    remove it before training (crop, resize, re-encode everything alike), and say so.
    """
    found = analysis(release)
    if found is None:
        return
    defects_one_class = {f"images that {name}" for name, present in found.defects.items()
                         if _one_class(present, found.label) is not None}  # fmt: skip
    for result in found.shortcuts:
        if strong(result) and result.attribute.name not in defects_one_class:
            yield _hit(result, found, "{name} goes with the label (p {p} over {tests} tests): "
                                      "{described}; a model can learn it instead of the fracture",
                       _csv_file(release))  # fmt: skip


def one_class_probability(with_defect: int, in_class: int, total: int) -> float:
    """The chance that `with_defect` images drawn at random from `total` all fall in a class
    of `in_class` images (hypergeometric)."""
    if with_defect > in_class:
        return 0.0
    log = (math.lgamma(in_class + 1) - math.lgamma(in_class - with_defect + 1)
           - math.lgamma(total + 1) + math.lgamma(total - with_defect + 1))  # fmt: skip
    return math.exp(log)


@rule("STA008", "defect-in-one-class", "statistics", "warning",
      "a file defect occurs in one class only", needs=(CSV, IMAGE_SCAN))  # fmt: skip
def defect_in_one_class(release: Release) -> Iterator[Hit]:
    """Every image with a given file defect (it does not decode completely; a flat band along
    an edge; an EXIF orientation other than 1; bytes after the JPEG's end, or no end marker)
    has the same label, and a random labelling would put them all in one class with a chance
    of at most 0.05 divided by the number of kinds of defect (hypergeometric). Each defect is
    its own finding, naming the class and every image.

    Why: a defect confined to one class is a perfect shortcut: every truncated image being a
    negative means a grey band at the bottom reads as "no fracture" to a model.
    Fix: repair or remove the defective images (re-export them from the source); if they must
    stay, add defective images of the other class or document the confound.
    """
    found = analysis(release)
    if found is None:
        return
    label, total = found.label, len(found.label)
    kinds: dict[bytes, list[str]] = {}  # defects of exactly the same images are one finding
    for name, present in found.defects.items():
        kinds.setdefault(present.tobytes(), []).append(name)
    for names in kinds.values():
        present = found.defects[names[0]]
        held = _one_class(present, label)
        if held is None:
            continue
        count = int(present.sum())
        chance = one_class_probability(count, int((label == held).sum()), total)
        if chance > LEVEL / len(found.defects):
            continue
        ids = sorted(found.table.loc[present, "image_id"])
        what = " and ".join(names)
        yield Hit(f"all {count} images that {what} are {CLASSES[held]} (a random labelling "
                  f"puts them all in one class with probability {chance:.2g}): the defect is a "
                  f"shortcut to the label '{CLASSES[held]}'; {', '.join(ids[:5])}"
                  f"{' ...' if len(ids) > 5 else ''}",
                  None, _csv_file(release), what,
                  {"defect": what, "images": ids, "class": CLASSES[held], "count": count,
                   "in_class": int((label == held).sum()), "total": total,
                   "probability": chance, "level": LEVEL / len(found.defects),
                   "chart": {"kind": "bars", "title": f"images that {what}, per class",
                             "categories": list(CLASSES),
                             "series": {"with the defect": [
                                 float(((label == c) & present).sum()) for c in (0, 1)]}}})


@rule("STA009", "clinical-association", "statistics", "info",
      "a clinical attribute goes with the label", needs=(CSV, IMAGE_SCAN))  # fmt: skip
def clinical_association(release: Release) -> Iterator[Hit]:
    """A dataset.csv attribute that may rightly go with fractures (a region or view flag,
    mixed, hardware, multiscan) is strongly associated with the `fractured` label, tested as
    STA007's properties are (same shuffles, same family, same thresholds). Worth knowing, never
    a defect: hardware is often there because of a fracture.

    Why: a model can learn the attribute (the plate and screws, the hand) instead of the
    fracture; results should be read per attribute, and a test set without the attribute tells
    more about fractures.
    Fix: nothing to repair; report results stratified by the attribute, or balance it in the
    evaluation.
    """
    found = analysis(release)
    if found is None:
        return
    for result in found.clinical:
        if strong(result):
            table = _class_table(result, found.label)
            yes = next(r for r in table if r["category"] == "yes")
            with_ = 100 * yes["fractured"] / max(1, int(found.label.sum()))
            without = 100 * yes["non_fractured"] / max(1, int((found.label == 0).sum()))
            yield _hit(result, found,
                       f"{{name}} goes with the label (p {{p}} over {{tests}} tests; Cramér's V "
                       f"{result.effect['value']:.2f}): {with_:.0f} % of the fractured images "
                       f"have {result.attribute.name}=1, {without:.0f} % of the others; a "
                       f"clinical attribute may rightly do so, but a model can learn it instead "
                       f"of the fracture", _csv_file(release))  # fmt: skip
