"""The JSON document other tools read (its shape is a contract: see ARCHITECTURE.md)."""

from __future__ import annotations

import json

from fracqa.model import AuditResult, Severity, plain


def to_dict(result: AuditResult) -> dict:
    return {
        "tool": "fracqa",
        "version": result.version,
        "root": str(result.root),
        "summary": {
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "infos": result.count(Severity.INFO),
            "rules_run": len(result.rules_run),
            "images": result.images,
            "seconds": result.seconds,
        },
        "findings": [finding.as_dict() for finding in result.findings],
        **({"statistics": plain(result.statistics)} if result.statistics is not None else {}),
    }


def render(result: AuditResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
