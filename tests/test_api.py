"""The Python API: `fracqa.audit(root, **options)` returns an AuditResult whose findings are a
DataFrame and whose reports are the command line's."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pandas as pd
import pytest

import fracqa
from fixtures import defects
from fixtures.defects_annotations import add_coco_annotation_to
from fracqa.api import resolve_options
from fracqa.cli import main
from fracqa.config import Tolerances
from fracqa.layout import NotARelease
from fracqa.waivers import BadWaivers
from tests.conftest import file_digests
from tests.helpers import REPO, SAMPLE_EXPECTATIONS, image_with
from tests.report_schema import assert_valid_report, read_report

COLUMNS = ["rule", "name", "family", "severity", "message", "image_id", "file", "location",
           "details", "waived", "waiver_reason", "fingerprint"]  # fmt: skip


def plant_error(root) -> str:
    """CSV003 fracture-count-mismatch, an error, and nothing else."""
    return add_coco_annotation_to(root, image_with(root, fractured=1))


def test_a_clean_release_is_ok_with_no_findings(sample_root, sample_stays_pristine):
    result = fracqa.audit(sample_root, expect=SAMPLE_EXPECTATIONS, use_config=False)
    assert isinstance(result, fracqa.AuditResult)
    assert result.ok is True
    assert isinstance(result.findings, pd.DataFrame)
    assert result.findings.empty and list(result.findings.columns) == COLUMNS
    assert (result.summary["errors"], result.summary["warnings"]) == (0, 0)
    assert result.summary["images"] == 40 and "waived" not in result.summary
    statistics = result.statistics
    assert list(statistics.columns) == ["figure", "published", "observed", "tolerance", "ok"]
    assert len(statistics) > 0 and statistics["ok"].all()
    assert "ok at error" in repr(result)


def test_a_planted_error_is_a_row_and_fails(sample_copy):
    image_id = plant_error(sample_copy)
    result = fracqa.audit(str(sample_copy), expect=str(SAMPLE_EXPECTATIONS))
    assert result.ok is False
    assert list(result.findings.columns) == COLUMNS
    [row] = result.findings.to_dict("records")
    assert (row["rule"], row["name"], row["family"]) == ("CSV003", "fracture-count-mismatch", "csv")
    # fracture_count, VGG, YOLO and VOC say 4: the COCO file, which has 5, is the one to fix.
    coco = "Annotations/COCO JSON/COCO_fracture_masks.json"
    assert (row["image_id"], row["severity"], row["file"]) == (image_id, "error", coco)
    assert row["waived"] == False and row["waiver_reason"] is None  # noqa: E712 (numpy bool)
    assert {k: row["details"][k] for k in ("csv", "coco", "vgg", "disagreeing")} == {
        "csv": 4, "coco": 5, "vgg": 4, "disagreeing": ["coco"]}
    assert row["location"].startswith("image id ")
    assert len(row["fingerprint"]) == 16
    assert result.summary["errors"] == 1
    never = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, fail_on="never")
    assert never.ok is True and len(never.findings) == 1
    warning = defects.set_csv_value(sample_copy, image_with(sample_copy, fractured=0), "mixed", 1)
    found = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, ignore=["CSV003"])
    assert found.ok is True  # a warning passes at the default fail_on
    assert found.findings[["rule", "image_id", "severity"]].values.tolist() == [
        ["CSV010", warning, "warning"]]  # fmt: skip
    strict = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, select=["CSV010"],
                          fail_on="warning")  # fmt: skip
    assert strict.ok is False and strict.summary["rules_run"] == 1


def test_to_json_is_the_command_lines_json(sample_copy, tmp_path):
    plant_error(sample_copy)
    defects.set_csv_value(sample_copy, image_with(sample_copy, fractured=0), "mixed", 1)
    result = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS)
    document = json.loads(result.to_json())
    assert_valid_report(document)
    assert list(document) == ["tool", "version", "root", "ok", "fail_on", "exit_code", "verdict",
                              "identity", "summary", "findings", "statistics"]  # fmt: skip
    assert (document["ok"], document["fail_on"], document["exit_code"]) == (False, "error", 1)
    assert (document["tool"], document["version"]) == ("fracqa", fracqa.__version__)
    assert set(document["summary"]) == {"errors", "warnings", "infos", "rules_run", "images",
                                        "seconds"}  # fmt: skip
    assert [f["rule"] for f in document["findings"]] == ["CSV003", "CSV010"]
    report = tmp_path / "cli.json"
    assert main(["audit", str(sample_copy), "--expect", str(SAMPLE_EXPECTATIONS), "--json",
                 str(report)]) == 1  # fmt: skip
    from_cli = read_report(report)
    for one in (document, from_cli):
        one["summary"].pop("seconds")
    assert document == from_cli
    written = tmp_path / "api.json"
    assert result.to_json(written) == written.read_text(encoding="utf-8")
    at_never = json.loads(fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS,
                                       fail_on="never").to_json())  # fmt: skip
    assert (at_never["ok"], at_never["fail_on"], at_never["exit_code"]) == (True, "never", 0)
    assert at_never["verdict"] == "PASS at --fail-on never: nothing gates (1 error, 1 warning)"


def test_to_html_and_to_junit_render_the_reports(sample_copy, tmp_path):
    image_id = plant_error(sample_copy)
    result = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS)
    page = tmp_path / "audit.html"
    text = result.to_html(page)
    assert page.read_text(encoding="utf-8") == text
    assert text.startswith("<!DOCTYPE html>") and image_id in text
    data = result.to_junit()
    assert isinstance(data, bytes) and data.startswith(b"<?xml")
    suites = ElementTree.fromstring(data)
    assert suites.tag == "testsuites" and suites.get("failures") == "1"
    assert suites.get("tests") == str(result.summary["rules_run"])
    junit = tmp_path / "audit.xml"
    assert result.to_junit(junit) == junit.read_bytes()
    assert ElementTree.fromstring(fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS,
                                               fail_on="never").to_junit()).get("failures") == "0"


def test_reports_are_never_written_inside_the_release(sample_copy, tmp_path, monkeypatch):
    plant_error(sample_copy)
    result = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS)
    before = file_digests(sample_copy)
    for write, name in ((result.to_json, "a.json"), (result.to_html, "a.html"),
                        (result.to_junit, "a.xml")):  # fmt: skip
        for target in (sample_copy / name, sample_copy / "Annotations" / name):
            with pytest.raises(ValueError, match="inside the release"):
                write(target)
    monkeypatch.chdir(sample_copy / "images")
    with pytest.raises(ValueError, match="inside the release"):
        result.to_html("relative.html")
    assert file_digests(sample_copy) == before


def test_tolerances_are_checked_and_applied(sample_root, tmp_path):
    with pytest.raises(ValueError, match="unknown"):
        fracqa.audit(sample_root, expect=SAMPLE_EXPECTATIONS, tolerances={"unknown": 1})
    for wrong in ({"iou": 1.5}, {"pixels": -1}, {"hash_distance": "four"}):
        with pytest.raises(ValueError, match=next(iter(wrong))):
            fracqa.audit(sample_root, expect=SAMPLE_EXPECTATIONS, tolerances=wrong)
    (tmp_path / "fracqa.toml").write_text("[tolerances]\npixels = 3\niou = 0.6\n")
    options = resolve_options(sample_root, config=tmp_path / "fracqa.toml",
                              tolerances={"iou": 0.9, "hash_distance": 2})  # fmt: skip
    assert options.settings.tolerances == Tolerances(pixels=3, iou=0.9, hash_distance=2)


def test_waivers_mark_findings_waived_and_ok(sample_copy, tmp_path):
    image_id = plant_error(sample_copy)
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(f'[[waiver]]\nrule = "CSV003"\nimage_id = "{image_id}"\n'
                       'reason = "a fifth fracture, confirmed"\n')  # fmt: skip
    result = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, waivers=waivers,
                          fail_on="warning")  # fmt: skip
    assert result.ok is True
    [row] = result.findings[result.findings["rule"] == "CSV003"].to_dict("records")
    assert row["waived"] == True and row["waiver_reason"] == "a fifth fracture, confirmed"  # noqa: E712
    assert result.summary["waived"] == 1 and result.summary["errors"] == 0
    assert "1 waived" in repr(result)
    assert result.findings.query("not waived")["rule"].tolist() == []
    waivers.write_text("[[waiver]]\nreason = 'no rule'\n")
    with pytest.raises(BadWaivers, match="needs a fingerprint"):
        fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, waivers=waivers)


def test_severity_changes_the_severity_in_the_findings(sample_copy):
    plant_error(sample_copy)
    result = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, severity={"CSV003": "warning"})
    assert result.findings["severity"].tolist() == ["warning"]
    assert result.ok is True and result.summary["warnings"] == 1
    stricter = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS,
                            severity={"CSV003": "warning"}, fail_on="warning")  # fmt: skip
    assert stricter.ok is False
    with pytest.raises(ValueError):
        fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, severity={"CSV003": "fatal"})
    with pytest.raises(ValueError, match="NOPE9"):
        fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, severity={"NOPE9": "info"})


def test_a_configuration_file_is_used_unless_told_not_to(sample_copy, tmp_path):
    defects.set_csv_value(sample_copy, image_with(sample_copy, fractured=0), "mixed", 1)
    (tmp_path / "fracqa.toml").write_text('fail-on = "warning"\n')
    assert fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS).ok is False
    assert fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, use_config=False).ok is True
    assert fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, fail_on="error").ok is True
    other = tmp_path / "elsewhere.toml"
    other.write_text('[severity]\nCSV010 = "error"\n')
    result = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, config=other)
    assert result.ok is False and result.findings["severity"].tolist() == ["error"]


def test_bad_arguments_raise_value_errors(sample_root, tmp_path):
    with pytest.raises(ValueError, match="fail_on"):
        fracqa.audit(sample_root, expect=SAMPLE_EXPECTATIONS, fail_on="sometimes")
    with pytest.raises(ValueError, match="NOPE9"):
        fracqa.audit(sample_root, expect=SAMPLE_EXPECTATIONS, select=["NOPE9"])
    with pytest.raises(NotARelease, match="no-release-here"):
        fracqa.audit(tmp_path / "no-release-here", expect=SAMPLE_EXPECTATIONS)


def test_importing_fracqa_does_not_import_pandas():
    code = "import fracqa, sys; print('pandas' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
    used = subprocess.run([sys.executable, "-c", "import fracqa, sys; fracqa.AuditResult; "
                           "print('pandas' in sys.modules)"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)  # fmt: skip
    assert used.stdout.strip() == "True"  # the API itself is there on first use
