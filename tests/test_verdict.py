"""The verdict line: PASS or FAIL at the --fail-on level and why, in counts, the same in every
output (the console's last line, the JSON report, the HTML banner)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fracqa.catalogue import find_rule
from fracqa.model import AuditRecord, Finding, Hit
from fracqa.reports import console, json_report
from fracqa.reports.verdict import verdict
from tests.report_schema import assert_valid_report

ERROR, WARNING, INFO = (find_rule(code) for code in ("IMG001", "CSV010", "WAV002"))


def record(errors: int = 0, warnings: int = 0, infos: int = 0, waived: int = 0,
           waivers_file: str | None = None) -> AuditRecord:  # fmt: skip
    findings = [Finding.of(rule, Hit(f"{rule.code} #{i}", f"IMG{i:07d}.jpg", "dataset.csv"))
                for rule, count in ((ERROR, errors), (WARNING, warnings), (INFO, infos))
                for i in range(count)]  # fmt: skip
    findings += [replace(Finding.of(ERROR, Hit(f"accepted #{i}")), waived=True,
                         waiver_reason="known") for i in range(waived)]  # fmt: skip
    return AuditRecord(root=Path("/releases/FracAtlas"), version="0.1.0", findings=findings,
                       rules_run=[ERROR, WARNING, INFO], images=40, seconds=1.0,
                       waivers_file=waivers_file)  # fmt: skip


@pytest.mark.parametrize(
    ("counts", "fail_on", "line"),
    [
        ({"warnings": 30}, "warning", "FAIL at --fail-on warning: 30 warnings, no error"),
        ({"warnings": 3}, "error", "PASS at --fail-on error: no error (3 warnings)"),
        ({}, "error", "PASS at --fail-on error: no error"),
        ({}, "warning", "PASS at --fail-on warning: no error, no warning"),
        ({"errors": 1}, "error", "FAIL at --fail-on error: 1 error"),
        ({"errors": 2, "warnings": 1, "infos": 4}, "error",
         "FAIL at --fail-on error: 2 errors (1 warning, 4 infos)"),
        ({"errors": 1}, "warning", "FAIL at --fail-on warning: 1 error, no warning"),
        ({"errors": 2, "warnings": 5}, "warning",
         "FAIL at --fail-on warning: 2 errors, 5 warnings"),
        ({"errors": 2, "warnings": 5}, "never",
         "PASS at --fail-on never: nothing gates (2 errors, 5 warnings)"),
        ({"infos": 2}, "warning", "PASS at --fail-on warning: no error, no warning (2 infos)"),
        ({"warnings": 1, "waived": 3, "waivers_file": "waivers.toml"}, "error",
         "PASS at --fail-on error: no error (1 warning, 3 waived)"),
    ],
)  # fmt: skip
def test_the_verdict_line_says_pass_or_fail_and_why(counts, fail_on, line):
    judged = verdict(record(**counts), fail_on)
    assert judged.line == line
    assert judged.ok is line.startswith("PASS")
    assert judged.exit_code == (0 if judged.ok else 1)


def test_waived_errors_do_not_fail_the_verdict():
    result = record(waived=2, waivers_file="waivers.toml")
    assert verdict(result, "error").line == "PASS at --fail-on error: no error (2 waived)"
    assert not result.gates("error")


@pytest.mark.parametrize("fail_on", ["error", "warning", "never"])
def test_the_verdict_is_the_gate(fail_on):
    """The verdict never disagrees with what decides the exit code."""
    for counts in ({}, {"errors": 1}, {"warnings": 1}, {"infos": 1}):
        result = record(**counts)
        assert verdict(result, fail_on).ok is not result.gates(fail_on)


def test_the_console_ends_with_the_verdict_line():
    result = record(errors=1, warnings=2)
    text = console.render(result, reports={"HTML": "/tmp/r.html"}, fail_on="warning")
    lines = text.rstrip("\n").splitlines()
    assert lines[-1] == "FAIL at --fail-on warning: 1 error, 2 warnings"
    assert lines[-2] == "HTML report: /tmp/r.html"
    assert text.count("FAIL at") == 1


def test_the_verdict_word_is_coloured_only_when_asked():
    result = record(errors=1)
    plain = console.render(result).splitlines()[-1]
    coloured = console.render(result, colour=True).splitlines()[-1]
    assert plain == "FAIL at --fail-on error: 1 error" and "\x1b[" not in plain
    assert coloured == "\x1b[1;31mFAIL\x1b[0m at --fail-on error: 1 error"
    passed = console.render(record(), colour=True).splitlines()[-1]
    assert passed.startswith("\x1b[1;32mPASS\x1b[0m at --fail-on error")


def test_without_the_listing_the_console_keeps_the_summary_and_the_verdict():
    result = record(errors=1, warnings=1)
    text = console.render(result, listing=False)
    assert "IMG001 #0" not in text and "CSV010 #0" not in text
    assert "total" in text
    assert text.rstrip().endswith("FAIL at --fail-on error: 1 error (1 warning)")


def test_the_json_report_carries_the_same_verdict():
    document = json_report.to_dict(record(warnings=3), "warning")
    assert (document["ok"], document["fail_on"], document["exit_code"]) == (False, "warning", 1)
    assert document["verdict"] == "FAIL at --fail-on warning: 3 warnings, no error"
    assert_valid_report(document)


def test_a_record_without_digests_still_names_every_part_of_the_identity():
    """A record made by hand (the fuzz tests make one) has no identity: its report names
    every part, as null, and keeps whatever digests it has."""
    assert json_report.to_dict(record())["identity"] == {
        "dataset.csv": None, "images": None,
        "annotations": {"coco": None, "vgg": None, "yolo": None, "voc": None}}  # fmt: skip
    partial = record()
    partial.identity = {"dataset.csv": "0" * 64, "annotations": {"coco": "1" * 64}}
    shown = json_report.to_dict(partial)["identity"]
    assert shown["dataset.csv"] == "0" * 64 and shown["images"] is None
    assert shown["annotations"] == {"coco": "1" * 64, "vgg": None, "yolo": None, "voc": None}
