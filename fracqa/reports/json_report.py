"""The JSON document other tools read (its shape is a contract: see ARCHITECTURE.md)."""

from __future__ import annotations

import json

from fracqa.model import AuditRecord, Severity, plain


def to_dict(result: AuditRecord) -> dict:
    return {
        "tool": "fracqa",
        "version": result.version,
        "root": str(result.root),
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


def render(result: AuditRecord) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
