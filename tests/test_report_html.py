"""The HTML report: self-contained, escaped, and showing what the audit found."""

from __future__ import annotations

import re

import pytest

from fracqa.reports import html
from tests.report_fixture import HOSTILE_NAME, planted_release


@pytest.fixture(scope="module")
def planted(sample_root, tmp_path_factory):
    return planted_release(sample_root, tmp_path_factory.mktemp("planted"))


@pytest.fixture(scope="module")
def page(planted) -> str:
    return html.render(planted[1], "error")


def test_the_report_is_self_contained(page):
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # the page itself forbids any fetch
    assert page.count("data:image/jpeg;base64,") >= 2


def test_dataset_strings_are_escaped(page, planted):
    _, result = planted
    assert any(f.image_id == HOSTILE_NAME for f in result.findings)
    assert "<img src=x" not in page
    assert "IMG&lt;img src=x onerror=alert(1)&gt;.jpg" in page


def test_verdict_and_identity(page, planted):
    root, result = planted
    assert '<header class="banner fail">' in page and ">FAIL<" in page
    verdict = "FAIL at --fail-on error: 4 errors (2 warnings)"
    assert f'<p class="reason" id="verdict">{verdict}</p>' in page
    assert result.identity["dataset.csv"] in page
    assert str(root.resolve()) in page and result.version in page
    assert "exit code 1 at --fail-on error" in page


def test_the_page_opens_on_the_verdict_and_the_findings(page):
    """The banner, then the findings; the release, the summary and the table of every rule
    (collapsed) after them."""
    order = [page.index(marker) for marker in ('id="verdict"', '<section id="findings">',
                                               '<section id="identity">', '<section id="summary">',
                                               '<section id="rules">')]  # fmt: skip
    assert order == sorted(order)
    assert '<details class="rules">' in page  # closed: no `open`


def test_rules_with_errors_come_first(page, planted):
    _, result = planted
    shown = re.findall(r'<details class="group" id="rule-([A-Z]{3}[0-9]{3})"', page)
    worst = {f.rule: min(g.severity.rank for g in result.findings if g.rule == f.rule)
             for f in result.findings}  # fmt: skip
    assert sorted(shown) == sorted(worst)
    assert [worst[code] for code in shown] == sorted(worst[code] for code in shown)
    assert worst[shown[0]] == 0 and worst[shown[-1]] == 1


def test_every_rule_that_ran_has_a_status(page, planted):
    _, result = planted
    for rule in result.rules_run:
        assert f"<code>{rule.code}</code>" in page
    assert page.count('class="status clean"') == len(result.rules_run) - len(
        {f.rule for f in result.findings}
    )


def test_findings_are_grouped_by_rule_with_their_evidence(page, planted):
    _, result = planted
    for code in {f.rule for f in result.findings}:
        assert f'id="rule-{code}"' in page
    assert page.count('<li class="finding') == len(result.findings)
    leakage = re.search(r'id="rule-IMG011".*?</details>\s*</li>', page, flags=re.S).group(0)
    assert leakage.count('<figure class="evidence">') == 2  # the pair, side by side
    drift = re.search(r'id="rule-ANN018".*?</ol>', page, flags=re.S).group(0)
    assert 'stroke="#1f77b4"' in drift and 'stroke="#d62728"' in drift  # YOLO and COCO drawn


def test_statistics_and_charts(page, planted):
    _, result = planted
    assert page.count("<tr class=\"ok\">") + page.count('<tr class="differs">') == len(
        result.statistics
    )
    assert page.count('<figure class="chart">') == 4
    assert "fracture_count (images)" in page


def test_a_clean_release_says_so(sample_root):
    from tests.helpers import audit_sample

    page = html.render(audit_sample(sample_root, evidence=True), "error")
    assert ">PASS<" in page and "No findings: every rule that ran is clean." in page
    assert ">PASS at --fail-on error: no error</p>" in page
