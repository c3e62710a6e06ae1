"""Support for the property-based tests: a release loaded once, one source at a time read again
from mutated bytes, and the rules that read that source run over it.

By default each case reloads only the mutated source and runs only the rules that declare it
(milliseconds a case); FRACQA_FUZZ_END_TO_END=1 audits the whole release end to end instead,
for the deep run before a release of fracqa (see README). FRACQA_FUZZ_EXAMPLES sets the cases
per test (50 by default), FRACQA_FUZZ_SEED the seed (a new one each run by default; a failure
says which one reproduces it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from collections import Counter
from pathlib import Path

import pandas as pd

from fixtures.defects import replace_file
from fracqa import inputs
from fracqa.catalogue import all_rules
from fracqa.config import Settings
from fracqa.layout import Layout, locate
from fracqa.load.annotation_table import Annotations
from fracqa.load.dataset_csv import read_dataset_csv, typed_meta
from fracqa.load.image_scan import read_image
from fracqa.load.splits import load_splits
from fracqa.load.view_store import ViewBlock, ViewStore
from fracqa.model import AuditRecord, Finding
from fracqa.release import Release, RuleView, load_format, load_release, real_sizes
from fracqa.reports import json_report
from fracqa.runner import _apply, run_audit
from tests.helpers import SAMPLE_EXPECTATIONS
from tests.report_schema import assert_valid_report

CASES_RUN: Counter = Counter()
EXAMPLES = int(os.environ.get("FRACQA_FUZZ_EXAMPLES", "50"))
END_TO_END = os.environ.get("FRACQA_FUZZ_END_TO_END") == "1"
SEED = int(os.environ.get("FRACQA_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
# One process, no statistics: the image scan and the figures have their own tests.
SETTINGS = Settings(workers=1, expectations=SAMPLE_EXPECTATIONS)
RELEASE_RULES = [r for r in all_rules() if r.family not in ("waivers", "statistics")]
SOURCE_INPUT = {"coco": inputs.COCO, "vgg": inputs.VGG, "yolo": inputs.YOLO, "voc": inputs.VOC,
                "dataset.csv": inputs.CSV, "splits": inputs.SPLITS,
                "jpeg": inputs.IMAGE_FILES}  # fmt: skip


@dataclasses.dataclass
class Loaded:
    """A release tree and its tables, read once with every input but the published figures."""

    root: Path
    layout: Layout
    release: Release

    @classmethod
    def of(cls, root: Path) -> Loaded:
        layout = locate(root)
        needs = inputs.closure(set(inputs.ALL) - {inputs.FIGURES, inputs.WAIVERS})
        return cls(root, layout, load_release(layout, SETTINGS, needs))


def check_mutated(loaded: Loaded, path: Path, content: bytes, source: str) -> list[Finding]:
    """Give `path` the `content`, read `source` again, run the rules that read it, and put the
    original back. Whatever the content, no rule breaks and the findings make a valid JSON
    report. Returns the findings (of every rule, end to end)."""
    original = path.read_bytes()
    replace_file(path, content)
    try:
        if END_TO_END:
            findings = _end_to_end(loaded.root)
        else:
            findings = _rules_over(_reloaded(loaded, path, source), SOURCE_INPUT[source])
    finally:
        replace_file(path, original)
    CASES_RUN[source] += 1
    broken = [f for f in findings if "could not finish" in f.message]
    assert broken == [], broken
    record = AuditRecord(loaded.root, "test", findings, RELEASE_RULES, 0, 0.0)
    assert_valid_report(json.loads(json_report.render(record)))
    return findings


def _end_to_end(root: Path) -> list[Finding]:
    return run_audit(root, ignore=["STA"], settings=SETTINGS).findings


def _rules_over(release: Release, source_input: str) -> list[Finding]:
    rules = [r for r in RELEASE_RULES if source_input in r.needs]
    return [f for rule in rules for f in _apply(rule, RuleView(release, rule))]


def _reloaded(loaded: Loaded, path: Path, source: str) -> Release:
    """The loaded release with `source` read again from disk."""
    release = dataclasses.replace(loaded.release, _derived={})
    layout = loaded.layout
    if source == "dataset.csv":
        release.dataset_csv = read_dataset_csv(layout.dataset_csv, "dataset.csv")
        release.meta = typed_meta(release.dataset_csv.rows)
    elif source == "splits":
        release.splits = load_splits(layout)
    elif source == "jpeg":
        images = release.images.copy()
        row = images.index[images["file"] == layout.relative(path)][0]
        found = read_image(str(path), SETTINGS.pixel_limit)
        view = found.pop("view_hashes", None)
        for column, value in found.items():
            images.at[row, column] = value
        release.images = images
        release.views = _with_view(release.views, images.at[row, "view"], view)
    else:
        release.annotations = _with_format(release, layout, source)
    return release


def _with_view(store: ViewStore | None, position, view) -> ViewStore | None:
    """A copy of the release's view store with one image's view hashes read again."""
    if store is None or pd.isna(position):
        return store
    copied = dataclasses.replace(store, present=store.present.copy(),
                                 coefficients=store.coefficients.copy(),
                                 crop_coefficients=store.crop_coefficients.copy(),
                                 crop_keys=store.crop_keys.copy(),
                                 pixel_variant=store.pixel_variant.copy())  # fmt: skip
    copied.fill(int(position), ViewBlock.of([view]))
    return copied


def _with_format(release: Release, layout: Layout, fmt: str) -> Annotations:
    fresh = Annotations.of([load_format(layout, fmt).result()])
    fresh.place_yolo_boxes(real_sizes(release.images))
    kept = release.annotations
    instances = pd.concat([kept.instances[kept.instances["format"] != fmt], fresh.instances],
                          ignore_index=True)  # fmt: skip
    entries = pd.concat([kept.entries[kept.entries["format"] != fmt], fresh.entries],
                        ignore_index=True)  # fmt: skip
    return Annotations(instances, entries, {**kept.sources, fmt: fresh.sources[fmt]})


def counted(run, record_property) -> None:
    """Run a hypothesis test and record how many cases it generated, per source, for the
    session's summary (recorded as a test property, so that it survives pytest-xdist). A
    failure says which seed reproduces it."""
    before = CASES_RUN.copy()
    try:
        run()
    except BaseException as error:
        error.add_note(f"reproduce with FRACQA_FUZZ_SEED={SEED}"
                       f"{' FRACQA_FUZZ_END_TO_END=1' if END_TO_END else ''}")  # fmt: skip
        raise
    for source, count in (CASES_RUN - before).items():
        record_property("generated_cases", f"{source}={count}")
