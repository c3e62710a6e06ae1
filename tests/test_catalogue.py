"""The rule catalogue: every rule is documented, coded by family, and silent on a clean release."""

from __future__ import annotations

import importlib
import re
from dataclasses import replace
from pathlib import Path

import pytest

from fracqa import inputs
from fracqa.catalogue import all_rules, select_rules
from fracqa.model import PREFIX_OF_FAMILY
from tests.helpers import EXPECTED_ON_REPLICA, SAMPLE_SETTINGS, audit_sample, findings_of

RULES = all_rules()
# The waiver rules look at a waivers file, not at the release: tests/test_waivers.py; the
# croissant rules run only against a description: tests/test_croissant.py.
RELEASE_RULES = [r for r in RULES if r.family not in ("waivers", "croissant")]
# The rules that read burned-in text run only with --ocr: silent on the sample with OCR here,
# on the full-size replica in `python -m benchmarks.ocr` (OCR of 4,083 images takes minutes).
OCR_RULES = [r for r in RELEASE_RULES if inputs.IMAGE_TEXT in r.needs]
DEFAULT_RULES = [r for r in RELEASE_RULES if r not in OCR_RULES]


def planted_cases() -> dict[str, tuple]:
    """Every PLANTED case of the test modules that define one ("module: case" -> (planter,
    rule, severity)); each module runs its own cases and asserts that the rule fires."""
    cases = {}
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        if re.search(r"^PLANTED\b", path.read_text(encoding="utf-8"), re.MULTILINE):
            module = importlib.import_module(f"tests.{path.stem}")
            cases.update({f"{path.stem}: {case}": entry
                          for case, entry in module.PLANTED.items()})  # fmt: skip
    return cases


ALL_PLANTED = planted_cases()


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_is_documented_and_coded_by_family(rule):
    assert rule.code.startswith(PREFIX_OF_FAMILY[rule.family])
    assert len(rule.code) == 6 and rule.code[3:].isdigit()
    assert "Why:" in rule.doc and "Fix:" in rule.doc
    assert rule.title and rule.name == rule.name.lower()


def test_codes_and_names_are_unique():
    assert len({r.code for r in RULES}) == len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=[r.code for r in DEFAULT_RULES])
def test_full_replica_raises_nothing(rule, full_audit):
    """Nothing but what the replica rightly reports: its official split and the paper's
    per-class region figures (EXPECTED_ON_REPLICA, tests/test_rules_balance.py)."""
    found = {f.location for f in findings_of(full_audit, rule.code)}
    assert found == EXPECTED_ON_REPLICA.get(rule.code, set())
    assert rule in full_audit.rules_run


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=[r.code for r in DEFAULT_RULES])
def test_sample_raises_nothing(rule, sample_root):
    result = audit_sample(sample_root, select=[rule.code])
    assert result.findings == [] and result.rules_run == [rule]


def test_sample_raises_nothing_with_ocr(sample_root):
    result = audit_sample(sample_root, select=[r.code for r in OCR_RULES],
                          settings=replace(SAMPLE_SETTINGS, ocr=True))
    assert result.findings == [] and result.rules_run == OCR_RULES


def test_planted_cases_name_a_rule_at_its_severity():
    rules = {r.code: r for r in RULES}
    assert len(ALL_PLANTED) > len(RULES)
    for case, entry in ALL_PLANTED.items():
        planter, code, severity = entry
        assert callable(planter), case
        assert code in rules, case
        assert severity == rules[code].severity.value, case


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_every_rule_has_a_planted_case(rule):
    assert [case for case, (_, code, _) in ALL_PLANTED.items() if code == rule.code], (
        f"no PLANTED case of any test module fires {rule.code} {rule.name}"
    )


def test_full_replica_counts(full_audit):
    assert full_audit.images == 4083


def test_selectors_match_codes_prefixes_and_names():
    assert [r.code for r in select_rules(["CSV00"], ["csv-unreadable"])][:2] == ["CSV002", "CSV003"]
    assert all(r.family == "layout" for r in select_rules(["lay"]))
    assert not any(r.family == "images" for r in select_rules(ignore=["IMG"]))


def test_waiver_rules_run_only_with_waivers():
    assert not any(r.family == "waivers" for r in select_rules())
    with_waivers = select_rules(["CSV001"], waivers=True)
    assert [r.code for r in with_waivers] == ["CSV001", "WAV001", "WAV002"]
    without_one = select_rules(["CSV001"], ["WAV002"], waivers=True)
    assert [r.code for r in without_one] == ["CSV001", "WAV001"]


def test_severity_overrides_take_the_most_specific_entry():
    rules = {r.code: r for r in select_rules(["STA", "IMG011"],
                                             severity={"STA": "error", "STA001": "info",
                                                       "duplicate-leakage": "warning"})}
    assert rules["STA001"].severity.value == "info"
    assert rules["STA002"].severity.value == "error"
    assert rules["IMG011"].severity.value == "warning"
