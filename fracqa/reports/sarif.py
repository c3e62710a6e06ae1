"""SARIF 2.1.0, the format GitHub code scanning (and other code-analysis tools) read: one run
whose tool.driver lists every rule that ran, with its documentation, and one result per
finding, its file named relative to the release's root (the base id RELEASEROOT, which the
run maps to the root's absolute file: URI).

Waived findings are results with an accepted external suppression, which carries the waiver's
reason; every result has fracqa's fingerprint (the one waivers use) as a partial fingerprint,
so a tool can follow a finding from one run to the next.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fracqa.model import AuditRecord, Finding, Rule, Severity
from fracqa.reports.console import line_of
from fracqa.reports.verdict import verdict

VERSION = "2.1.0"
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_ID = "RELEASEROOT"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
FINGERPRINT = "fracqaFingerprint/v1"


def render(result: AuditRecord, fail_on: str = "error") -> str:
    return json.dumps(to_dict(result, fail_on), indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"  # fmt: skip


def to_dict(result: AuditRecord, fail_on: str = "error") -> dict:
    from fracqa.waivers import fingerprint

    index = {rule.code: i for i, rule in enumerate(result.rules_run)}
    invocation = {"executionSuccessful": True, "exitCode": verdict(result, fail_on).exit_code}
    if result.started_at:
        invocation["startTimeUtc"] = result.started_at.replace("+00:00", "Z")
    return {
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "fracqa",
                "version": result.version,
                "semanticVersion": result.version,
                "rules": [_rule(rule) for rule in result.rules_run],
            }},
            "originalUriBaseIds": {ROOT_ID: {
                "uri": result.root.as_uri().rstrip("/") + "/",
                "description": {"text": "The root folder of the release audited."},
            }},
            "invocations": [invocation],
            "results": [_result(finding, index, fingerprint(finding))
                        for finding in result.findings if finding.rule in index],
        }],
    }  # fmt: skip


def _rule(rule: Rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.doc},
        "help": {"text": rule.doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": [rule.family]},
    }


def _result(finding: Finding, index: dict[str, int], fingerprint: str) -> dict:
    result = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [_location(finding)],
        "partialFingerprints": {FINGERPRINT: fingerprint},
    }
    if finding.waived:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": finding.waiver_reason or ""}]  # fmt: skip
    return result


def _location(finding: Finding) -> dict:
    """The file (and line) of the finding; a finding about no single file is located by name
    only: its image, else its place (a figure's name), else the release."""
    if not finding.file:
        return {"logicalLocations": [{"name": finding.image_id or finding.location or "release"}]}
    physical: dict = {"artifactLocation": {"uri": quote(finding.file, safe="/"),
                                           "uriBaseId": ROOT_ID}}  # fmt: skip
    line = line_of(finding.location)
    if line is not None:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}
