"""The CI output formats: GitHub Actions workflow commands (one annotation per finding, escaped
as GitHub's runner reads them) and SARIF 2.1.0 for GitHub code scanning."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from fracqa.catalogue import find_rule
from fracqa.cli import main
from fracqa.model import AuditRecord, Finding, Hit
from fracqa.reports import github, sarif
from fracqa.reports.console import line_of
from tests.helpers import SAMPLE_EXPECTATIONS
from tests.report_fixture import HOSTILE_NAME, planted_release
from tests.sarif_schema import sarif_errors

COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


@pytest.fixture(scope="module")
def planted(sample_root, tmp_path_factory):
    return planted_release(sample_root, tmp_path_factory.mktemp("planted"))


def unescape(text: str) -> str:
    """What GitHub's runner reads back from an escaped value (the inverse of its escaping)."""
    for escaped, raw in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """(command, properties, message) of one workflow command line, unescaped."""
    match = COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    command, listed, message = match.groups()
    properties = dict(item.split("=", 1) for item in listed.split(","))
    return command, {k: unescape(v) for k, v in properties.items()}, unescape(message)


def hostile_record(root: Path) -> AuditRecord:
    """One finding whose message and file hold every character GitHub makes special."""
    rule = find_rule("CSV010")
    finding = Finding.of(rule, Hit("50% off:\r\nline two, ::error::injected", "IMG0000001.jpg",
                                   "odd, name: 100%.csv", "line 7"))  # fmt: skip
    return AuditRecord(root=root, version="0.1.0", findings=[finding], rules_run=[rule],
                       images=1, seconds=0.0)  # fmt: skip


# ------------------------------------------------------------------------------ GitHub


def test_escaping_follows_githubs_rules():
    assert github.escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert github.escape_data("a: b, c") == "a: b, c"  # the message keeps : and ,
    assert github.escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"
    assert github.escape_data("%0A") == "%250A"  # an escape in the text is not read as one


def test_one_annotation_per_open_finding_with_file_line_and_title(planted):
    root, result = planted
    lines = github.render(result, base=root.parent).splitlines()
    assert len(lines) == len(result.open) > 3
    for line, finding in zip(lines, result.open, strict=True):
        command, properties, message = parse_command(line)
        assert command == {"error": "error", "warning": "warning", "info": "notice"}[
            finding.severity.value]
        assert properties["title"] == f"{finding.rule} {finding.name}"
        assert properties["file"] == f"{root.name}/{finding.file}"
        assert properties.get("line") == (str(line_of(finding.location))
                                          if line_of(finding.location) else None)  # fmt: skip
        assert message.startswith(finding.message)
    lined = [parse_command(line)[1] for line in lines if ",line=" in line]
    assert any(p["file"].endswith("dataset.csv") for p in lined)  # CSV010's row
    assert any(p["file"].endswith(".txt") for p in lined)  # ANN018's YOLO line
    assert all(p["file"].endswith(("dataset.csv", ".txt")) for p in lined)
    hostile = [parse_command(line) for line in lines if HOSTILE_NAME in line]
    assert hostile and all("\n" not in line for line in lines)


def test_files_are_named_from_the_working_folder_or_absolutely(planted, tmp_path):
    root, result = planted
    first = parse_command(github.render(result, base=root).splitlines()[0])[1]["file"]
    assert first == result.open[0].file
    elsewhere = parse_command(github.render(result, base=tmp_path).splitlines()[0])[1]["file"]
    assert elsewhere == (root.resolve() / result.open[0].file).as_posix()


def test_special_characters_cannot_break_or_inject_a_command(tmp_path):
    record = hostile_record(tmp_path)
    rendered = github.render(record, base=tmp_path)
    (line,) = rendered.splitlines()  # CR and LF escaped: no second line can start a command
    assert rendered == line + "\n" and "\r" not in line
    # the properties end at the first `::`: none of theirs can come earlier
    assert line.startswith("::warning file=odd%2C name%3A 100%25.csv,line=7,title=CSV010 ")
    command, properties, message = parse_command(line)
    assert command == "warning"
    assert properties == {"file": "odd, name: 100%.csv", "line": "7",
                          "title": "CSV010 mixed-flag"}  # fmt: skip
    assert message == "50% off:\r\nline two, ::error::injected (IMG0000001.jpg)"


def test_waived_findings_are_not_annotated(tmp_path):
    record = hostile_record(tmp_path)
    record.findings = [replace(record.findings[0], waived=True, waiver_reason="known")]
    record.waivers_file = "waivers.toml"
    assert github.render(record, base=tmp_path) == ""


def test_the_cli_prints_annotations_then_the_verdict(planted, capsys, monkeypatch):
    root, result = planted
    monkeypatch.chdir(root.parent)
    code = main(["audit", root.name, "--expect", str(SAMPLE_EXPECTATIONS), "--workers", "1",
                 "--output-format", "github"])  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    annotations = [line for line in out if line.startswith("::")]
    assert code == 1 and len(annotations) == len(result.open)
    assert all(parse_command(a)[1]["file"].startswith(f"{root.name}/") for a in annotations)
    assert not [line for line in out if ": IMG011 [error]" in line]  # no text listing besides
    assert out[-1] == "FAIL at --fail-on error: 4 errors (2 warnings)"


# ------------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif_log(planted) -> dict:
    return json.loads(sarif.render(planted[1], "error"))


def test_the_sarif_log_has_the_essential_structure(sarif_log):
    assert sarif_errors(sarif_log) == []
    assert sarif_log["version"] == "2.1.0"
    assert sarif_log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run,) = sarif_log["runs"]
    assert run["tool"]["driver"]["name"] == "fracqa"


def test_the_trimmed_schema_rejects_what_code_scanning_would(sarif_log):
    broken = json.loads(json.dumps(sarif_log))
    del broken["runs"][0]["results"][0]["locations"]
    broken["runs"][0]["results"][1]["level"] = "fatal"
    broken["runs"][0]["results"][2]["message"] = {}
    broken["runs"][0]["tool"]["driver"]["rules"][0].pop("defaultConfiguration")
    broken["version"] = "2.0.0"
    assert sarif_errors(broken) == [
        "$.runs[0].results[0]: 'locations' is a required property",
        "$.runs[0].results[1].level: 'fatal' is not one of ['none', 'note', 'warning', 'error']",
        "$.runs[0].results[2].message: 'text' is a required property",
        "$.runs[0].tool.driver.rules[0]: 'defaultConfiguration' is a required property",
        "$.version: '2.1.0' was expected",
    ]


def test_the_driver_lists_every_rule_that_ran_with_its_documentation(sarif_log, planted):
    _, result = planted
    rules = sarif_log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in result.rules_run]
    for described, rule in zip(rules, result.rules_run, strict=True):
        assert described["name"] == rule.name
        assert described["shortDescription"]["text"] == rule.title
        assert described["fullDescription"]["text"] == rule.doc == described["help"]["text"]
        assert "Why:" in rule.doc and "Fix:" in rule.doc
        level = {"error": "error", "warning": "warning", "info": "note"}[rule.severity.value]
        assert described["defaultConfiguration"]["level"] == level


def test_each_finding_is_a_result_located_relative_to_the_release_root(sarif_log, planted):
    root, result = planted
    run = sarif_log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["originalUriBaseIds"]["RELEASEROOT"]["uri"] == root.resolve().as_uri() + "/"
    assert len(run["results"]) == len(result.findings)
    for produced, finding in zip(run["results"], result.findings, strict=True):
        assert produced["ruleId"] == finding.rule == rules[produced["ruleIndex"]]["id"]
        assert produced["level"] == {"error": "error", "warning": "warning",
                                     "info": "note"}[finding.severity.value]  # fmt: skip
        assert produced["message"]["text"] == finding.message
        (location,) = produced["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "RELEASEROOT"
        assert unquote(artifact["uri"]) == finding.file
        line = line_of(finding.location)
        assert location["physicalLocation"].get("region") == (
            {"startLine": line} if line else None)
        assert re.fullmatch(r"[0-9a-f]{16}", produced["partialFingerprints"][sarif.FINGERPRINT])
    spaced = [(r, f) for r, f in zip(run["results"], result.findings, strict=True)
              if " " in f.file]  # fmt: skip
    assert spaced and all(quote(f.file) in json.dumps(r) for r, f in spaced)
    assert any("region" in r["locations"][0]["physicalLocation"] for r in run["results"])
    assert run["invocations"][0]["exitCode"] == 1


def test_waived_and_fileless_findings(tmp_path):
    record = hostile_record(tmp_path)
    rule = find_rule("LAY001")
    record.rules_run.append(rule)
    record.findings = [replace(record.findings[0], waived=True, waiver_reason="known issue"),
                       Finding.of(rule, Hit("Utilities/ is missing"))]  # fmt: skip
    record.waivers_file = "waivers.toml"
    log = json.loads(sarif.render(record))
    assert sarif_errors(log) == []
    waived, fileless = log["runs"][0]["results"]
    assert waived["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "known issue"}]  # fmt: skip
    uri = waived["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "odd%2C%20name%3A%20100%25.csv"
    assert fileless["locations"] == [{"logicalLocations": [{"name": "release"}]}]
    assert "suppressions" not in fileless
    assert log["runs"][0]["invocations"][0]["exitCode"] == 1  # the LAY001 error


def test_the_cli_writes_sarif_to_stdout_or_a_file(planted, tmp_path, capsys):
    root, _ = planted
    audit = ["audit", str(root), "--expect", str(SAMPLE_EXPECTATIONS), "--workers", "1"]
    assert main([*audit, "--output-format", "sarif"]) == 1
    captured = capsys.readouterr()
    log = json.loads(captured.out)
    assert sarif_errors(log) == [] and log["runs"][0]["results"]
    assert captured.err.rstrip().endswith("FAIL at --fail-on error: 4 errors (2 warnings)")
    written = tmp_path / "fracqa.sarif"
    assert main([*audit, "--sarif", str(written), "-q"]) == 1
    from_file = json.loads(written.read_text())["runs"][0]
    assert from_file["results"] == log["runs"][0]["results"]  # the same findings either way
    assert capsys.readouterr().out == "FAIL at --fail-on error: 4 errors (2 warnings)\n"
