"""The audit's vocabulary: severities, rules, findings and the result of one audit."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe; findings sort by it."""
        return {"error": 0, "warning": 1, "info": 2}[self.value]


# `croissant` compares the release with a published Croissant description of it (--croissant);
# `waivers` holds fracqa's own rules about the waivers file an audit is given.
FAMILIES = ("layout", "csv", "images", "annotations", "splits", "statistics", "croissant",
            "waivers")
PREFIX_OF_FAMILY = {
    "layout": "LAY",
    "csv": "CSV",
    "images": "IMG",
    "annotations": "ANN",
    "splits": "SPL",
    "statistics": "STA",
    "croissant": "CRO",
    "waivers": "WAV",
}


@dataclass(frozen=True)
class Hit:
    """What a rule observed, before the runner stamps it with the rule's identity."""

    message: str
    image_id: str | None = None
    file: str | None = None
    location: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """A named check over the release's tables, like a linter rule: what it is called, how
    severe its findings are, what it documents, which inputs it reads (see fracqa.inputs) and
    the module that holds its check function."""

    code: str
    name: str
    family: str
    severity: Severity
    title: str
    doc: str
    needs: frozenset[str]
    module: str
    function: str  # the name of the check function in `module`

    def check(self, subject: Any) -> Iterable[Hit]:
        """Run the rule's check function on `subject` (its module is imported on first use)."""
        from fracqa.catalogue import function_of

        return function_of(self)(subject)

    def matches(self, selector: str) -> bool:
        """True when `selector` is this rule's code, a prefix of it, or its name."""
        selector = selector.strip()
        return self.code.upper().startswith(selector.upper()) or selector == self.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "family": self.family,
            "severity": self.severity.value,
            "title": self.title,
            "doc": self.doc,
            "needs": sorted(self.needs),
        }


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth knowing) about the release, with its evidence."""

    rule: str
    name: str
    family: str
    severity: Severity
    message: str
    image_id: str | None = None
    file: str | None = None
    location: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    waived: bool = False  # accepted by a waiver: listed, but never gates
    waiver_reason: str | None = None

    @classmethod
    def of(cls, rule: Rule, hit: Hit) -> Finding:
        return cls(
            rule=rule.code,
            name=rule.name,
            family=rule.family,
            severity=rule.severity,
            message=hit.message,
            image_id=_text(hit.image_id),
            file=_text(hit.file),
            location=_text(hit.location),
            details=plain(hit.details),
        )

    def sort_key(self) -> tuple:
        return (
            self.severity.rank,
            self.rule,
            self.image_id or "",
            self.file or "",
            self.location or "",
            self.message,
        )

    def as_dict(self) -> dict[str, Any]:
        fields = {
            "rule": self.rule,
            "name": self.name,
            "family": self.family,
            "severity": self.severity.value,
            "message": self.message,
            "image_id": self.image_id,
            "file": self.file,
            "location": self.location,
            "details": self.details,
        }
        if self.waived:
            fields.update(waived=True, waiver_reason=self.waiver_reason)
        return fields


@dataclass(frozen=True)
class Fault:
    """A failure of fracqa itself during an audit, not of the release: a rule that raised. The
    audit still ends with every report (the rule's finding says it could not finish), and the
    command exits 3."""

    what: str  # "rule IMG007 image-undecodable"
    error: str  # "KeyError: 'width'"
    where: str  # "fracqa/checks/image_integrity.py:40 (image_undecodable)", or ""
    traceback: str  # shown with --debug

    def line(self) -> str:
        return f"{self.what} raised {self.error}" + (f" at {self.where}" if self.where else "")


def _text(value: Any) -> str | None:
    """A string field of a finding; the tables' missing values (None, NaN) become None."""
    return value if isinstance(value, str) else None


def plain(value: Any) -> Any:
    """Evidence as plain JSON values: numpy scalars unwrapped, NaN and infinities as None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def gating(findings: Iterable[Finding], fail_on: str) -> list[Finding]:
    """Those of `findings` at or above `fail_on` (error | warning | never) that no waiver
    accepts: the ones that fail a run."""
    if fail_on == "never":
        return []
    threshold = Severity(fail_on).rank
    return [f for f in findings if not f.waived and f.severity.rank <= threshold]


@dataclass
class AuditRecord:
    """Everything one audit found, in a fixed order; reports render it and compute nothing."""

    root: Path
    version: str
    findings: list[Finding]
    rules_run: list[Rule]
    images: int
    seconds: float
    statistics: list[dict] | None = None  # the published figures, passing ones included
    started_at: str = ""  # ISO 8601, UTC
    identity: dict[str, Any] = field(default_factory=dict)  # digests of the release's parts
    evidence: dict[str, dict] = field(default_factory=dict)  # per image a finding names
    evidence_gathered: bool = False  # gathered only for the HTML report
    distributions: dict[str, dict] = field(default_factory=dict)  # for the report's charts
    waivers_file: str | None = None  # the waivers file the findings were checked against
    faults: list[Fault] = field(default_factory=list)  # fracqa's own failures: exit 3

    @property
    def open(self) -> list[Finding]:
        """The findings no waiver accepts."""
        return [f for f in self.findings if not f.waived]

    @property
    def waived(self) -> list[Finding]:
        return [f for f in self.findings if f.waived]

    def count(self, severity: Severity) -> int:
        """How many findings of `severity` no waiver accepts."""
        return sum(1 for f in self.open if f.severity is severity)

    def gating(self, fail_on: str) -> list[Finding]:
        """The findings at or above `fail_on` (error | warning | never) no waiver accepts."""
        return gating(self.findings, fail_on)

    def gates(self, fail_on: str) -> bool:
        """True when a finding at or above `fail_on` exists: the audit fails."""
        return bool(self.gating(fail_on))

    def findings_of(self, rule: Rule) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule.code]
