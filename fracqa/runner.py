"""Run the flow: select the rules -> locate -> load what they need -> check, and gather the
findings into an AuditRecord."""

from __future__ import annotations

import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from fracqa import __version__, inputs
from fracqa.catalogue import function_of, select_rules
from fracqa.config import Settings
from fracqa.errors import where_it_failed
from fracqa.layout import locate
from fracqa.load.expectations import load_expectations
from fracqa.load.identity import release_identity
from fracqa.memory import return_large_blocks
from fracqa.model import AuditRecord, Fault, Finding, Hit, Rule, Severity
from fracqa.options import Options
from fracqa.release import Release, RuleView, load_release
from fracqa.waivers import Waivers, Waiving, apply_waivers, load_waivers
from fracqa.workers import Standby


def run_audit(
    root: Path | str,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    settings: Settings | None = None,
    severity: Mapping[str, str] | None = None,
    waivers: Waivers | None = None,
    evidence: bool = False,
) -> AuditRecord:
    """Audit the release at `root` with the selected rules, at the severities `severity` gives
    them, marking the findings `waivers` accept; with `evidence`, gather what the HTML report
    shows beside the findings.

    Raises NotARelease when the root cannot be audited at all, UnknownSelector for a
    select/ignore/severity entry that names no rule, BadExpectations for an unusable
    expectations file.
    """
    return audit_release(root, select, ignore, settings, severity, waivers, evidence)[0]


def audit_with(root: Path | str, options: Options, evidence: bool = False,
               load: frozenset[str] = frozenset(),
               standby: Standby | None = None) -> tuple[AuditRecord, Release]:  # fmt: skip
    """Audit the release at `root` with everything `options` configures, its waivers file
    included; returns the loaded release too, with the inputs in `load` loaded whatever the
    rules need (`fracqa diff` compares them). The published figures are measured in the
    `standby` process if one is given (see `figures.standby`)."""
    waivers = load_waivers(options.waivers) if options.waivers else None
    return audit_release(root, options.select, options.ignore, options.settings,
                         options.severity, waivers, evidence, load, standby)  # fmt: skip


# What is read in the worker pool (the images) or a process of its own (the figures): the
# rules that read none of it run while those are read, the others after.
LATE_INPUTS = frozenset({inputs.IMAGE_FILES, inputs.IMAGE_HEADERS, inputs.IMAGE_SCAN,
                         inputs.IMAGE_TEXT, inputs.FIGURES})  # fmt: skip


def audit_release(
    root: Path | str,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    settings: Settings | None = None,
    severity: Mapping[str, str] | None = None,
    waivers: Waivers | None = None,
    evidence: bool = False,
    load: frozenset[str] = frozenset(),
    standby: Standby | None = None,
) -> tuple[AuditRecord, Release]:
    """run_audit, also returning the loaded release (its tables), which `fracqa diff` compares."""
    return_large_blocks()
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    settings = settings or Settings()
    rules = select_rules(select, ignore, severity, waivers=waivers is not None,
                         croissant=settings.croissant is not None,
                         ocr=settings.ocr)  # fmt: skip
    if settings.ocr:
        from fracqa.load.burned_text import require_tesseract

        require_tesseract()
    release_rules = [rule for rule in rules if rule.family != "waivers"]
    needs = inputs.needed_inputs(release_rules) | inputs.closure(load)
    expectations = load_expectations(settings.expectations) if inputs.FIGURES in needs else None
    layout = locate(root)
    faults: list[Fault] = []
    redactions: dict[str, str] = {}
    findings: list[Finding] = []
    early = [rule for rule in release_rules if not rule.needs & LATE_INPUTS]

    def check(release: Release, chosen: list[Rule]) -> None:
        release.running = frozenset(rule.code for rule in release_rules)
        findings.extend(finding for rule in chosen
                        for finding in _apply(rule, RuleView(release, rule), faults, redactions))

    release = load_release(layout, settings, needs, expectations,
                           meanwhile=lambda: _import_checks(rules),
                           early=lambda loaded: check(loaded, early),
                           standby=standby)  # fmt: skip
    check(release, [rule for rule in release_rules if rule.needs & LATE_INPUTS])
    findings = redact_findings(findings, redactions)
    if waivers is not None:
        waiving = apply_waivers(findings, waivers, release_rules)
        findings = waiving.findings + [
            finding for rule in rules if rule.family == "waivers"
            for finding in _apply(rule, waiving, faults)
        ]  # fmt: skip
    findings.sort(key=Finding.sort_key)
    result = AuditRecord(
        root=layout.root,
        version=__version__,
        findings=findings,
        rules_run=rules,
        images=int(release.images["image_id"].nunique()),
        seconds=0.0,
        statistics=release.figures.rows() if release.figures is not None else None,
        started_at=started_at,
        identity=release_identity(release),
        distributions=_distributions(release),
        waivers_file=str(waivers.path) if waivers is not None else None,
        faults=faults,
        redactions=redactions,
    )
    if evidence:
        gather_evidence(result, release)
    result.seconds = round(time.perf_counter() - started, 3)
    return result, release


def _import_checks(rules: Sequence[Rule]) -> None:
    """Import the rules' modules (pandera alone takes a third of a second), while the worker
    pool reads the release."""
    for rule in rules:
        function_of(rule)


def gather_evidence(result: AuditRecord, release: Release) -> None:
    """Add to `result` what the HTML report shows beside its findings (thumbnails included)."""
    from fracqa import evidence

    gathered = evidence.gather(release, result.findings)
    result.evidence = redact_evidence(gathered, result.redactions)
    result.evidence_gathered = True


def _distributions(release: Release) -> dict:
    from fracqa import evidence

    return evidence.distributions(release)


def redact_findings(findings: list[Finding], redactions: dict[str, str]) -> list[Finding]:
    """The findings with every identifying value a privacy rule found replaced by its masked
    form, whichever rule's finding shows it (a file name that holds a patient's name is named
    by the image rules too)."""
    if not redactions:
        return findings
    scrub = _scrubber(redactions)
    return [replace(f, message=scrub(f.message), image_id=scrub(f.image_id), file=scrub(f.file),
                    location=scrub(f.location), details=scrub(f.details))
            for f in findings]  # fmt: skip


def redact_evidence(gathered: dict[str, dict], redactions: dict[str, str]) -> dict[str, dict]:
    """The evidence under redacted image ids, its texts redacted (thumbnails are pixels)."""
    if not redactions:
        return gathered
    from fracqa.identifiers import redact

    scrub = _scrubber(redactions, keep=lambda key: key.endswith("thumbnail"))
    return {redact(image_id, redactions): scrub(entry) for image_id, entry in gathered.items()}


def _scrubber(redactions: dict[str, str], keep=lambda key: False):
    """A function giving a value (text, or dicts and lists of them) with every identifying
    value masked; the values of dict keys that `keep` names are left as they are."""
    from fracqa.identifiers import redact

    def scrub(value):
        if isinstance(value, str):
            return redact(value, redactions)
        if isinstance(value, dict):
            return {(k if keep(k) else scrub(k)): (v if keep(k) else scrub(v))
                    for k, v in value.items()}  # fmt: skip
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return scrub


def _apply(rule: Rule, subject: RuleView | Waiving, faults: list[Fault] | None = None,
           redactions: dict[str, str] | None = None) -> list[Finding]:  # fmt: skip
    """The rule's findings. A rule that raises is a fault of fracqa (added to `faults`): its
    one finding says so, as an error no waiver accepts, whatever the rule's own severity. The
    identifying values its hits found are added to `redactions` (value -> masked form)."""
    try:
        hits = list(rule.check(subject))
        if redactions is not None:
            for hit in hits:
                redactions.update(hit.secrets)
        return [Finding.of(rule, hit) for hit in hits]
    except Exception as error:  # noqa: BLE001 - one broken rule must not stop the audit
        where = where_it_failed(error)
        hit = Hit(
            f"rule {rule.code} could not finish: {type(error).__name__}: {error}. "
            "This is a bug in fracqa; the other rules ran.",
            details={"exception": type(error).__name__, "internal_error": True,
                     "where": where},
        )  # fmt: skip
        if faults is not None:
            faults.append(Fault(f"rule {rule.code} {rule.name}", f"{type(error).__name__}: "
                                f"{error}", where, traceback.format_exc()))  # fmt: skip
        return [Finding.of(replace(rule, severity=Severity.ERROR), hit)]
