"""Support for the property-based tests: how many cases ran, and how to run one."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from fixtures.defects import replace_file
from fracqa.config import Settings
from fracqa.model import AuditRecord
from fracqa.reports import json_report
from fracqa.runner import run_audit
from tests.helpers import SAMPLE_EXPECTATIONS
from tests.report_schema import assert_valid_report

CASES_RUN: Counter = Counter()
# 2,000 generated cases per source format by default; FRACQA_FUZZ_EXAMPLES asks for more (or
# fewer, for a quick local run).
EXAMPLES = int(os.environ.get("FRACQA_FUZZ_EXAMPLES", "2000"))
# One process, no statistics: each case must take milliseconds; the image scan and the figures
# have their own tests.
SETTINGS = Settings(workers=1, expectations=SAMPLE_EXPECTATIONS)


def audit_mutated(root: Path, path: Path, content: bytes, source: str) -> AuditRecord:
    """Audit `root` with `path` holding `content`, then put the original back. Whatever the
    content, the audit completes, no rule breaks, and the JSON report is valid JSON that follows
    the report's schema."""
    original = path.read_bytes()
    replace_file(path, content)
    try:
        result = run_audit(root, ignore=["STA"], settings=SETTINGS)
    finally:
        replace_file(path, original)
    CASES_RUN[source] += 1
    broken = [f for f in result.findings if "could not finish" in f.message]
    assert broken == [], broken
    assert_valid_report(json.loads(json_report.render(result)))
    return result


def counted(run, record_property) -> None:
    """Run a hypothesis test and record how many cases it generated, per source, for the
    session's summary (recorded as a test property, so that it survives pytest-xdist)."""
    before = CASES_RUN.copy()
    run()
    for source, count in (CASES_RUN - before).items():
        record_property("generated_cases", f"{source}={count}")
