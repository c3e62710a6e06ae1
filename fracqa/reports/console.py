"""The console report: the findings grouped by rule (the first few of each, one line each, and
how many more), a summary table by family and severity, where the reports were written, and
last the verdict line (`PASS at --fail-on error: no error (3 warnings)`)."""

from __future__ import annotations

from collections import Counter

from fracqa.model import FAMILIES, AuditRecord, Finding, Severity
from fracqa.reports.verdict import Verdict, verdict

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}
_VERDICT_COLOURS = {True: "1;32", False: "1;31"}  # bold green PASS, bold red FAIL


FIRST_FEW = 5


def render(result: AuditRecord, colour: bool = False, per_rule: int | None = FIRST_FEW,
           reports: dict[str, str] | None = None, fail_on: str = "error",
           listing: bool = True) -> str:  # fmt: skip
    """The console text; `per_rule` findings of each rule (all when None), then the waived
    findings, the summary, the `reports` written ({"HTML": path, ...}) and the verdict line
    at `fail_on`. Without `listing`, the summary, the reports and the verdict only."""
    lines = []
    for rule in result.rules_run if listing else ():
        findings = [f for f in result.findings_of(rule) if not f.waived]
        if not findings:
            continue
        header = f"{rule.code} {rule.name} ({len(findings)}): {rule.title}"
        lines.append(_paint(header, rule.severity, colour))
        shown = findings if per_rule is None else findings[:per_rule]
        lines.extend(f"  {_finding_line(f, colour)}" for f in shown)
        if len(findings) > len(shown):
            lines.append(f"  ... and {len(findings) - len(shown)} more {rule.code} finding(s)")
        lines.append("")
    lines.extend(_waived(result, per_rule) if listing else [])
    lines.extend(_summary(result, colour))
    lines.extend(report_lines(reports))
    lines.append(verdict_line(verdict(result, fail_on), colour))
    return "\n".join(lines) + "\n"


def report_lines(reports: dict[str, str] | None) -> list[str]:
    """`HTML report: PATH`, one line per report written."""
    return [f"{kind} report: {path}" for kind, path in (reports or {}).items()]


def verdict_line(judged: Verdict, colour: bool = False) -> str:
    """`FAIL at --fail-on warning: 30 warnings, no error`, its first word in colour."""
    word = f"\x1b[{_VERDICT_COLOURS[judged.ok]}m{judged.word}\x1b[0m" if colour else judged.word
    return f"{word}{judged.line.removeprefix(judged.word)}"


def where(finding: Finding) -> str:
    """`file:line` when the finding has a line, else the file, else the image, else `.`; and
    the image, when the finding names one that neither its place nor its message shows."""
    place = finding.file or finding.image_id or "."
    if finding.location and finding.location.startswith("line "):
        place = f"{place}:{finding.location.removeprefix('line ')}"
    elif finding.location:
        place = f"{place} ({finding.location})"
    image = finding.image_id
    if image and image not in place and image not in finding.message:
        place += f" ({image})"
    return place


def line_of(location: str | None) -> int | None:
    """The line number a finding's location gives (`line 17`), else None."""
    if location and location.startswith("line "):
        number = location.removeprefix("line ").strip()
        if number.isdigit() and int(number) > 0:
            return int(number)
    return None


def finding_text(finding: Finding) -> str:
    """One finding on one line, as every text output shows it."""
    waived = f" (waived: {finding.waiver_reason or 'no reason given'})" if finding.waived else ""
    return f"{where(finding)}: {finding.rule} [{finding.severity.value}] {finding.message}{waived}"


def _paint(text: str, severity: Severity, colour: bool) -> str:
    return f"\x1b[{_COLOURS[severity]}m{text}\x1b[0m" if colour else text


def _finding_line(finding: Finding, colour: bool) -> str:
    label = _paint(f"[{finding.severity.value}]", finding.severity, colour)
    return f"{where(finding)}: {finding.rule} {label} {finding.message}"


def _waived(result: AuditRecord, shown: int | None) -> list[str]:
    """The findings waivers accept, apart from the others, with their reasons."""
    waived = result.waived
    if not waived:
        return []
    lines = [f"Waived by {result.waivers_file} ({len(waived)}): accepted, not gating"]
    listed = waived if shown is None else waived[:shown]
    lines.extend(f"  {finding_text(f)}" for f in listed)
    if len(waived) > len(listed):
        lines.append(f"  ... and {len(waived) - len(listed)} more waived finding(s)")
    return [*lines, ""]


def _summary(result: AuditRecord, colour: bool) -> list[str]:
    counts = Counter((f.family, f.severity) for f in result.open)
    run = Counter(r.family for r in result.rules_run)
    header = f"{'family':<12} {'rules':>5} {'errors':>7} {'warnings':>9} {'infos':>6}"
    rows = [header, "-" * len(header)]
    for family in FAMILIES:
        if not run[family]:
            continue
        rows.append(
            f"{family:<12} {run[family]:>5} {counts[family, Severity.ERROR]:>7} "
            f"{counts[family, Severity.WARNING]:>9} {counts[family, Severity.INFO]:>6}"
        )
    errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
    rows.append("-" * len(header))
    rows.append(
        f"{'total':<12} {len(result.rules_run):>5} {errors:>7} {warnings:>9} "
        f"{result.count(Severity.INFO):>6}"
    )
    audited = f"{result.images} images audited in {result.seconds:.1f} s: "
    if errors:
        audited += _paint(f"{errors} error(s), {warnings} warning(s)", Severity.ERROR, colour)
    elif warnings:
        audited += _paint(f"no errors, {warnings} warning(s)", Severity.WARNING, colour)
    else:
        audited += "no errors, no warnings"
    if result.waivers_file:
        audited += f" ({len(result.waived)} waived)"
    rows.extend(["", audited])
    return rows
