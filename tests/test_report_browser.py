"""The HTML report in a real browser: headless Chromium (the system's) renders it with no console
error and no network request, it opens on the verdict and the findings (the first one on the
first screen, the table of every rule after them, collapsed), the filters hide and show
findings, and a screenshot is saved."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import sync_playwright

from fracqa.reports import html
from tests.report_fixture import planted_release

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def report(sample_root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    _, result = planted_release(sample_root, folder)
    path = folder / "report.html"
    path.write_text(html.render(result, "error"), encoding="utf-8")
    return path, result


@pytest.fixture(scope="module")
def browser():
    assert shutil.which(CHROMIUM), "the browser test needs Chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def test_renders_offline_filters_and_screenshots(report, browser, tmp_path):
    path, result = report
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")

    assert errors == []
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []

    total = len(result.findings)
    visible = page.locator("li.finding:visible")
    assert visible.count() == total
    assert page.locator("#shown").inner_text() == f"showing {total} of {total} findings"

    page.uncheck("input[name=severity][value=error]")
    warnings = sum(f.severity.value == "warning" for f in result.findings)
    assert visible.count() == warnings
    page.check("input[name=severity][value=error]")
    page.fill("input[name=text]", "onerror")
    assert 0 < visible.count() < total
    page.fill("input[name=text]", "no such finding anywhere")
    assert visible.count() == 0 and page.locator("#nothing").is_visible()
    page.fill("input[name=text]", "")
    page.select_option("select[name=rule]", "IMG011")
    assert visible.count() == 1
    page.select_option("select[name=rule]", "")
    assert visible.count() == total

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    assert errors == []
    page.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900},
                                      {"width": 1024, "height": 768}])  # fmt: skip
def test_opens_on_the_verdict_and_the_first_finding(report, browser, viewport):
    path, result = report
    page = browser.new_page(viewport=viewport)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")

    verdict = page.locator("#verdict")
    assert verdict.inner_text() == "FAIL at --fail-on error: 4 errors (2 warnings)"
    assert verdict.bounding_box()["y"] < 150

    first = page.locator("li.finding").first
    line = first.locator(".line").bounding_box()
    assert line["y"] + line["height"] <= viewport["height"], line  # on the first screen
    assert first.get_attribute("data-severity") == "error"  # what fails the release comes first

    rules = page.locator("details.rules")
    assert rules.get_attribute("open") is None  # collapsed
    assert not page.locator("table.rule-status").is_visible()
    assert page.locator("#rules").bounding_box()["y"] > page.locator("#findings").bounding_box()[
        "y"] + page.locator("#findings").bounding_box()["height"] - 1
    page.click("details.rules > summary")
    assert page.locator("table.rule-status").is_visible()
    assert page.locator("table.rule-status tbody tr").count() == len(result.rules_run)
    page.close()
