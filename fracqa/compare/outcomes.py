"""What the two audits concluded: the published figures whose observed value changed, and the
findings fixed and introduced."""

from __future__ import annotations

from collections import Counter

from fracqa.model import Finding
from fracqa.waivers import fingerprint


def figure_changes(old: list[dict] | None, new: list[dict] | None) -> list[dict]:
    """The figures of both statistics tables whose observed value changed, with the delta and
    whether each value matched the published one."""
    before = {row["figure"]: row for row in old or []}
    changes = []
    for row in new or []:
        previous = before.get(row["figure"])
        if previous is None or previous["observed"] == row["observed"]:
            continue
        delta = (None if previous["observed"] is None or row["observed"] is None
                 else row["observed"] - previous["observed"])  # fmt: skip
        changes.append({"figure": row["figure"], "published": row["published"],
                        "old": previous["observed"], "new": row["observed"], "delta": delta,
                        "old_ok": previous["ok"], "new_ok": row["ok"]})  # fmt: skip
    return changes


def finding_changes(old: list[Finding], new: list[Finding]) -> tuple[list, list]:
    """Findings of `old` not in `new` (fixed) and of `new` not in `old` (introduced), by
    fingerprint, counting repeats."""
    def unmatched(findings: list[Finding], others: list[Finding]) -> list[Finding]:
        remaining = Counter(fingerprint(f) for f in others)
        left = []
        for finding in findings:
            key = fingerprint(finding)
            if remaining[key]:
                remaining[key] -= 1
            else:
                left.append(finding)
        return left

    old = [f for f in old if f.family != "waivers"]
    new = [f for f in new if f.family != "waivers"]
    return unmatched(old, new), unmatched(new, old)
