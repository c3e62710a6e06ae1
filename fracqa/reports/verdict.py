"""The verdict of an audit at a --fail-on level, in the words every output uses: the console's
last line, the HTML report's banner, the JSON report's `ok`, `fail_on` and `exit_code`.

    FAIL at --fail-on warning: 30 warnings, no error
    PASS at --fail-on error: no error (3 warnings)
"""

from __future__ import annotations

from dataclasses import dataclass

from fracqa.model import AuditRecord, Severity

EXIT_OK, EXIT_FINDINGS = 0, 1  # the exit codes an audit that ran can end with
_GATED = {"error": (Severity.ERROR,), "warning": (Severity.ERROR, Severity.WARNING), "never": ()}


@dataclass(frozen=True)
class Verdict:
    ok: bool  # no finding at or above fail_on that no waiver accepts
    fail_on: str  # error | warning | never
    reason: str  # why, in counts: "30 warnings, no error"

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FINDINGS

    @property
    def word(self) -> str:
        return "PASS" if self.ok else "FAIL"

    @property
    def line(self) -> str:
        """The one line that ends the console output."""
        return f"{self.word} at --fail-on {self.fail_on}: {self.reason}"


def verdict(result: AuditRecord, fail_on: str = "error") -> Verdict:
    """Whether `result` passes at `fail_on`, and why: the counts of the severities that gate
    (the non-zero ones first), then in brackets the other findings and the waived ones."""
    gated = _GATED[fail_on]
    counts = {severity: result.count(severity) for severity in Severity}
    gating = [severity for severity in gated if counts[severity]]
    clear = [severity for severity in gated if not counts[severity]]
    words = [_count(counts[s], s.value) for s in gating] + [f"no {s.value}" for s in clear]
    reason = ", ".join(words) if words else "nothing gates"
    others = [_count(counts[s], s.value) for s in Severity if s not in gated and counts[s]]
    if result.waivers_file and result.waived:
        others.append(f"{len(result.waived)} waived")
    if others:
        reason += f" ({', '.join(others)})"
    return Verdict(ok=not result.gates(fail_on), fail_on=fail_on, reason=reason)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
