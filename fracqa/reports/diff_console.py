"""The console text of `fracqa diff`: each kind of change with its first few rows, then a
summary and the verdict on the findings the new version introduces."""

from __future__ import annotations

from fracqa.compare import ReleaseDiff
from fracqa.load.annotation_table import FORMAT_LABEL
from fracqa.reports.console import finding_text, report_lines, verdict_line
from fracqa.reports.verdict import Verdict

FIRST_FEW = 10


def render(diff: ReleaseDiff, per_kind: int | None = FIRST_FEW,
           reports: dict[str, str] | None = None, colour: bool = False) -> str:  # fmt: skip
    """The changes (`per_kind` of each, all when None), what was not compared, the findings
    fixed and introduced, the `reports` written, and last the verdict line."""
    lines = [f"fracqa diff {diff.old.root} -> {diff.new.root}", ""]
    for title, rows in sections(diff):
        if not rows:
            continue
        lines.append(f"{title} ({len(rows)})")
        shown = rows if per_kind is None else rows[:per_kind]
        lines.extend(f"  {row}" for row in shown)
        if len(rows) > len(shown):
            lines.append(f"  ... and {len(rows) - len(shown)} more")
        lines.append("")
    if diff.empty():
        lines += ["No change to the images, labels, instances or splits.", ""]
    for source, reason in diff.not_compared.items():
        lines.append(f"{FORMAT_LABEL.get(source, source)} not compared: {reason}")
    lines.append(f"{len(diff.fixed)} finding(s) fixed, {len(diff.introduced)} introduced")
    lines.extend(report_lines(reports))
    lines.append(verdict_line(verdict_of(diff), colour))
    return "\n".join(lines) + "\n"


def verdict_of(diff: ReleaseDiff) -> Verdict:
    """PASS unless the new version introduces a finding at or above --fail-on that no waiver
    accepts: `FAIL at --fail-on error: 1 finding introduced at or above error (2 fixed)`."""
    gating = len(diff.gating())
    if diff.fail_on == "never":
        reason = "nothing gates"
    elif gating:
        noun = "finding" if gating == 1 else "findings"
        reason = f"{gating} {noun} introduced at or above {diff.fail_on}"
    else:
        reason = f"no finding introduced at or above {diff.fail_on}"
    others = [f"{len(diff.introduced)} introduced in all"] if len(diff.introduced) != gating else []
    others += [f"{len(diff.fixed)} fixed"] if diff.fixed else []
    if others:
        reason += f" ({', '.join(others)})"
    return Verdict(ok=diff.ok, fail_on=diff.fail_on, reason=reason)


def sections(diff: ReleaseDiff) -> list[tuple[str, list[str]]]:
    """(title, one line per change) for every kind of change, in reading order."""
    images = diff.images
    return [
        ("Images removed", [f"{r['image_id']} ({_image(r)})" for r in images["removed"]]),
        ("Images added", [f"{r['image_id']} ({_image(r)})" for r in images["added"]]),
        ("Images renamed", [f"{r['image_id']} -> {r['new_id']} (same content)"
                            for r in images["renamed"]]),
        ("Images replaced", [f"{r['image_id']}: content changed ({r['old_sha256'][:12]} -> "
                             f"{r['new_sha256'][:12]}, {_size(r['old_size'])} -> "
                             f"{_size(r['new_size'])})" for r in images["replaced"]]),
        ("Images moved", [f"{r['image_id']}: {r['old_file']} -> {r['new_file']}"
                          for r in images["moved"]]),
        ("dataset.csv rows removed", list(diff.rows.get("removed", []))),
        ("dataset.csv rows added", list(diff.rows.get("added", []))),
        ("dataset.csv columns removed", list(diff.columns.get("removed", []))),
        ("dataset.csv columns added", list(diff.columns.get("added", []))),
        ("Label changes", [f"{r['image_id']}: {r['column']} {r['old']} -> {r['new']}"
                           for r in diff.labels]),
        ("Instance changes", [_instance(r) for r in diff.instances]),
        ("Split changes", [f"{r['image_id']}: {r['old'] or 'no split'} -> "
                           f"{r['new'] or 'no split'}" for r in diff.splits]),
        ("Published figures changed", [f"{r['figure']}: {r['old']} -> {r['new']} (published "
                                       f"{r['published']})" for r in diff.figures]),
        ("Findings fixed", [finding_text(f) for f in diff.fixed]),
        ("Findings introduced", [finding_text(f) for f in diff.introduced]),
    ]  # fmt: skip


def _image(row: dict) -> str:
    counts = ", ".join(f"{n} {fmt.upper()}" for fmt, n in row["instances"].items())
    return (f"{row['file']}, split {row['split'] or 'none'}, fractured={row['fractured']}"
            + (f", instances: {counts}" if counts else ""))  # fmt: skip


def _size(size: list[int] | None) -> str:
    return f"{size[0]}x{size[1]}" if size else "?"


def _instance(row: dict) -> str:
    head = f"{row['image_id']} {row['format'].upper()}"
    if row["change"] == "added":
        return f"{head} instance added at {row['new']['location']}: {row['new']['box']}"
    if row["change"] == "removed":
        return f"{head} instance removed from {row['old']['location']}: {row['old']['box']}"
    if row["change"] == "reshaped":
        return f"{head} {row['new']['location']} polygon reshaped, box unchanged"
    return (f"{head} {row['new']['location']} moved {row['shift_px']:g} px (dx {row['dx']:+g}, "
            f"dy {row['dy']:+g}, IoU {row['iou']:.2f}): {row['old']['box']} -> "
            f"{row['new']['box']}")  # fmt: skip
