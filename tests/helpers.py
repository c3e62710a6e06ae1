"""Small helpers the tests share."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fracqa.config import Settings
from fracqa.model import AuditRecord, Finding
from fracqa.runner import run_audit

REPO = Path(__file__).resolve().parent.parent


def findings_of(result: AuditRecord, code: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == code]


def codes(result: AuditRecord) -> set[str]:
    return {f.rule for f in result.findings}


def labels(root: Path) -> pd.DataFrame:
    """dataset.csv of a fixture tree, as integers where it can."""
    return pd.read_csv(root / "dataset.csv", encoding="utf-8-sig")


def image_with(root: Path, **flags: int) -> str:
    """The first image whose labels have the given values (e.g. fractured=0, mixed=0)."""
    table = labels(root)
    for column, value in flags.items():
        table = table[table[column] == value]
    return str(table["image_id"].iloc[len(table) // 2])


# What the full-size replica rightly reports (issue 15): its split is the official FracAtlas
# split, three ranges of ids, which puts every large image and most multi-fracture images in
# train; and its region and view flags reproduce the paper's per-class figures, where hand
# images are fractured far more often than leg images (28 % against 12 %), images of two
# regions more often than the others (109 of 414, 26 %, against 17 %: the locales and the
# per-class region counts give it) and oblique views less often (45 of 418, 11 %, against
# 18 %): four small-to-medium clinical associations (Cohen's h 0.22-0.45). Its ids do not
# come in runs of alike images: neighbours are alike 30 % of the time against 28 % for random
# pairs, a negligible effect (h 0.04), so STA010 is silent. rule -> the findings' locations.
EXPECTED_ON_REPLICA = {
    "STA005": {"image size", "file size", "fracture_count"},
    "STA006": {"id order"},
    "STA009": {"hand", "leg", "mixed", "oblique"},
}

SAMPLE_EXPECTATIONS = REPO / "fixtures" / "sample" / "expected.yaml"
# 40 images decode faster in the test's own process than in a pool started for them.
SAMPLE_SETTINGS = Settings(workers=1, expectations=SAMPLE_EXPECTATIONS)
# The statistics rules run Great Expectations; audits that do not test them leave them out.
NO_STATISTICS = ("STA",)


def audit_sample(root: Path, select=(), ignore=(), settings: Settings = SAMPLE_SETTINGS,
                 evidence: bool = False) -> AuditRecord:  # fmt: skip
    """Audit a copy of the sample release against the sample's own figures, in one process
    (with `evidence`, gathering what the HTML report shows)."""
    return run_audit(root, select, ignore, settings, evidence=evidence)


# The release-wide summary of the images' metadata (info) lists whatever metadata a planter
# writes (an EXIF orientation, an ICC profile); tests/test_rules_privacy.py checks it.
NO_SUMMARIES = ("PRV004",)


def audit_rules(root: Path, select=()) -> AuditRecord:
    """audit_sample without the statistics rules and the metadata summary: for the rule tests
    of the other families."""
    return audit_sample(root, select, NO_STATISTICS + NO_SUMMARIES)


def planted_finding(root: Path, planted: tuple) -> tuple[str | None, AuditRecord, Finding]:
    """Plant one case of a rules test module's PLANTED table ((planter, rule, severity)) in
    `root`, audit it with audit_rules and check what such a case gives: one finding of its rule,
    about the image the planter named (None: the release), at the case's severity. The image,
    the audit and that finding."""
    planter, code, severity = planted
    image_id = planter(root)
    result = audit_rules(root)
    found = findings_of(result, code)
    assert [f.image_id for f in found] == [image_id], result.findings
    assert found[0].severity.value == severity
    return image_id, result, found[0]
