"""STA, label shortcuts: image properties that predict the `fractured` label without being a
fracture, defects found in one class only, and clinical attributes that go with the label.

Every property is tested against the label with 1,000 seeded shuffles of the label
(fracqa.permutation; the family-wise error over all properties controlled by minP). A property
that passes is then measured where a classifier would use it: the images it sets apart best
(one side of the most telling split of its categories, or of its values), whose share of
fractured images is compared with the rest's by Cohen's h. The property is reported when that
effect is at least small (h 0.2); a clinical attribute whose effect is large (h 0.8) is a
warning (STA011) rather than a note (STA009).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fracqa.catalogue import rule
from fracqa.checks.balance import MINIMUM_ITEMS, evidence, properties_table, shown_p
from fracqa.inputs import CSV, IMAGE_SCAN
from fracqa.model import Hit
from fracqa.permutation import (
    LARGE_H,
    LEVEL,
    SMALL_H,
    Attribute,
    Result,
    Shuffles,
    cohens_h,
    compare_groups,
    shuffles_within,
)
from fracqa.properties import (
    clinical_attributes,
    defects,
    flag,
    headers,
    shortcut_attributes,
)
from fracqa.release import Release

CLASSES = ("non-fractured", "fractured")
MIN_GROUP = 10  # images on each side of a split of values (categories pool rarer values too)
QUANTILES = (10, 25, 50, 75, 90)
# 4,083 images: 1,000 shuffles resolve p-values down to 0.001, well under the 0.05 level, at
# half the cost of the split's 2,000 (which shuffle 717 images)
LABEL_PERMUTATIONS = 1000
WITHIN_SHUFFLES = 500  # whether a property goes with the label only through another one


@dataclass
class Group:
    """The images a property sets apart, against the rest: how many of each are fractured."""

    text: str  # "images of at least 3,538,623 pixels (3.5 MP)"
    members: np.ndarray = field(repr=False)  # bool per image
    fractured: int
    size: int
    rest_fractured: int
    rest_size: int

    @property
    def share(self) -> float:
        return self.fractured / self.size

    @property
    def rest_share(self) -> float:
        return self.rest_fractured / self.rest_size

    @property
    def h(self) -> float:
        """Cohen's h of the group's share fractured against the rest's (positive: more)."""
        return cohens_h(self.share, self.rest_share)

    @property
    def relative_risk(self) -> float | None:
        return self.share / self.rest_share if self.rest_share > 0 else None

    def as_dict(self) -> dict:
        return {"images": self.text, "fractured": self.fractured, "size": self.size,
                "share_fractured": self.share, "rest_fractured": self.rest_fractured,
                "rest_size": self.rest_size, "rest_share_fractured": self.rest_share,
                "relative_risk": self.relative_risk, "cohens_h": self.h}  # fmt: skip


@dataclass
class Shortcut:
    """A property reported by STA007 (or a defect STA008 reports), with the properties that
    go with the label only through it and their p-values once it is known."""

    result: Result | None
    group: Group | None
    strata: np.ndarray = field(repr=False)
    follows: list[tuple[Result, float]] = field(default_factory=list)


@dataclass
class LabelAnalysis:
    table: pd.DataFrame
    label: np.ndarray
    shortcuts: list[Result]
    clinical: list[Result]
    defects: dict[str, np.ndarray]
    tested: int
    groups: dict[str, Group] = field(default_factory=dict)  # of the significant results
    found: list[Shortcut] = field(default_factory=list)  # STA007's findings
    through_defects: dict[str, Shortcut] = field(default_factory=dict)  # STA008's defects


def analysis(release: Release) -> LabelAnalysis | None:
    return release.derived("label-shortcuts", lambda: analyse(release), uses=(CSV, IMAGE_SCAN))


def analyse(release: Release) -> LabelAnalysis | None:
    return analyse_table(properties_table(release))


def analyse_table(table: pd.DataFrame) -> LabelAnalysis | None:
    """The shuffles' verdict on every property and clinical attribute of the images in
    `table` (one row per image, see fracqa.properties), and the shortcuts STA007 reports."""
    flags = pd.to_numeric(table["fractured"], errors="coerce")
    table = table[flags.isin([0, 1])].reset_index(drop=True)
    label = flag(table, "fractured").astype(np.int64)
    if len(table) < MINIMUM_ITEMS or label.min() == label.max():
        return None
    header = headers(table)
    properties, clinical = shortcut_attributes(table, header), clinical_attributes(table)
    results = compare_groups(properties + clinical, label, CLASSES,
                             Shuffles(label, LABEL_PERMUTATIONS))  # fmt: skip
    clinical_names = {a.name for a in clinical}
    found = LabelAnalysis(table, label,
                          [r for r in results if r.attribute.name not in clinical_names],
                          [r for r in results if r.attribute.name in clinical_names],
                          defects(table, header), len(results))  # fmt: skip
    for result in results:
        if result.significant():
            group = best_group(result.attribute, label)
            if group is not None:
                found.groups[result.attribute.name] = group
    _fold(found)
    return found


def strong(result: Result, groups: dict[str, Group]) -> bool:
    """Significant, and the images it sets apart differ from the rest by at least a small
    effect."""
    group = groups.get(result.attribute.name)
    return result.significant() and group is not None and abs(group.h) >= SMALL_H


def _fold(found: LabelAnalysis) -> None:
    """STA007's findings: the strong properties in causal order (fracqa.properties). The
    images each one sets apart are tested again with the label shuffled within the defects
    found in one class (STA008's) and within the images set apart by every finding before it:
    a property whose images no longer go with the label once one of those is known is part of
    that finding. Each finding's shuffles test every property after it at once."""
    label = found.label
    kinds: dict[bytes, Shortcut] = {}  # defects of exactly the same images are one lead
    for name, present in found.defects.items():
        if _one_class(present, label) is not None:
            found.through_defects[name] = kinds.setdefault(
                present.tobytes(), Shortcut(None, None, present.astype(np.int64)))
    skipped = {f"images that {name}" for name in found.through_defects}
    candidates = [r for r in found.shortcuts
                  if strong(r, found.groups) and r.attribute.name not in skipped]  # fmt: skip
    if not candidates:
        return
    sets = [Attribute(r.attribute.name, codes=found.groups[r.attribute.name].members
                      .astype(np.int64), labels=("no", "yes"), shown=(1,))
            for r in candidates]  # fmt: skip
    within: dict[str, list[float]] = {}  # property -> its p-value within each lead so far

    def test_after(lead: Shortcut, start: int) -> None:
        if start >= len(candidates):
            return
        shuffled = shuffles_within(label, lead.strata, WITHIN_SHUFFLES)
        again = compare_groups(sets[start:], label, CLASSES, shuffled)
        for result, tested in zip(candidates[start:], again, strict=True):
            within.setdefault(result.attribute.name, []).append(tested.p_value)

    leads = list(kinds.values())
    for lead in leads:
        test_after(lead, 0)
    for position, result in enumerate(candidates):
        p_values = within.get(result.attribute.name, [])
        explained = next((k for k, p in enumerate(p_values) if p > LEVEL), None)
        if explained is not None:
            leads[explained].follows.append((result, p_values[explained]))
            continue
        group = found.groups[result.attribute.name]
        lead = Shortcut(result, group, group.members.astype(np.int64))
        leads.append(lead)
        found.found.append(lead)
        test_after(lead, position + 1)


def _z(fractured: np.ndarray, size: np.ndarray, total_fractured: int, total: int) -> np.ndarray:
    """How far each group's count of fractured images is from what a random labelling gives,
    in standard deviations (hypergeometric)."""
    rate = total_fractured / total
    spread = np.sqrt(size * rate * (1 - rate) * (total - size) / max(1, total - 1))
    return (fractured - size * rate) / np.where(spread > 0, spread, np.inf)


def best_group(attribute: Attribute, label: np.ndarray) -> Group | None:
    """The images the attribute sets apart best: of the splits of its categories (sorted by
    their share of fractured images, as a classification tree splits them) or of its sorted
    values (at least MIN_GROUP images on each side), the one whose two sides differ most in
    standard deviations of a random labelling; described by its smaller side (for a yes/no
    attribute, its yes side)."""
    total, total_fractured = len(label), int(label.sum())
    if attribute.numeric:
        return _best_cut(attribute, label, total, total_fractured)
    codes = attribute.codes
    if attribute.shown == (1,):
        members = codes == 1
        return _group(f"images with {attribute.name}" if not attribute.name.startswith("images")
                      else attribute.name, members, label)  # fmt: skip
    size = np.bincount(codes, minlength=len(attribute.labels))
    fractured = np.bincount(codes, weights=label, minlength=len(attribute.labels))
    held = [c for c in range(len(size)) if size[c]]
    if len(held) < 2:
        return None
    held.sort(key=lambda c: (fractured[c] / size[c], c))
    sizes = np.cumsum([size[c] for c in held])[:-1]
    counts = np.cumsum([fractured[c] for c in held])[:-1]
    at = int(np.argmax(np.abs(_z(counts, sizes, total_fractured, total))))
    side = held[:at + 1] if sizes[at] <= total - sizes[at] else held[at + 1:]
    chosen = sorted(side, key=lambda c: -size[c])
    names = [attribute.labels[c] for c in chosen]
    shown = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return _group(f"images whose {attribute.name} is {shown}", np.isin(codes, chosen), label)


def _best_cut(attribute: Attribute, label: np.ndarray, total: int,
              total_fractured: int) -> Group | None:  # fmt: skip
    values = attribute.values
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    below = np.flatnonzero(np.diff(ordered) > 0) + 1  # images under each cut
    below = below[(below >= MIN_GROUP) & (total - below >= MIN_GROUP)]
    if len(below) == 0:
        return None
    counts = np.cumsum(label[order])[below - 1]
    at = int(np.argmax(np.abs(_z(counts, below, total_fractured, total))))
    cut = below[at]
    if cut <= total - cut:
        limit, members = float(ordered[cut - 1]), values <= ordered[cut - 1]
        text = _value_text(attribute, limit, "at most")
    else:
        limit, members = float(ordered[cut]), values >= ordered[cut]
        text = _value_text(attribute, limit, "at least")
    return _group(text, members, label)


def _value_text(attribute: Attribute, value: float, bound: str) -> str:
    if attribute.unit == "pixels":
        return f"images of {bound} {value:,.0f} pixels ({value / 1e6:.1f} MP)"
    if attribute.unit == "bytes":
        return f"images whose {attribute.name} is {bound} {value / 1000:.1f} kB"
    return f"images whose {attribute.name} is {bound} {_value(value)}"


def _group(text: str, members: np.ndarray, label: np.ndarray) -> Group | None:
    size, rest = int(members.sum()), int((~members).sum())
    if size == 0 or rest == 0:
        return None
    fractured = int(label[members].sum())
    return Group(text, members, fractured, size, int(label.sum()) - fractured, rest)


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


def _percent(share: float) -> str:
    return f"{100 * share:.3g}"


def _risk(group: Group) -> str:
    risk = group.relative_risk
    if risk is None:
        return "none of the others is fractured"
    return f"relative risk {risk:.2g}" if risk < 10 else f"relative risk {risk:.0f}"


def _compared(group: Group) -> str:
    """"images ... are 29 % fractured (102/352) against 16.5 % (617/3,731) of the others:
    relative risk 1.8"."""
    return (f"{group.text} are {_percent(group.share)} % fractured ({group.fractured:,}/"
            f"{group.size:,}) against {_percent(group.rest_share)} % ({group.rest_fractured:,}/"
            f"{group.rest_size:,}) of the others: {_risk(group)}")


def _clinical_compared(name: str, group: Group) -> str:
    """"97 of 99 hardware images are fractured (98 %), against 15.6 % of the others (622 of
    3,984): relative risk 6.3"."""
    return (f"{group.fractured:,} of {group.size:,} {name} images are fractured "
            f"({_percent(group.share)} %), against {_percent(group.rest_share)} % of the others "
            f"({group.rest_fractured:,} of {group.rest_size:,}): {_risk(group)}")


def _names(results: list[Result]) -> str:
    names = [r.attribute.name for r in results]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _hit(result: Result, found: LabelAnalysis, message: str, file: str | None,
         group: Group, follows: list[tuple[Result, float]] = ()) -> Hit:  # fmt: skip
    attribute = result.attribute
    table = None if attribute.numeric else _class_table(result, found.label)
    details = evidence(result, found.tested)
    details["by_class"] = (_quantiles(result, found.label) if attribute.numeric else table)
    details["chart"] = _chart(result, found.label, table)
    details["group"] = group.as_dict()
    if follows:
        details["follows"] = [{"attribute": r.attribute.name, "p_value_within": p}
                              for r, p in follows]  # fmt: skip
    return Hit(message, None, file, attribute.name, details)


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
    `fractured` label, and a classifier can use it. Two questions, both answered by the
    release's own figures:

    - Is it chance? Across 1,000 seeded shuffles of the label, its association (chi-square or
      Kruskal-Wallis) has a p-value of at most 0.05 after adjusting for every property tested
      (minP).
    - Does it matter? A classifier uses a property where it sets images apart: the images over
      one megapixel, say, fractured 29 % of the time against 16.5 % of the others. So the
      effect is measured on the images the property sets apart best (of the splits of its
      categories, sorted by their share of fractured images as a classification tree splits
      them, or of its sorted values, with 10 images or more on each side: the split furthest
      from what random labellings give), as Cohen's h between that group's share of fractured
      images and the rest's, and is negligible under 0.2 (Cohen's "small"). Cramér's V and
      the AUC, which measure the association over all images, are in the details only: a
      group of 1 image in 12 with a relative risk of 1.8 is a shortcut, yet gives a V of 0.09.

    One cause is one finding: the properties are taken in causal order (the image's pixels,
    size and shape; its encoding; its container; then what follows from all of these, the
    file's size and the pixel statistics), and the images each one sets apart are tested
    again, with the label shuffled (500 times) within the images set apart by each finding
    before it and within the images of each defect STA008 reports; a property whose images
    no longer go with the label once one of those is known (p over 0.05) is named in that
    finding, not reported on its own (the image size of the images over one megapixel, their
    bytes per pixel). A defect found in one class only is STA008's.

    Why: a classifier learns whatever separates the classes most cheaply; when the negatives
    were exported or re-encoded differently, it learns the export, and its scores on this
    release say nothing about fractures.
    Fix: make the property the same in both classes (re-export the images the same way), or
    remove it before training (crop, resize, re-encode everything alike), and say so.
    """
    found = analysis(release)
    if found is None:
        return
    for shortcut in found.found:
        result, group = shortcut.result, shortcut.group
        follows = [r for r, _ in shortcut.follows]
        also = (f"; {_names(follows)} go{'es' if len(follows) == 1 else ''} with the label only "
                f"through it" if follows else "")  # fmt: skip
        yield _hit(result, found,
                   f"{result.attribute.name} goes with the label: {_compared(group)} (Cohen's h "
                   f"{abs(group.h):.2f}; p {shown_p(result.p_adjusted, result.permutations)} over "
                   f"{found.tested} tests){also}; a model can learn it instead of the fracture",
                   _csv_file(release), group, shortcut.follows)  # fmt: skip


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
        lead = found.through_defects.get(names[0])
        follows = lead.follows if lead is not None else []
        also = (f"; {_names([r for r, _ in follows])} go"
                f"{'es' if len(follows) == 1 else ''} with the label only through these images"
                if follows else "")  # fmt: skip
        yield Hit(f"all {count} images that {what} are {CLASSES[held]} (a random labelling "
                  f"puts them all in one class with probability {chance:.2g}): the defect is a "
                  f"shortcut to the label '{CLASSES[held]}'{also}; {', '.join(ids[:5])}"
                  f"{' ...' if len(ids) > 5 else ''}",
                  None, _csv_file(release), what,
                  {"defect": what, "images": ids, "class": CLASSES[held], "count": count,
                   "follows": [{"attribute": r.attribute.name, "p_value_within": p}
                               for r, p in follows],
                   "in_class": int((label == held).sum()), "total": total,
                   "probability": chance, "level": LEVEL / len(found.defects),
                   "chart": {"kind": "bars", "title": f"images that {what}, per class",
                             "categories": list(CLASSES),
                             "series": {"with the defect": [
                                 float(((label == c) & present).sum()) for c in (0, 1)]}}})


def _clinical(found: LabelAnalysis, large: bool) -> Iterator[tuple[Result, Group]]:
    """The clinical attributes whose effect is at least small, and large (or not)."""
    for result in found.clinical:
        if strong(result, found.groups):
            group = found.groups[result.attribute.name]
            if (abs(group.h) >= LARGE_H) == large:
                yield result, group


@rule("STA009", "clinical-association", "statistics", "info",
      "a clinical attribute goes with the label", needs=(CSV, IMAGE_SCAN))  # fmt: skip
def clinical_association(release: Release) -> Iterator[Hit]:
    """A dataset.csv attribute that may rightly go with fractures (a region or view flag,
    mixed, hardware, multiscan) goes with the `fractured` label, tested as STA007's properties
    are (same shuffles, same family): the images with the attribute are fractured more or less
    often than the others, by an effect of Cohen's h between 0.2 (small) and 0.8 (large).
    Worth knowing, never a defect: hardware is often there because of a fracture, and hand
    radiographs are fractured more often than leg radiographs in FracAtlas. A larger effect
    is STA011's.

    Why: a model can learn the attribute (the plate and screws, the hand) instead of the
    fracture; results should be read per attribute, and a test set without the attribute tells
    more about fractures.
    Fix: nothing to repair; report results stratified by the attribute, or balance it in the
    evaluation.
    """
    found = analysis(release)
    if found is None:
        return
    for result, group in _clinical(found, large=False):
        name = result.attribute.name
        yield _hit(result, found,
                   f"{name} goes with the label: {_clinical_compared(name, group)} (Cohen's h "
                   f"{abs(group.h):.2f}; p {shown_p(result.p_adjusted, result.permutations)} over "
                   f"{found.tested} tests); a clinical attribute may rightly do so, but a model "
                   f"can learn it instead of the fracture", _csv_file(release), group)  # fmt: skip


@rule("STA011", "clinical-shortcut", "statistics", "warning",
      "a clinical attribute nearly decides the label", needs=(CSV, IMAGE_SCAN))  # fmt: skip
def clinical_shortcut(release: Release) -> Iterator[Hit]:
    """A dataset.csv attribute that may rightly go with fractures (a region or view flag,
    mixed, hardware, multiscan) goes with the `fractured` label so strongly that it nearly
    decides it: tested as STA009's attributes are, with an effect of Cohen's h of 0.8 or more
    (Cohen's "large") between the share of fractured images among the images with the
    attribute and among the others: 97 of 99 hardware images fractured against 15.6 % of the
    others is h 2.0.

    A warning where STA009 is a note, because the severity follows the size of the effect, on
    the same scale that decides whether it is reported at all. A small or medium effect (hand
    images fractured 28 % of the time against 11 %) shifts the odds, but the images with the
    attribute still hold both classes in numbers, so a model must look at the bone to tell them
    apart. A large one leaves the attribute's images almost all in one class, or far more of
    the rarer class than elsewhere (at FracAtlas's 18 % of fractured images: about half of
    them fractured or more, or almost none).

    Why: a model can learn the attribute, the implant rather than the fracture, and be right
    on those images; scores on them then measure the attribute, and the release teaches too
    few counter-examples to unlearn it. That is a label shortcut, as the public audits of
    FracAtlas call the hardware flag, even though the attribute itself is clinical.
    Fix: report results without the attribute's images as well as with them; add images of
    the other class with the attribute (hardware without a fracture), or keep them out of the
    evaluation, and say so in the release.
    """
    found = analysis(release)
    if found is None:
        return
    for result, group in _clinical(found, large=True):
        name = result.attribute.name
        yield _hit(result, found,
                   f"{name} nearly decides the label: {_clinical_compared(name, group)} "
                   f"(Cohen's h {abs(group.h):.2f}, a large effect; p "
                   f"{shown_p(result.p_adjusted, result.permutations)} over {found.tested} tests): "
                   f"a model can learn {name} instead of the fracture, and its scores on these "
                   f"images say little about fractures", _csv_file(release), group)  # fmt: skip
