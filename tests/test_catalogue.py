"""The rule catalogue: every rule is documented, coded by family, and silent on a clean release."""

from __future__ import annotations

import pytest

from fracqa.catalogue import all_rules, select_rules
from fracqa.model import PREFIX_OF_FAMILY
from tests.helpers import audit_sample, findings_of

RULES = all_rules()
# The waiver rules look at a waivers file, not at the release: tests/test_waivers.py.
RELEASE_RULES = [r for r in RULES if r.family != "waivers"]


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_is_documented_and_coded_by_family(rule):
    assert rule.code.startswith(PREFIX_OF_FAMILY[rule.family])
    assert len(rule.code) == 6 and rule.code[3:].isdigit()
    assert "Why:" in rule.doc and "Fix:" in rule.doc
    assert rule.title and rule.name == rule.name.lower()


def test_codes_and_names_are_unique():
    assert len({r.code for r in RULES}) == len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RELEASE_RULES, ids=[r.code for r in RELEASE_RULES])
def test_full_replica_raises_nothing(rule, full_audit):
    assert findings_of(full_audit, rule.code) == []
    assert rule in full_audit.rules_run


@pytest.mark.parametrize("rule", RELEASE_RULES, ids=[r.code for r in RELEASE_RULES])
def test_sample_raises_nothing(rule, sample_root):
    result = audit_sample(sample_root, select=[rule.code])
    assert result.findings == [] and result.rules_run == [rule]


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
