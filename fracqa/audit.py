"""Run the flow: locate -> load -> check, and gather the findings into an AuditResult."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from fracqa import __version__, evidence
from fracqa.catalogue import select_rules
from fracqa.checks.statistics import statistics
from fracqa.config import Settings
from fracqa.layout import locate
from fracqa.load.expectations import load_expectations
from fracqa.load.identity import release_identity
from fracqa.model import AuditResult, Finding, Hit, Rule
from fracqa.release import Release, load_release


def run_audit(
    root: Path | str,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    settings: Settings | None = None,
) -> AuditResult:
    """Audit the release at `root` with the selected rules.

    Raises NotARelease when the root cannot be audited at all, UnknownSelector for a
    select/ignore entry that names no rule, BadExpectations for an unusable expectations file.
    """
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    rules = select_rules(select, ignore)
    settings = settings or Settings()
    ran_statistics = any(rule.family == "statistics" for rule in rules)
    expectations = load_expectations(settings.expectations) if ran_statistics else None
    layout = locate(root)
    release = load_release(layout, settings, expectations)
    findings = [finding for rule in rules for finding in _apply(rule, release)]
    findings.sort(key=Finding.sort_key)
    result = AuditResult(
        root=layout.root,
        version=__version__,
        findings=findings,
        rules_run=rules,
        images=int(release.images["image_id"].nunique()),
        seconds=0.0,
        statistics=statistics(release) if ran_statistics else None,
        started_at=started_at,
        identity=release_identity(release),
        evidence=evidence.gather(release, findings),
        distributions=evidence.distributions(release),
    )
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _apply(rule: Rule, release: Release) -> list[Finding]:
    try:
        return [Finding.of(rule, hit) for hit in rule.check(release)]
    except Exception as error:  # noqa: BLE001 - one broken rule must not stop the audit
        hit = Hit(
            f"rule {rule.code} could not finish: {type(error).__name__}: {error}. "
            "This is a bug in fracqa; the other rules ran.",
            details={"exception": type(error).__name__},
        )
        return [Finding.of(rule, hit)]
