"""The JSON document other tools read (its shape is a contract: docs/report.schema.json)."""

from __future__ import annotations

import json

from fracqa.layout import ANNOTATION_FORMATS
from fracqa.model import AuditRecord, Severity, plain
from fracqa.reports.verdict import verdict


def to_dict(result: AuditRecord, fail_on: str = "error") -> dict:
    judged = verdict(result, fail_on)
    return {
        "tool": "fracqa",
        "version": result.version,
        "root": str(result.root),
        "ok": judged.ok,
        "fail_on": judged.fail_on,
        "exit_code": judged.exit_code,
        "verdict": judged.line,
        "identity": identity(result.identity),
        "summary": {
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO),
            **({"waived": len(result.waived)} if result.waivers_file else {}),
            "rules_run": len(result.rules_run),
            "images": result.images,
            "seconds": result.seconds,
        },
        **({"waivers": result.waivers_file} if result.waivers_file else {}),
        "findings": [finding.as_dict() for finding in result.findings],
        **({"statistics": plain(result.statistics)} if result.statistics is not None else {}),
    }


def identity(digests: dict) -> dict:
    """The release's identity in its documented shape, every part named: a digest the audit
    did not take (a part not read, or a record made without one) is null."""
    annotations = digests.get("annotations") or {}
    return plain({
        **digests,
        "dataset.csv": digests.get("dataset.csv"),
        "annotations": {**{fmt: annotations.get(fmt) for fmt in ANNOTATION_FORMATS},
                        **annotations},
        "images": digests.get("images"),
    })  # fmt: skip


def render(result: AuditRecord, fail_on: str = "error") -> str:
    return json.dumps(to_dict(result, fail_on), indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"  # fmt: skip
