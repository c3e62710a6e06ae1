"""The JSON document of `fracqa diff --json`: what changed from one release to the next."""

from __future__ import annotations

import json

from fracqa.compare import ReleaseDiff
from fracqa.model import AuditRecord, Finding, plain
from fracqa.reports.diff_console import verdict_of
from fracqa.waivers import fingerprint


def to_dict(diff: ReleaseDiff) -> dict:
    return plain({
        "tool": "fracqa",
        "version": diff.new.version,
        "old": _version(diff.old),
        "new": _version(diff.new),
        "fail_on": diff.fail_on,
        "ok": diff.ok,
        "exit_code": verdict_of(diff).exit_code,
        "verdict": verdict_of(diff).line,
        "summary": diff.summary(),
        "images": diff.images,
        "rows": diff.rows,
        "columns": diff.columns,
        "labels": diff.labels,
        "instances": diff.instances,
        "not_compared": diff.not_compared,
        "splits": diff.splits,
        "figures": diff.figures,
        "findings": {"fixed": [_finding(f) for f in diff.fixed],
                     "introduced": [_finding(f) for f in diff.introduced]},
    })  # fmt: skip


def _version(record: AuditRecord) -> dict:
    return {"root": str(record.root), "images": record.images, "identity": record.identity,
            "seconds": record.seconds}  # fmt: skip


def _finding(finding: Finding) -> dict:
    return {**finding.as_dict(), "fingerprint": fingerprint(finding)}


def render(diff: ReleaseDiff) -> str:
    return json.dumps(to_dict(diff), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
