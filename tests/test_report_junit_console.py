"""JUnit XML (a test case per rule) and the console's grouped findings."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from fracqa.cli import main
from fracqa.reports import console, junit
from tests.helpers import SAMPLE_EXPECTATIONS
from tests.report_fixture import planted_release
from tests.report_schema import read_report


@pytest.fixture(scope="module")
def planted(sample_root, tmp_path_factory):
    return planted_release(sample_root, tmp_path_factory.mktemp("planted"))


@pytest.mark.parametrize("fail_on", ["error", "warning"])
def test_junit_has_a_testcase_per_rule_and_fails_the_gating_ones(planted, fail_on):
    _, result = planted
    suites = ElementTree.fromstring(junit.render(result, fail_on))
    cases = suites.findall("testsuite/testcase")
    assert len(cases) == len(result.rules_run)
    failing = {case.get("name").split()[0] for case in cases if case.find("failure") is not None}
    expected = {f.rule for f in result.gating(fail_on)}
    assert failing == expected and suites.get("failures") == str(len(expected))
    leak = next(c for c in cases if c.get("name").startswith("IMG011"))
    assert "leakage" in leak.find("failure").text
    if fail_on == "error":
        mixed = next(c for c in cases if c.get("name").startswith("CSV010"))
        assert mixed.find("failure") is None and "mixed" in mixed.find("system-out").text


def test_console_groups_findings_and_counts_the_rest(planted):
    _, result = planted
    text = console.render(result, per_rule=1, reports={"HTML": "/tmp/r.html"})
    leak = [line for line in text.splitlines() if line.startswith("IMG011 duplicate-leakage")]
    assert leak == ["IMG011 duplicate-leakage (1): the same radiograph is in two splits"]
    many = {f.rule for f in result.findings if sum(g.rule == f.rule for g in result.findings) > 1}
    for code in many:
        assert f"more {code} finding(s)" in text
    *_, reports, last = text.rstrip("\n").splitlines()
    assert reports == "HTML report: /tmp/r.html"
    assert last == "FAIL at --fail-on error: 4 errors (2 warnings)"


def test_the_cli_writes_every_report_and_names_them(planted, tmp_path, capsys):
    root, _ = planted
    outputs = {kind: tmp_path / f"out.{kind}" for kind in ("json", "html", "junit")}
    arguments = [arg for kind, path in outputs.items() for arg in (f"--{kind}", str(path))]
    code = main(["audit", str(root), "--expect", str(SAMPLE_EXPECTATIONS), *arguments])
    assert code == 1
    out = capsys.readouterr().out
    for path in outputs.values():
        assert path.stat().st_size > 1000
        assert str(path) in out
    ElementTree.parse(outputs["junit"])
    read_report(outputs["json"])
