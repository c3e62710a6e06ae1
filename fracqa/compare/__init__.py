"""What changed between two versions of a release (`fracqa diff OLD NEW`).

Both versions are audited with the same options, then their tables are compared:
- images added, removed, renamed (same content under another id), replaced (same id, other
  content, by SHA-256) and moved between the class folders;
- labels: every dataset.csv cell that changed, per column, for the images in both versions,
  the columns added or removed, and rows added or removed for images that stayed;
- instances, per format, for the images in both versions: matched one to one by box IoU (at
  least the IoU tolerance); what is left of an image's instances in a format is then paired by
  nearest centre, since an image that keeps its number of instances has moved one, not lost
  one and gained another. Pairs further apart than the pixel tolerance are `moved`, pairs
  whose box stayed but whose polygon changed are `reshaped`;
- split membership of the images in both versions;
- the published figures whose observed value changed;
- findings fixed and introduced (by fingerprint, as waivers match them).

What belongs to an added or removed image (its row, instances and split) is part of that one
change and is not listed again.

One module per kind of change: `images`, `labels` (dataset.csv), `instances` (pairing by
fracqa.geometry), `splits`, `outcomes` (figures and findings); `sources` says whether a source
is readable in both versions. Only `diff_releases` runs the audit (fracqa.runner).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from fracqa import inputs
from fracqa.compare.images import image_changes, image_facts
from fracqa.compare.instances import instance_changes
from fracqa.compare.labels import label_changes, row_changes
from fracqa.compare.outcomes import figure_changes, finding_changes
from fracqa.compare.sources import csv_readable, unreadable
from fracqa.compare.splits import split_changes
from fracqa.model import AuditRecord, Finding, gating
from fracqa.options import Options
from fracqa.release import Release
from fracqa.runner import audit_with

__all__ = ["IMAGE_CHANGES", "INSTANCE_CHANGES", "ReleaseDiff", "compare", "diff_releases"]


@dataclass
class ReleaseDiff:
    """The changes from `old` to `new`, each a list of plain rows (see the module docstring)."""

    old: AuditRecord
    new: AuditRecord
    fail_on: str = "error"
    images: dict[str, list[dict]] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)  # dataset.csv rows added, removed
    columns: dict[str, list[str]] = field(default_factory=dict)
    labels: list[dict] = field(default_factory=list)
    instances: list[dict] = field(default_factory=list)
    not_compared: dict[str, str] = field(default_factory=dict)  # source -> why (unreadable)
    splits: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    introduced: list[Finding] = field(default_factory=list)

    def gating(self) -> list[Finding]:
        """Introduced findings at or above `fail_on` that no waiver accepts."""
        return gating(self.introduced, self.fail_on)

    @property
    def ok(self) -> bool:
        return not self.gating()

    def summary(self) -> dict[str, int]:
        changes = Counter(row["change"] for row in self.instances)
        return {
            **{f"images_{kind}": len(self.images.get(kind, [])) for kind in IMAGE_CHANGES},
            "rows_added": len(self.rows.get("added", [])),
            "rows_removed": len(self.rows.get("removed", [])),
            "label_changes": len(self.labels),
            **{f"instances_{kind}": changes[kind] for kind in INSTANCE_CHANGES},
            "split_changes": len(self.splits),
            "figures_changed": len(self.figures),
            "findings_fixed": len(self.fixed),
            "findings_introduced": len(self.introduced),
        }

    def empty(self) -> bool:
        """True when the two versions hold the same images, labels, instances and splits."""
        return not any(self.summary()[key] for key in self.summary() if "findings" not in key)


IMAGE_CHANGES = ("added", "removed", "renamed", "replaced", "moved")
INSTANCE_CHANGES = ("added", "removed", "moved", "reshaped")


# What the comparison reads of each version, whichever rules the options select.
COMPARED = frozenset({inputs.CSV, inputs.IMAGE_HEADERS, *inputs.ANNOTATION_FORMATS,
                      inputs.SPLITS})  # fmt: skip


def diff_releases(old_root: Path, new_root: Path, options: Options) -> ReleaseDiff:
    """Audit both versions with `options` and compare them (not against a Croissant
    description: the configuration's `croissant` describes one version, and the diff compares
    the two with each other)."""
    options = replace(options, settings=replace(options.settings, croissant=None))
    (old, old_release), (new, new_release) = (audit_with(root, options, load=COMPARED)
                                              for root in (old_root, new_root))  # fmt: skip
    return compare(old, old_release, new, new_release, options.fail_on)


def compare(old: AuditRecord, old_release: Release, new: AuditRecord, new_release: Release,
            fail_on: str = "error") -> ReleaseDiff:  # fmt: skip
    """The changes from the audited release `old_release` (its record `old`) to `new_release`;
    `fail_on` is the severity at which introduced findings gate."""
    before, after = image_facts(old_release), image_facts(new_release)
    diff = ReleaseDiff(old, new, fail_on)
    diff.images = image_changes(before, after)
    gone = {row["image_id"] for kind in ("removed", "renamed") for row in diff.images[kind]}
    came = {row.get("new_id", row["image_id"]) for kind in ("added", "renamed")
            for row in diff.images[kind]}  # fmt: skip
    common = (_ids(old_release) & _ids(new_release)) - gone - came
    unreadable_csv = unreadable(old_release, new_release, csv_readable)
    if unreadable_csv:
        diff.not_compared["dataset.csv"] = unreadable_csv
        diff.rows, diff.columns = {"added": [], "removed": []}, {"added": [], "removed": []}
    else:
        diff.rows = row_changes(old_release, new_release, gone, came)
        diff.columns, diff.labels = label_changes(old_release, new_release, common)
    diff.instances, unreadable_formats = instance_changes(
        old_release, new_release, common, new_release.tolerances
    )
    diff.not_compared.update(unreadable_formats)
    diff.splits = split_changes(old_release, new_release, common)
    diff.figures = figure_changes(old.statistics, new.statistics)
    diff.fixed, diff.introduced = finding_changes(old.findings, new.findings)
    return diff


def _ids(release: Release) -> set[str]:
    """Every image id the release speaks of: files, dataset.csv, annotations and splits."""
    tables = (release.images, release.meta, release.annotations.instances, release.splits.table)
    return set().union(*(set(table["image_id"].dropna()) for table in tables))
