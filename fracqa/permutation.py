"""Permutation tests of attributes against a grouping (the official split, or the label), with
the family-wise error controlled by the single-step minP procedure of Westfall and Young.

The question each test answers: could a grouping of the same sizes, drawn at random, look like
this one? The grouping is shuffled `PERMUTATIONS` times (with a fixed seed, so an audit is
reproducible) and every attribute's statistic is computed on every shuffle:

- a categorical attribute (a flag, an image size, a mode): Pearson's chi-square of the
  attribute-by-group table, with Cramér's V as its effect size. No chi-square distribution is
  assumed, so small cells are fine: the shuffles give the distribution.
- a numeric attribute (file size, a pixel statistic): the Kruskal-Wallis statistic of its ranks
  (for two groups, equivalent to the AUC: the chance that a random member of group 1 has a
  larger value than a random member of group 0), with epsilon-squared or the AUC as its effect.

An attribute's p-value is the share of shuffles at least as extreme as the observed grouping.
Testing twenty attributes at once would find one "significant" by luck one time in a few, so
each p-value is adjusted: it becomes the share of shuffles in which the *smallest* p-value of
*any* attribute is at least as small. That keeps the chance of even one false alarm across all
attributes under the level, and, as every attribute is computed on the same shuffles, it
accounts for attributes that go together (image size and file size) instead of paying for them
twice, as Bonferroni or Holm would.

All shuffles are computed at once with numpy: the grouping matrix (shuffles x items) is turned
into one indicator matrix per group and multiplied with a matrix holding one column per
category of each attribute (and the ranks and values of the numeric ones), which gives every
attribute's table on every shuffle in a few matrix products.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SEED = 20231025  # fixed: the same release gives the same shuffles, hence the same findings
PERMUTATIONS = 2000
LEVEL = 0.05  # family-wise: a grouping drawn at random is reported in at most 1 release in 20
BAND = (2.5, 97.5)  # the percentiles of the shuffles shown as "what a random grouping gives"
SUMMED_AT_ONCE = 100  # shuffles turned into float indicators at once (memory: 100 x items)
# Cohen's conventions for h, the difference of two proportions on the arcsine scale (Cohen,
# Statistical Power Analysis for the Behavioral Sciences, 1988, ch. 6): 0.2 is a small effect,
# 0.8 a large one. Under SMALL_H an effect is negligible, however significant.
SMALL_H = 0.2
LARGE_H = 0.8


def cohens_h(share: float, other: float) -> float:
    """Cohen's h of two proportions (positive when `share` is the larger)."""
    return 2 * (math.asin(math.sqrt(share)) - math.asin(math.sqrt(other)))


@dataclass
class Attribute:
    """One attribute of the items: categories (codes 0..K-1 with their labels) or numbers."""

    name: str
    codes: np.ndarray | None = None  # categorical: int per item
    labels: tuple[str, ...] = ()
    values: np.ndarray | None = None  # numeric: float per item
    unit: str = ""  # numeric: how its values are shown ("bytes", "", ...)
    shown: tuple[int, ...] | None = None  # categorical: the categories worth naming (all)

    @property
    def numeric(self) -> bool:
        return self.values is not None

    def constant(self) -> bool:
        if self.numeric:
            return bool(np.nanmax(self.values) == np.nanmin(self.values))
        return len(self.codes) == 0 or bool(self.codes.min() == self.codes.max())


@dataclass
class Result:
    """What the shuffles say about one attribute."""

    attribute: Attribute
    statistic: float
    p_value: float
    p_adjusted: float = 1.0
    effect: dict = field(default_factory=dict)  # {"name": ..., "value": ...}
    cells: list[dict] = field(default_factory=list)  # per (category, group) or per group
    fill: object = field(default=None, repr=False)  # works the cells out (see compare_groups)
    within: dict | None = None  # the test again within strata (see checks.balance)
    permutations: int = PERMUTATIONS  # the shuffles the p-values come from

    def significant(self, level: float = LEVEL) -> bool:
        return self.p_adjusted <= level


@dataclass
class Extra:
    """A statistic of the grouping itself computed on every shuffle (larger: more extreme),
    tested in the same family as the attributes."""

    name: str
    observed: float
    shuffled: np.ndarray
    p_value: float = 1.0
    p_adjusted: float = 1.0
    details: dict = field(default_factory=dict)


def shuffles(groups: np.ndarray, count: int = PERMUTATIONS, seed: int = SEED) -> np.ndarray:
    """`count` random regroupings of the items into groups of the same sizes as `groups`
    (codes 0..G-1): count x items, int8 (see Shuffles)."""
    return next(Shuffles(groups, count, seed).blocks(max(count, 1)))


class Shuffles:
    """`count` random regroupings of the items into groups of the same sizes as `groups`,
    made a block of rows at a time, so that they need not be held all at once (1,000 label
    shuffles of ten times the release's images weigh 41 MB). Each shuffle draws the members of
    every group but the largest as one random ordered sample without replacement (cheaper than
    permuting all items when the largest group is most of them); the rows are the same
    whatever the blocks."""

    def __init__(self, groups: np.ndarray, count: int = PERMUTATIONS, seed: int = SEED):
        self.groups = np.asarray(groups, dtype=np.int64)
        self.count, self.seed = count, seed
        self.shape = (count, len(self.groups))

    def blocks(self, size: int) -> Iterator[np.ndarray]:
        """The shuffles, `size` rows (int8) at a time."""
        rng = np.random.default_rng(self.seed)
        n_items = len(self.groups)
        sizes = np.bincount(self.groups, minlength=int(self.groups.max(initial=0)) + 1)
        largest = int(np.argmax(sizes))
        others = [g for g in range(len(sizes)) if g != largest and sizes[g]]
        drawn = int(sum(sizes[g] for g in others))
        if n_items <= 2000 and drawn and self.count:  # a Fisher-Yates of all rows at once
            out = np.full((self.count, n_items), largest, dtype=np.int8)
            picks = _drawn_together(rng, n_items, drawn, self.count)
            rows, at = np.arange(self.count)[:, None], 0
            for g in others:
                out[rows, picks[:, at:at + sizes[g]]] = g
                at += sizes[g]
            yield from (out[start:start + size] for start in range(0, self.count, size))
            return
        for start in range(0, max(self.count, 1), size):
            out = np.full((min(size, self.count - start), n_items), largest, dtype=np.int8)
            for row in out if drawn else ():  # one call per row: faster than a large matrix
                picks, at = rng.choice(n_items, drawn, replace=False), 0
                for g in others:
                    row[picks[at:at + sizes[g]]] = g
                    at += sizes[g]
            yield out


def _drawn_together(rng: np.random.Generator, n_items: int, drawn: int,
                    count: int) -> np.ndarray:  # fmt: skip
    """`count` random ordered samples of `drawn` items out of `n_items` (count x drawn): the
    first `drawn` steps of a Fisher-Yates shuffle, taken for every sample at once."""
    index = np.repeat(np.arange(n_items, dtype=np.int32)[:, None], count, axis=1)
    columns = np.arange(count)
    uniform = rng.random((drawn, count))
    for step in range(drawn):  # swap position `step` with a random one at or after it
        other = step + (uniform[step] * (n_items - step)).astype(np.int64)
        held = index[other, columns]
        index[other, columns] = index[step]
        index[step] = held
    return index[:drawn].T


def shuffles_within(groups: np.ndarray, strata: np.ndarray, count: int = PERMUTATIONS,
                    seed: int = SEED) -> np.ndarray:  # fmt: skip
    """Like `shuffles`, but each item changes group only with items of its own stratum (each
    stratum keeps its own count of every group): what a random split of the same images would
    look like if it kept, say, the image sizes of each split as they are."""
    rng = np.random.default_rng(seed)
    order = np.argsort(strata, kind="stable")  # each stratum a block of columns
    ordered = np.tile(np.asarray(groups, dtype=np.int8)[order], (count, 1))
    bounds = np.flatnonzero(np.diff(np.asarray(strata)[order])) + 1
    for start, stop in zip(np.r_[0, bounds], np.r_[bounds, len(order)], strict=True):
        ordered[:, start:stop] = rng.permuted(ordered[:, start:stop], axis=1)
    out = np.empty_like(ordered)
    out[:, order] = ordered
    return out


def compare_groups(attributes: list[Attribute], groups: np.ndarray, names: tuple[str, ...],
                    shuffled: np.ndarray | Shuffles, extras: list[Extra] = (),
                    detailed: bool = False) -> list[Result]:  # fmt: skip
    """Test each non-constant attribute against `groups` (codes 0..len(names)-1 per item),
    with `shuffled` (shuffles x items) as what random groupings give, and adjust every p-value
    (the `extras` too) for the whole family. The cells (observed and random band per category
    and group) are worked out for the attributes at or under the level, or for all when
    `detailed`."""
    attributes = [a for a in attributes if not a.constant()]
    n_items, n_groups = len(groups), len(names)
    sizes = np.bincount(groups, minlength=n_groups).astype(float)
    columns, spans = _columns(attributes)
    observed = _sums(groups[None, :], columns, n_groups)[0]  # groups x columns
    permuted = _sums(shuffled, columns, n_groups)  # shuffles x groups x columns
    results, stats_obs, stats_perm = [], [], []
    for attribute, (start, stop) in zip(attributes, spans, strict=True):
        obs, perm = observed[:, start:stop], permuted[:, :, start:stop]
        if attribute.numeric:
            t_obs, t_perm, result = _numeric(attribute, obs, perm, sizes, n_items, names)
        else:
            t_obs, t_perm, result = _categorical(attribute, obs, perm, sizes, n_items, names)
        results.append(result)
        stats_obs.append(t_obs)
        stats_perm.append(t_perm)
    for extra in extras:
        stats_obs.append(extra.observed)
        stats_perm.append(extra.shuffled)
    if not stats_obs:
        return results
    p_values, adjusted = min_p(np.array(stats_obs), np.column_stack(stats_perm))
    for result, p, q in zip(results, p_values, adjusted, strict=False):
        result.p_value, result.p_adjusted = float(p), float(q)
        result.permutations = int(shuffled.shape[0])
        if result.significant() or detailed:  # the bands cost; only findings show them
            result.cells = result.fill()
    for extra, p, q in zip(extras, p_values[len(results):], adjusted[len(results):], strict=True):
        extra.p_value, extra.p_adjusted = float(p), float(q)
    return results


def min_p(observed: np.ndarray, shuffled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Permutation p-values of each statistic (larger: more extreme) and the same adjusted by
    single-step minP: the share of shuffles whose smallest p-value over all statistics is at
    least as small. `observed`: one per statistic; `shuffled`: shuffles x statistics."""
    count = shuffled.shape[0]
    tolerance = 1e-6 * np.maximum(1.0, np.abs(observed))  # float32 sums
    p_values = (1 + (shuffled >= observed - tolerance).sum(axis=0)) / (count + 1)
    ordered = np.sort(shuffled, axis=0)
    shuffled_p = np.empty_like(shuffled, dtype=float)
    for j in range(shuffled.shape[1]):  # each shuffle's p-value within its own statistic
        tol = 1e-6 * np.maximum(1.0, np.abs(shuffled[:, j]))
        below = np.searchsorted(ordered[:, j], shuffled[:, j] - tol, side="left")
        shuffled_p[:, j] = (1 + count - below) / (count + 1)
    smallest = shuffled_p.min(axis=1)
    adjusted = (1 + (smallest[:, None] <= p_values[None, :] + 1e-12).sum(axis=0)) / (count + 1)
    return p_values, np.maximum(adjusted, p_values)


def _columns(attributes: list[Attribute]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """One column per category of each categorical attribute; rank and value columns of each
    numeric one."""
    widths = [2 if attribute.numeric else len(attribute.labels) for attribute in attributes]
    if not attributes:
        return np.zeros((0, 0)), []
    items = len(attributes[0].values if attributes[0].numeric else attributes[0].codes)
    out = np.zeros((items, sum(widths)))
    spans, at = [], 0
    for attribute, width in zip(attributes, widths, strict=True):
        if attribute.numeric:
            values = attribute.values.astype(float)
            out[:, at], out[:, at + 1] = _ranks(values), values
        else:
            out[np.arange(items), at + attribute.codes] = 1.0
        spans.append((at, at + width))
        at += width
    return out, spans


def _ranks(values: np.ndarray) -> np.ndarray:
    """Mid-ranks (1-based) of `values`."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ordered)) + 1]
    stops = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values))
    ranks[order] = np.repeat((starts + stops + 1) / 2.0, stops - starts)
    return ranks


def _sums(groupings: np.ndarray, columns: np.ndarray, n_groups: int) -> np.ndarray:
    """Per grouping (row of `groupings`), per group, the sum of each column over its items:
    one matrix product per group but the largest, whose sums are what the others leave."""
    if columns.size == 0:
        return np.zeros((groupings.shape[0], n_groups, 0))
    matrix = columns.astype(np.float32)  # counts and rank sums stay exact well past 4,083 items
    total = columns.sum(axis=0)
    blocks = (groupings.blocks(SUMMED_AT_ONCE) if isinstance(groupings, Shuffles) else
              (groupings[at:at + SUMMED_AT_ONCE]
               for at in range(0, groupings.shape[0], SUMMED_AT_ONCE)))  # fmt: skip
    out = np.empty((groupings.shape[0], n_groups, matrix.shape[1]))
    rest, start = None, 0
    for block in blocks:
        if rest is None:  # the largest group, which every grouping keeps at its size
            rest = int(np.bincount(block[0].astype(np.int64), minlength=n_groups).argmax())
        for g in range(n_groups):
            if g == rest:
                continue
            if n_groups == 2 and g == 1:  # codes 0/1: the grouping is group 1's indicator
                indicator = block.astype(np.float32)
            else:
                indicator = (block == g).astype(np.float32)
            out[start:start + len(block), g, :] = indicator @ matrix
        start += len(block)
    others = [g for g in range(n_groups) if g != rest]
    out[:, rest, :] = total - out[:, others, :].sum(axis=1)
    return out


def _categorical(attribute, obs, perm, sizes, n_items, names):
    """Chi-square over the categories x groups table; one cell per category and group."""
    totals = obs.sum(axis=0)  # per category (fixed by the shuffles)
    expected = sizes[:, None] * totals[None, :] / n_items  # groups x categories
    chi_obs = float((((obs - expected) ** 2) / expected).sum())
    chi_perm = (((perm - expected[None]) ** 2) / expected[None]).sum(axis=(1, 2))
    k = int((totals > 0).sum())
    v = float(np.sqrt(chi_obs / (n_items * max(1, min(k, len(names)) - 1))))
    result = Result(attribute, chi_obs, 1.0, effect={"name": "Cramér's V", "value": v})
    result.fill = lambda: _categorical_cells(attribute, obs, perm, sizes, expected, names)
    return chi_obs, chi_perm, result


def _categorical_cells(attribute, obs, perm, sizes, expected, names) -> list[dict]:
    shown = list(attribute.shown if attribute.shown is not None else range(len(attribute.labels)))
    chosen = perm[:, :, shown]  # shuffles x groups x shown categories
    lows, highs = np.percentile(chosen, BAND, axis=0)
    means, spreads = chosen.mean(axis=0), chosen.std(axis=0)
    cells = []
    for j, c in enumerate(shown):
        for g, group in enumerate(names):
            low, high, count = float(lows[g, j]), float(highs[g, j]), obs[g, c]
            size = sizes[g] or 1.0
            cells.append({"category": attribute.labels[c], "group": group,
                          "observed": int(round(count)), "size": int(sizes[g]),
                          "share": float(count / size), "expected": float(expected[g, c]),
                          "band": [low, high], "band_share": [low / size, high / size],
                          "z": float((count - means[g, j]) / (spreads[g, j] or 1.0)),
                          "outside": bool(count < low or count > high)})  # fmt: skip
    return cells


def _numeric(attribute, obs, perm, sizes, n_items, names):
    """Kruskal-Wallis over the ranks; per group the mean value against its random band."""
    n = float(n_items)
    rank_obs, rank_perm = obs[:, 0], perm[:, :, 0]
    safe = np.where(sizes > 0, sizes, 1.0)
    h_obs = float(12 / (n * (n + 1)) * (rank_obs ** 2 / safe).sum() - 3 * (n + 1))
    h_perm = 12 / (n * (n + 1)) * (rank_perm ** 2 / safe).sum(axis=1) - 3 * (n + 1)
    if len(names) == 2:
        n1, n0 = sizes[1], sizes[0]
        auc = float((rank_obs[1] - n1 * (n1 + 1) / 2) / (n1 * n0)) if n1 and n0 else 0.5
        effect = {"name": "AUC", "value": auc}
    else:
        effect = {"name": "epsilon-squared", "value": max(0.0, h_obs / (n - 1))}
    result = Result(attribute, h_obs, 1.0, effect=effect)
    result.fill = lambda: _numeric_cells(obs, perm, safe, sizes, names)
    return h_obs, h_perm, result


def _numeric_cells(obs, perm, safe, sizes, names) -> list[dict]:
    cells = []
    all_means = perm[:, :, 1] / safe[None, :]
    lows, highs = np.percentile(all_means, BAND, axis=0)
    centres, spreads = all_means.mean(axis=0), all_means.std(axis=0)
    for g, group in enumerate(names):
        low, high = float(lows[g]), float(highs[g])
        mean = float(obs[g, 1] / safe[g])
        spread = float(spreads[g]) or 1.0
        cells.append({"category": None, "group": group, "observed": mean, "size": int(sizes[g]),
                      "band": [low, high], "z": float((mean - centres[g]) / spread),
                      "outside": bool(mean < low or mean > high)})  # fmt: skip
    return cells


def categories(values: list, minimum: int = 10, other: str = "other",
               order: list | None = None) -> tuple[np.ndarray, tuple[str, ...]]:  # fmt: skip
    """Codes and labels of a list of category values; values held by fewer than `minimum`
    items are pooled into `other` (so that rare categories do not dilute the test)."""
    texts = pd.Series([str(v) for v in values], dtype=object)
    inverse, found = pd.factorize(texts, sort=False)
    tally = np.bincount(inverse, minlength=len(found))
    counts = dict(zip(list(found), tally.tolist(), strict=True))
    kept = [c for c in (order or sorted(counts, key=lambda c: (-counts[c], c)))
            if counts.get(c, 0) >= minimum]  # fmt: skip
    labels = list(kept)
    if any(counts[c] < minimum for c in counts):
        labels.append(other)
    index = {label: i for i, label in enumerate(labels)}
    mapping = np.array([index.get(c, index.get(other, 0)) for c in found],
                       dtype=np.int64)  # fmt: skip
    return mapping[inverse] if len(texts) else np.zeros(0, dtype=np.int64), tuple(labels)
