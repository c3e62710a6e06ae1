"""IMG, content: every image is a usable radiograph. Not blank, not cut off by a flat band,
not far darker or brighter than the release's radiographs, not nearly empty of information.

Measured on the draft-mode decode of the image scan (1/8 scale, grey levels 0-255). Apart from
a blank frame, which no radiograph is, what counts as extreme comes from the release itself:
the median and the median absolute deviation (MAD) of each statistic over its images, with
guards so that the natural tails of a small or homogeneous release are never flagged (a
statistic must lie at least K robust deviations from the median and a third of the way from
it to the end of the scale). Grey radiographs stored as RGB and unusual aspect ratios are
normal in a radiograph release and are not looked at. Each image gets at most one of these
findings (see `_judge` for which).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fracqa.catalogue import rule
from fracqa.inputs import IMAGE_SCAN
from fracqa.model import Hit
from fracqa.release import Release

BLANK_LEVELS = 2  # a frame whose 1st and 99th percentiles are this close holds no picture
MIN_REFERENCE = 20  # decoded images a release needs before it is its own reference
K = 6.0  # robust deviations (1.4826 x MAD) a statistic must lie from the release's median
GUARD = 1 / 3  # ... and at least this share of the way from the median to the end of the scale
# however widely a release's images spread, one whose brightest 1% stay under a quarter of the
# release's median (or whose darkest 1% lie three quarters of the way to white) is extreme
FAR = 1 / 4
SCALE_FLOOR = {"px_p99": 2.0, "px_p01": 2.0, "px_entropy": 0.1, "px_band": 0.02}
# an edge band is rare, and every one of them reported, when at most this share of the release
# (or RARE_BANDS images) has one of its kind; mid-grey bands never occur in a clean release,
# bands at the image's own extremes (padded or collimated borders) can
RARE_BAND_SHARE = {"fill": 0.05, "extreme": 0.01}
# libjpeg (under Pillow, OpenCV and browsers) leaves the blocks a truncated file lost with no
# coefficients: mid-grey, below the rows it decoded. A flat band elsewhere, or of another grey,
# is the picture's own (air, a collimated border), however flat at 1/8 scale.
FILL_LEVEL, FILL_LEVELS, FILL_EDGE = 128, 8, "bottom"
RARE_BANDS = 3
# the least share of its lines a band covers to count: any measurable mid-grey band (two lines
# at 1/8 scale), but only a large border at the image's own background level
MIN_BAND_SHARE = {"fill": 0.0, "extreme": 0.05}


def _measured(release: Release) -> pd.DataFrame:
    """The published images that were decoded, with their pixel statistics, each id once."""
    images = release.images
    keep = (images["folder"].isin(["fractured", "non_fractured"])
            & images["image_id"].str.endswith(".jpg") & ~images["outside_root"]
            & images["decoded"] & images["px_p99"].notna())  # fmt: skip
    return images[keep].drop_duplicates("image_id")


def _robust(values: pd.Series, floor: float) -> tuple[float, float]:
    """The median and the robust deviation (1.4826 x MAD, at least `floor`) of `values`."""
    values = values.astype(float).to_numpy()
    median = float(np.median(values))
    return median, max(1.4826 * float(np.median(np.abs(values - median))), floor)


@dataclass
class Verdicts:
    """What the content rules found, image by image (each image in one of them at most), and
    the release's reference values."""

    blank: pd.DataFrame
    band: list[tuple]  # (image row, kind, images with such a band)
    dark: pd.DataFrame
    bright: pd.DataFrame
    low_information: pd.DataFrame
    reference: dict[str, float]


def _verdicts(release: Release) -> Verdicts:
    return release.derived("image-content", lambda: _judge(_measured(release)),
                           uses=(IMAGE_SCAN,))  # fmt: skip


def _judge(images: pd.DataFrame) -> Verdicts:
    """Each image in the first of these that applies: blank; a mid-grey edge band (what a
    truncated file leaves); far too dark or bright, or almost no information (whichever
    limit it is further beyond); a band at its own background level (a mostly empty frame
    with such a band is better described as holding no information). Every limit but
    blank's comes from the non-blank images of the release."""
    spread = images["px_p99"].astype(float) - images["px_p01"].astype(float)
    blank = images[spread <= BLANK_LEVELS]
    rest = images.drop(blank.index)
    empty, reference = rest.iloc[0:0], {}
    band = _bands(rest)
    if len(rest) < MIN_REFERENCE:  # too few radiographs to tell what is usual
        return Verdicts(blank, band, empty, empty, empty, reference)
    p99, p99_scale = _robust(rest["px_p99"], SCALE_FLOOR["px_p99"])
    p01, p01_scale = _robust(rest["px_p01"], SCALE_FLOOR["px_p01"])
    entropy, entropy_scale = _robust(rest["px_entropy"], SCALE_FLOOR["px_entropy"])
    reference.update(p99=p99,
                     dark_limit=min(max(p99 - K * p99_scale, p99 * FAR), p99 * (1 - GUARD)),
                     p01=p01,
                     bright_limit=max(min(p01 + K * p01_scale, p01 + (255 - p01) * (1 - FAR)),
                                      p01 + (255 - p01) * GUARD),
                     entropy=entropy,
                     entropy_limit=min(entropy - K * entropy_scale, entropy * (1 - GUARD)))
    rest = rest.drop(pd.Index([row.Index for row, kind, _ in band if kind == "fill"]))
    # how far beyond its limit each image is, as a share of the way to the end of the scale:
    # an image beyond two limits is reported for the one it is further beyond
    # (a limit at the end of the scale flags nothing: the release itself is that dark, ...)
    dark_limit, bright_limit = reference["dark_limit"], reference["bright_limit"]
    entropy_limit = reference["entropy_limit"]
    excess = pd.DataFrame({
        "dark": 1 - rest["px_p99"].astype(float) / dark_limit if dark_limit > 0 else 0.0,
        "bright": ((rest["px_p01"].astype(float) - bright_limit) / (255 - bright_limit)
                   if bright_limit < 255 else 0.0),
        "low": 1 - rest["px_entropy"].astype(float) / entropy_limit if entropy_limit > 0 else 0.0,
    }, index=rest.index)  # fmt: skip
    beyond = excess[(excess > 0).any(axis=1)]
    worst = beyond.idxmax(axis=1)
    dark, bright, low = (rest.loc[worst.index[worst == name]] for name in ("dark", "bright", "low"))
    band = [item for item in band if item[1] == "fill" or item[0].Index not in worst.index]
    return Verdicts(blank, band, dark, bright, low, reference)


def _bands(images: pd.DataFrame) -> list[tuple]:
    """The images with an edge band that is unusual for the release, with the band's kind
    ("fill": a level within the image's range; "extreme": the level of its darkest or
    brightest pixels) and how many images have a band of that kind. A kind of band that at
    most RARE_BAND_SHARE of the images (or RARE_BANDS) have is reported wherever it is; a
    kind common in the release only where it is far wider than usual for it."""
    share = images["px_band"].astype(float)
    kinds = images["px_band_extreme"].astype(float).map({1.0: "extreme", 0.0: "fill"})
    filled = ((images["px_band_edge"] == FILL_EDGE)
              & ((images["px_band_level"].astype(float) - FILL_LEVEL).abs() <= FILL_LEVELS))
    kinds = kinds.where((kinds != "fill") | filled)
    found = []
    for kind in ("fill", "extreme"):
        group = images[(kinds == kind) & (share > 0) & (share >= MIN_BAND_SHARE[kind])]
        count = len(group)
        if count > max(RARE_BANDS, math.floor(RARE_BAND_SHARE[kind] * len(images))):
            median, scale = _robust(group["px_band"], SCALE_FLOOR["px_band"])
            group = group[group["px_band"].astype(float) > median + K * scale]
        found.extend((row, kind, count) for row in group.itertuples())
    return sorted(found, key=lambda item: item[0].file)


def _hit(row, message: str, details: dict) -> Hit:
    return Hit(message, row.image_id, row.file, details=details)


def _stats(row, *names: str) -> dict:
    return {name.removeprefix("px_"): float(getattr(row, name)) for name in names}


@rule("IMG023", "blank-image", "images", "error",
      "an image is blank: one grey level, no radiograph", needs=(IMAGE_SCAN,))  # fmt: skip
def blank_image(release: Release) -> Iterator[Hit]:
    """An image decodes to a constant frame: 98% of its pixels (from the 1st to the 99th
    percentile) lie within two grey levels, whatever else a few pixels (a burned-in marker)
    hold. No radiograph looks like that, so this threshold does not depend on the release.

    Why: a blank frame carries its labels and annotations but nothing to learn them from; an
    export that failed, or a placeholder, trains a model that fractures can look like nothing.
    Fix: restore the radiograph from the source export, or remove the image and its labels.
    """
    for row in _verdicts(release).blank.itertuples():
        yield _hit(row, f"{row.image_id} is blank: 98% of its pixels lie within "
                        f"{row.px_p99 - row.px_p01:g} grey level(s) of {row.px_mean:.0f} "
                        "(measured at 1/8 scale); there is no radiograph to see",
                   _stats(row, "px_mean", "px_std", "px_p01", "px_p99", "px_entropy"))  # fmt: skip


@rule("IMG024", "flat-band", "images", "warning",
      "an image has a large flat band along an edge, as a truncated file leaves",
      needs=(IMAGE_SCAN,))  # fmt: skip
def flat_band(release: Release) -> Iterator[Hit]:
    """Rows at the top or bottom (or columns at the left or right) of an image hold one flat
    grey level, where the rest of the release has no such band. The bottom rows at mid-grey
    (128, within 8 levels, inside the image's own range: what libjpeg, under Pillow, OpenCV and
    browsers, leaves of the rows a truncated JPEG lost) are reported wherever such bands are
    rare in the release (at most 5% of its images); a band at the level of the image's darkest
    or brightest pixels (a padded, collimated or cut-off border) when it covers at least 5% of
    the image and such borders are rare (at most 1% of the images). A flat band of another grey
    inside the image's range, or along another edge, is the picture's own (air above the
    anatomy is that flat at 1/8 scale) and is not reported. Where a kind of band is common,
    only one far wider than the release's others of that kind is reported (median + 6 MAD). A
    band is measured at 1/8 scale, to within 8 lines. An image that does not decode at all is
    IMG007's, which measures its band itself.

    Why: it is what is left of a radiograph whose file was truncated and then decoded
    leniently and saved again: the bottom of the anatomy is gone while its labels and
    annotations remain, and when such images share a label the band is a shortcut a
    classifier learns (in FracAtlas the truncated files are all non-fractured).
    Fix: restore the image from the source export (or the intact original of the file).
    """
    for row, kind, count in _verdicts(release).band:
        lines = "rows" if row.px_band_edge in ("top", "bottom") else "columns"
        extent = row.height if lines == "rows" else row.width
        what = ("inside the image's range: the grey a lenient decoder fills a truncated file's "
                "missing rows with" if kind == "fill" else
                "the level of the image's darkest or brightest pixels: a padded or cut-off "
                "border")  # fmt: skip
        others = (f"{count - 1} other image(s) of the release have such a band" if count > 1
                  else "no other image of the release has such a band")  # fmt: skip
        yield _hit(row, f"the {row.px_band_edge} {int(row.px_band_lines)} of {extent} {lines} of "
                        f"{row.image_id} are one flat grey level ({row.px_band_level:g}), "
                        f"{what}; {others}",
                   {"edge": row.px_band_edge, "lines": int(row.px_band_lines),
                    "of": int(extent), "share": float(row.px_band),
                    "level": float(row.px_band_level), "kind": kind,
                    "images_with_such_a_band": count})  # fmt: skip


@rule("IMG025", "extreme-exposure", "images", "warning",
      "an image is far darker or brighter than the release's radiographs",
      needs=(IMAGE_SCAN,))  # fmt: skip
def extreme_exposure(release: Release) -> Iterator[Hit]:
    """Even the brightest 1% of an image's pixels are dark (its 99th percentile is six robust
    deviations below the release's median, or under a quarter of it however widely the
    release's images spread, and in any case under two thirds of it), or even its darkest 1%
    are bright (its 1st percentile six robust deviations above the release's median, or three
    quarters of the way from it to white, and in any case more than a third of the way). The
    limits come from the release's own images; a release of fewer than 20 decodable images is
    not judged.

    Why: an under- or over-exposed export (a wrong window, a failed conversion) shows no bone
    detail; the fracture its annotations mark is not visible to the model, and such images
    cluster by source, which a classifier learns instead of fractures.
    Fix: re-export the radiograph with the window used for the rest of the release.
    """
    verdicts = _verdicts(release)
    reference = verdicts.reference
    for row in verdicts.dark.itertuples():
        yield _hit(row, f"{row.image_id} is extremely dark: its brightest 1% of pixels reach "
                        f"only grey level {row.px_p99:g}, where the release's median image "
                        f"reaches {reference['p99']:g} (limit {reference['dark_limit']:.0f}, "
                        "from the release's median and MAD)",
                   {**_stats(row, "px_mean", "px_p01", "px_p99"), "direction": "dark",
                    "release_median_p99": reference["p99"],
                    "limit": round(reference["dark_limit"], 2)})  # fmt: skip
    for row in verdicts.bright.itertuples():
        yield _hit(row, f"{row.image_id} is extremely bright: its darkest 1% of pixels are at "
                        f"grey level {row.px_p01:g} or above, where the release's median image "
                        f"goes down to {reference['p01']:g} (limit "
                        f"{reference['bright_limit']:.0f}, from the release's median and MAD)",
                   {**_stats(row, "px_mean", "px_p01", "px_p99"), "direction": "bright",
                    "release_median_p01": reference["p01"],
                    "limit": round(reference["bright_limit"], 2)})  # fmt: skip


@rule("IMG026", "low-information", "images", "warning",
      "an image holds almost no information", needs=(IMAGE_SCAN,))  # fmt: skip
def low_information(release: Release) -> Iterator[Hit]:
    """The entropy of an image's grey-level histogram is six robust deviations below the
    release's median and under two thirds of it: a few grey levels only (posterised, thresholded,
    a near-empty frame with a label), not the continuous tones of a radiograph. The limit
    comes from the release's own images; a release of fewer than 20 decodable images is not
    judged.

    Why: the image has lost the detail a fracture is seen in; the labels and annotations it
    carries teach the model nothing, or teach it the artefact.
    Fix: re-export the radiograph from the source at full tonal depth.
    """
    verdicts = _verdicts(release)
    reference = verdicts.reference
    for row in verdicts.low_information.itertuples():
        band = (f"; the {row.px_band_edge} {int(row.px_band_lines)} "
                f"{'rows' if row.px_band_edge in ('top', 'bottom') else 'columns'} are one flat "
                f"grey level ({row.px_band_level:g})" if row.px_band else "")  # fmt: skip
        yield _hit(row, f"{row.image_id} holds almost no information: its grey levels have an "
                        f"entropy of {row.px_entropy:.2f} bits, where the release's median "
                        f"image has {reference['entropy']:.2f} (limit "
                        f"{reference['entropy_limit']:.2f}, from the release's median and "
                        f"MAD){band}",
                   {**_stats(row, "px_entropy", "px_mean", "px_std", "px_p01", "px_p99"),
                    "release_median_entropy": reference["entropy"],
                    "limit": round(reference["entropy_limit"], 3)})  # fmt: skip
