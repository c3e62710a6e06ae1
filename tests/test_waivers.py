"""Waivers: `fracqa baseline` accepts a release's current findings, `fracqa audit --waivers`
lists them apart and fails only on new ones, and the WAV rules keep the waivers file clean."""

from __future__ import annotations

import shutil
import tomllib
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from pathlib import Path

import pytest
import tomli_w

from fixtures import defects
from fixtures.defects import CsvText
from fixtures.defects_annotations import add_coco_annotation_to
from fracqa.cli import main
from fracqa.runner import run_audit
from fracqa.waivers import fingerprint, load_waivers
from tests.conftest import file_digests
from tests.helpers import (
    NO_STATISTICS,
    SAMPLE_EXPECTATIONS,
    SAMPLE_SETTINGS,
    audit_sample,
    image_with,
    labels,
)
from tests.report_schema import read_report

EXPECT = ("--expect", str(SAMPLE_EXPECTATIONS), "--workers", "1")  # 40 images: no pool


def single_region_non_fractured(root: Path) -> list[str]:
    """Non-fractured images with one region and mixed=0: setting mixed=1 gives just CSV010."""
    table = labels(root)
    regions = table[["hand", "leg", "hip", "shoulder"]].sum(axis=1)
    chosen = table[(table["fractured"] == 0) & (table["mixed"] == 0) & (regions == 1)]
    return [str(image_id) for image_id in chosen["image_id"]]


def plant_warning(root: Path, image_id: str | None = None) -> str:
    """CSV010 mixed-flag (a warning) on one image."""
    return defects.set_csv_value(root, image_id or image_with(root, fractured=0), "mixed", 1)


def plant_error(root: Path) -> str:
    """CSV003 fracture-count-mismatch (an error) on one fractured image."""
    return add_coco_annotation_to(root, image_with(root, fractured=1))


def plant_missing_image(root: Path, image_id: str) -> str:
    """IMG001 image-missing (an error)."""
    return defects.delete_image(root, image_id)


def write_baseline(root: Path, waivers: Path, *args: str) -> int:
    return main(["baseline", str(root), *EXPECT, "-o", str(waivers), *args])


def audit_json(root: Path, report: Path, *args: str) -> tuple[int, dict]:
    """Audit `root` with `args`; the exit code and the JSON report, checked against its schema."""
    code = main(["audit", str(root), *EXPECT, "--json", str(report), *args])
    return code, read_report(report)


def entries(waivers: Path) -> list[dict]:
    return tomllib.loads(waivers.read_text(encoding="utf-8")).get("waiver", [])


def set_reasons(waivers: Path, reasons: dict[str, str]) -> None:
    """Fill in the reason of the waivers of the given rules."""
    document = tomllib.loads(waivers.read_text(encoding="utf-8"))
    for waiver in document["waiver"]:
        waiver["reason"] = reasons.get(waiver["rule"], waiver["reason"])
    waivers.write_text(tomli_w.dumps(document), encoding="utf-8")


def of_rule(document: dict, rule: str) -> list[dict]:
    return [f for f in document["findings"] if f["rule"] == rule]


# ---------------------------------------------------------------- the acceptance


def test_baseline_then_only_new_findings_fail(sample_root, sample_copy, tmp_path, capsys):
    root, report, waivers = sample_copy, tmp_path / "audit.json", tmp_path / "waivers.toml"
    first, second, third = single_region_non_fractured(root)[:3]
    planted = {("CSV003", plant_error(root)), ("IMG001", plant_missing_image(root, first)),
               ("CSV010", plant_warning(root, second))}  # fmt: skip
    assert main(["audit", str(root), *EXPECT]) == 1

    assert write_baseline(root, waivers) == 0
    assert f"3 finding(s) of {root.resolve()} waived in {waivers}" in capsys.readouterr().out
    written = entries(waivers)
    assert {(w["rule"], w["image_id"]) for w in written} == planted
    assert all(w["reason"] == "" and len(w["fingerprint"]) == 16 for w in written)

    # 1. every planted finding is waived: exit 0, even at --fail-on warning
    code, document = audit_json(root, report, "--waivers", str(waivers), "--fail-on", "warning")
    assert code == 0
    summary = document["summary"]
    assert (summary["errors"], summary["warnings"], summary["waived"]) == (0, 0, 3)
    assert document["waivers"] == str(waivers)
    waived = [f for f in document["findings"] if f.get("waived")]
    assert {(f["rule"], f["image_id"]) for f in waived} == planted
    assert all(f["waiver_reason"] == "" for f in waived)
    assert not of_rule(document, "WAV001")
    out = capsys.readouterr().out
    section = out[out.index(f"Waived by {waivers} (3): accepted, not gating") :]
    for rule in ("CSV003", "IMG001", "CSV010"):
        line = next(line for line in section.splitlines() if f": {rule} [" in line)
        assert "(waived: no reason given)" in line
    assert "(3 waived)" in out

    # 2. one more error: exit 1, and it is the only open error
    original = defects.find_image(root, third).relative_to(root)
    plant_missing_image(root, third)
    code, document = audit_json(root, report, "--waivers", str(waivers))
    assert code == 1
    open_errors = [f for f in document["findings"]
                   if f["severity"] == "error" and not f.get("waived")]  # fmt: skip
    assert [(f["rule"], f["image_id"]) for f in open_errors] == [("IMG001", third)]
    assert "waived" not in open_errors[0]
    assert (document["summary"]["errors"], document["summary"]["waived"]) == (1, 3)

    # 3. the new error repaired, and one waived defect repaired: WAV001 names its waiver
    shutil.copy2(sample_root / original, root / original)
    defects.set_csv_value(root, second, "mixed", 0)
    code, document = audit_json(root, report, "--waivers", str(waivers), "--fail-on", "warning")
    assert code == 0
    assert document["summary"]["waived"] == 2
    [stale] = of_rule(document, "WAV001")
    [repaired] = [w for w in written if w["rule"] == "CSV010"]
    number = written.index(repaired) + 1
    assert (stale["name"], stale["severity"], stale["image_id"]) == ("stale-waiver", "info", second)
    assert stale["details"]["fingerprint"] == repaired["fingerprint"]
    assert stale["file"] == waivers.name and stale["location"] == f"waiver {number}"
    assert f"waiver {number} (CSV010 {second}" in stale["message"]
    assert "matches no finding" in stale["message"]


# ---------------------------------------------------------------- fingerprints


def reorder_rows(root: Path) -> None:
    table = CsvText.read(root)
    table.rows = [table.rows[0], *reversed(table.rows[1:])]
    table.write(root)


def remove_first_row(root: Path) -> None:
    defects.remove_csv_row(root, CsvText.read(root).rows[1][0])


def insert_row_first(root: Path) -> None:
    defects.duplicate_csv_row(root, CsvText.read(root).rows[1][0])  # a new line 3


@pytest.mark.parametrize("edit", [reorder_rows, remove_first_row, insert_row_first])
def test_fingerprints_survive_unrelated_edits(edit, sample_copy, tmp_path):
    root, waivers = sample_copy, tmp_path / "waivers.toml"
    warned, counted = plant_warning(root), plant_error(root)
    rows = [row[0] for row in CsvText.read(root).rows[1:]]
    assert rows[0] not in (warned, counted)  # the edited row is an unrelated one, before them
    before = {f.rule: f for f in audit_sample(root).findings}
    assert set(before) == {"CSV003", "CSV010"}
    assert write_baseline(root, waivers) == 0

    edit(root)
    after = {f.rule: f for f in audit_sample(root).findings if f.rule in before}
    for rule in before:
        if before[rule].file == "dataset.csv":
            assert after[rule].location != before[rule].location  # the line moved ...
        else:  # CSV003 names the COCO file (it has the extra instance) and the line it checked
            assert after[rule].details["csv_line"] != before[rule].details["csv_line"]
        assert fingerprint(after[rule]) == fingerprint(before[rule])  # ... the print did not
    _, document = audit_json(root, tmp_path / "audit.json", "--waivers", str(waivers))
    for rule, finding in before.items():
        [listed] = of_rule(document, rule)
        assert listed["waived"] is True and listed["image_id"] == finding.image_id
    assert not of_rule(document, "WAV001")


def test_fingerprints_tell_findings_apart(sample_copy):
    first, second = single_region_non_fractured(sample_copy)[:2]
    plant_warning(sample_copy, first)
    plant_warning(sample_copy, second)
    plant_error(sample_copy)
    findings = audit_sample(sample_copy).findings
    assert sorted(f.rule for f in findings) == ["CSV003", "CSV010", "CSV010"]
    prints = [fingerprint(f) for f in findings]
    assert len(set(prints)) == 3
    assert all(len(p) == 16 and int(p, 16) >= 0 for p in prints)
    finding = findings[0]
    assert fingerprint(replace(finding, location="line 99", message="reworded")) == prints[0]
    assert fingerprint(replace(finding, details={**finding.details, "row": 7})) == prints[0]
    for changed in ({"rule": "CSV004"}, {"image_id": "IMG0009999.jpg"}, {"file": "other.csv"},
                    {"details": {**finding.details, "coco": 99}}):  # fmt: skip
        assert fingerprint(replace(finding, **changed)) != prints[0], changed


# ---------------------------------------------------------------- baseline


def test_baseline_again_keeps_the_reasons_written(sample_copy, tmp_path, capsys):
    root, waivers = sample_copy, tmp_path / "waivers.toml"
    first, second = single_region_non_fractured(root)[:2]
    counted, warned = plant_error(root), plant_warning(root, first)
    assert write_baseline(root, waivers) == 0
    set_reasons(waivers, {"CSV003": "the hospital confirmed a fifth fracture on the film"})
    missing = plant_missing_image(root, second)
    capsys.readouterr()
    assert write_baseline(root, waivers) == 0
    assert "(1 reason(s) kept)" in capsys.readouterr().out
    reasons = {(w["rule"], w["image_id"]): w["reason"] for w in entries(waivers)}
    assert reasons == {("CSV003", counted): "the hospital confirmed a fifth fracture on the film",
                       ("CSV010", warned): "", ("IMG001", missing): ""}  # fmt: skip
    defects.set_csv_value(root, warned, "mixed", 0)  # repaired: its waiver goes
    assert write_baseline(root, waivers) == 0
    assert {w["rule"] for w in entries(waivers)} == {"CSV003", "IMG001"}
    assert [w["reason"] for w in entries(waivers) if w["rule"] == "CSV003"] == [
        "the hospital confirmed a fifth fracture on the film"]  # fmt: skip


def test_a_clean_release_gives_an_empty_waivers_file(sample_copy, tmp_path):
    waivers = tmp_path / "waivers.toml"
    assert write_baseline(sample_copy, waivers) == 0
    assert entries(waivers) == [] and load_waivers(waivers).entries == ()
    code, document = audit_json(sample_copy, tmp_path / "audit.json", "--waivers", str(waivers))
    assert code == 0 and document["findings"] == [] and document["summary"]["waived"] == 0


def test_baseline_never_writes_inside_the_release(sample_copy, capsys, sample_stays_pristine):
    plant_error(sample_copy)
    before = file_digests(sample_copy)
    for target in (sample_copy / "waivers.toml", sample_copy / "Annotations" / "waivers.toml",
                   sample_copy / "dataset.csv"):  # fmt: skip
        assert main(["baseline", str(sample_copy), *EXPECT, "-o", str(target)]) == 2
        captured = capsys.readouterr()
        [line] = captured.err.splitlines()
        assert line.startswith("fracqa: ") and "inside the release" in line
        assert str(target) in line and captured.out == ""
    assert file_digests(sample_copy) == before


def test_baseline_and_audit_leave_the_release_unchanged(sample_copy, tmp_path,
                                                        sample_stays_pristine):  # fmt: skip
    plant_error(sample_copy)
    plant_warning(sample_copy)
    before = file_digests(sample_copy)
    waivers = tmp_path / "waivers.toml"
    assert write_baseline(sample_copy, waivers) == 0
    assert write_baseline(sample_copy, waivers) == 0
    assert main(["audit", str(sample_copy), *EXPECT, "--waivers", str(waivers), "--html",
                 str(tmp_path / "a.html"), "--junit", str(tmp_path / "a.xml")]) == 0  # fmt: skip
    assert file_digests(sample_copy) == before


# ---------------------------------------------------------------- hand-written waivers


@pytest.mark.parametrize("rule", ["CSV010", "mixed-flag", "csv010"])
def test_a_hand_written_waiver_by_rule_and_image(rule, sample_copy, tmp_path):
    root, report, waivers = sample_copy, tmp_path / "audit.json", tmp_path / "waivers.toml"
    accepted, other = single_region_non_fractured(root)[:2]
    plant_warning(root, accepted)
    plant_warning(root, other)
    waivers.write_text(f'[[waiver]]\nrule = "{rule}"\nimage_id = "{accepted}"\n'
                       'reason = "a mixed study, confirmed by the radiologist"\n')  # fmt: skip
    code, document = audit_json(root, report, "--waivers", str(waivers), "--fail-on", "warning")
    assert code == 1
    by_image = {f["image_id"]: f for f in of_rule(document, "CSV010")}
    assert by_image[accepted]["waived"] is True
    assert by_image[accepted]["waiver_reason"] == "a mixed study, confirmed by the radiologist"
    assert "waived" not in by_image[other]
    assert (document["summary"]["warnings"], document["summary"]["waived"]) == (1, 1)
    assert not of_rule(document, "WAV001") and not of_rule(document, "WAV002")


@pytest.mark.parametrize("scope", ['rule = "CSV010"', 'rule = "CSV010"\nfile = "dataset.csv"'])
def test_a_hand_written_waiver_by_rule_accepts_all_its_findings(scope, sample_copy, tmp_path):
    for image_id in single_region_non_fractured(sample_copy)[:2]:
        plant_warning(sample_copy, image_id)
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(f'[[waiver]]\n{scope}\nreason = "known"\n')
    code, document = audit_json(sample_copy, tmp_path / "audit.json", "--waivers", str(waivers),
                                "--fail-on", "warning")  # fmt: skip
    assert code == 0 and document["summary"]["waived"] == 2
    waivers.write_text('[[waiver]]\nrule = "CSV010"\nfile = "other.csv"\nreason = "known"\n')
    code, document = audit_json(sample_copy, tmp_path / "audit.json", "--waivers", str(waivers),
                                "--fail-on", "warning")  # fmt: skip
    assert code == 1 and document["summary"]["waived"] == 0
    assert len(of_rule(document, "WAV001")) == 1


def test_a_waiver_that_accepts_a_finding_another_waiver_accepted_first_is_not_stale(
    sample_copy, tmp_path
):
    waivers = tmp_path / "waivers.toml"
    warned = plant_warning(sample_copy)
    assert write_baseline(sample_copy, waivers) == 0
    document = tomllib.loads(waivers.read_text(encoding="utf-8"))
    document["waiver"].insert(0, {"rule": "CSV010", "reason": "every mixed flag is known"})
    waivers.write_text(tomli_w.dumps(document), encoding="utf-8")
    assert [w.rule for w in load_waivers(waivers).entries] == ["CSV010", "CSV010"]
    code, document = audit_json(sample_copy, tmp_path / "audit.json", "--waivers", str(waivers),
                                "--fail-on", "warning")  # fmt: skip
    assert code == 0
    [finding] = of_rule(document, "CSV010")
    assert finding["image_id"] == warned
    assert finding["waiver_reason"] == "every mixed flag is known"  # the first waiver's
    assert not of_rule(document, "WAV001")  # the baseline's waiver still matches it


# ---------------------------------------------------------------- the WAV rules


WAIVERS = "waivers.toml"  # beside the release, never inside it


def _stale_waiver(root: Path) -> str:
    """A waiver, with its reason, of a CSV010 finding that was then repaired."""
    warned = plant_warning(root)
    assert write_baseline(root, root.parent / WAIVERS) == 0
    set_reasons(root.parent / WAIVERS, {"CSV010": "a mixed study, confirmed"})
    defects.set_csv_value(root, warned, "mixed", 0)
    return "waiver 1"


def _waiver_without_reason(root: Path) -> str:
    """The baseline's waiver of a CSV010 finding, its reason left empty."""
    plant_warning(root)
    assert write_baseline(root, root.parent / WAIVERS) == 0
    return "waiver 1"


# case -> (planter returning the waiver the finding names, rule, severity)
PLANTED = {
    "waiver of a repaired finding": (_stale_waiver, "WAV001", "info"),
    "waiver without a reason": (_waiver_without_reason, "WAV002", "info"),
}


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_waiver_defect_is_reported_and_never_gates(case, sample_copy):
    planter, code, severity = PLANTED[case]
    location = planter(sample_copy)
    waivers = load_waivers(sample_copy.parent / WAIVERS)
    result = run_audit(sample_copy, ignore=NO_STATISTICS, settings=SAMPLE_SETTINGS,
                       waivers=waivers)  # fmt: skip
    [finding] = [f for f in result.findings if f.family == "waivers"]
    assert (finding.rule, finding.severity.value) == (code, severity)
    assert (finding.file, finding.location) == (WAIVERS, location)
    assert not result.gates("warning")


def test_waiver_without_reason_until_reasons_are_filled(sample_copy, tmp_path):
    root, report, waivers = sample_copy, tmp_path / "audit.json", tmp_path / "waivers.toml"
    plant_error(root)
    plant_warning(root)
    assert write_baseline(root, waivers) == 0
    code, document = audit_json(root, report, "--waivers", str(waivers), "--fail-on", "warning")
    assert code == 0  # info: never gates
    unexplained = of_rule(document, "WAV002")
    assert sorted(f["location"] for f in unexplained) == ["waiver 1", "waiver 2"]
    assert all(f["severity"] == "info" and "has no reason" in f["message"] for f in unexplained)
    assert document["summary"]["infos"] == 2

    set_reasons(waivers, {"CSV003": "a fifth fracture, confirmed"})
    _, document = audit_json(root, report, "--waivers", str(waivers))
    [unexplained] = of_rule(document, "WAV002")
    assert unexplained["image_id"] == image_with(root, fractured=0)  # the CSV010 one

    set_reasons(waivers, {"CSV010": "a mixed study, confirmed"})
    _, document = audit_json(root, report, "--waivers", str(waivers))
    assert not of_rule(document, "WAV002") and document["summary"]["infos"] == 0
    assert {f["waiver_reason"] for f in document["findings"]} == {
        "a fifth fracture, confirmed", "a mixed study, confirmed"}  # fmt: skip


def test_a_waiver_of_a_rule_that_did_not_run_is_not_stale(sample_copy, tmp_path):
    root, report, waivers = sample_copy, tmp_path / "audit.json", tmp_path / "waivers.toml"
    plant_error(root)
    warned = plant_warning(root)
    assert write_baseline(root, waivers) == 0
    with waivers.open("a") as stream:
        stream.write('\n[[waiver]]\nrule = "IMG011"\nreason = "hand-written"\n')
    for selection in (("--select", "CSV010"), ("--ignore", "CSV003,IMG")):
        code, document = audit_json(root, report, "--waivers", str(waivers), *selection)
        assert code == 0, selection
        assert not of_rule(document, "WAV001"), selection
        assert document["summary"]["waived"] == 1
    # the stale check still works for the rules that ran
    defects.set_csv_value(root, warned, "mixed", 0)
    code, document = audit_json(root, report, "--waivers", str(waivers), "--select", "CSV010")
    [stale] = of_rule(document, "WAV001")
    assert stale["details"]["rule"] == "CSV010" and stale["image_id"] == warned
    assert document["summary"]["rules_run"] == 1 + 2  # CSV010 and the two waiver rules


def test_the_waiver_rules_run_only_with_waivers(sample_copy, tmp_path):
    plant_error(sample_copy)
    _, document = audit_json(sample_copy, tmp_path / "audit.json")
    assert "waived" not in document["summary"] and "waivers" not in document
    waivers = tmp_path / "waivers.toml"
    write_baseline(sample_copy, waivers)
    _, with_waivers = audit_json(sample_copy, tmp_path / "audit.json", "--waivers", str(waivers))
    assert with_waivers["summary"]["rules_run"] == document["summary"]["rules_run"] + 2


# ---------------------------------------------------------------- reports


REASON = "seen by <two> radiologists & accepted"


def waived_release(root: Path, waivers: Path) -> tuple[str, str]:
    """CSV003 (error) waived with REASON, and an open CSV010 warning."""
    counted = plant_error(root)
    assert write_baseline(root, waivers) == 0
    set_reasons(waivers, {"CSV003": REASON})
    return counted, plant_warning(root)


def test_junit_lists_a_waived_finding_without_failing_its_rule(sample_copy, tmp_path):
    waivers, junit = tmp_path / "waivers.toml", tmp_path / "audit.xml"
    waived_release(sample_copy, waivers)
    assert main(["audit", str(sample_copy), *EXPECT, "--junit", str(junit)]) == 1
    unwaived = ElementTree.parse(junit).getroot()
    assert unwaived.get("failures") == "1"
    assert main(["audit", str(sample_copy), *EXPECT, "--waivers", str(waivers), "--junit",
                 str(junit), "--fail-on", "warning"]) == 1  # fmt: skip
    suites = ElementTree.parse(junit).getroot()
    cases = {case.get("name"): case for case in suites.iter("testcase")}
    waived = cases["CSV003 fracture-count-mismatch"]
    assert waived.find("failure") is None
    out = waived.find("system-out").text
    assert "CSV003 [error] fracture_count is" in out and f"waived: {REASON}" in out
    failing = cases["CSV010 mixed-flag"].find("failure")
    assert failing is not None and "CSV010 [warning] mixed must be 1" in failing.text
    assert suites.get("failures") == "1"


def test_html_marks_a_waived_finding_with_a_badge_and_its_reason(sample_copy, tmp_path):
    waivers, page = tmp_path / "waivers.toml", tmp_path / "audit.html"
    waived_release(sample_copy, waivers)
    assert main(["audit", str(sample_copy), *EXPECT, "--waivers", str(waivers), "--html",
                 str(page)]) == 0  # fmt: skip
    html = page.read_text(encoding="utf-8")
    assert '<span class="badge waived"' in html and ">waived</span>" in html
    assert "seen by &lt;two&gt; radiologists &amp; accepted" in html
    assert REASON not in html  # escaped, never raw markup
    assert html.count('class="finding waived') == 1
    assert str(waivers) in html


# ---------------------------------------------------------------- bad waivers files


@pytest.mark.parametrize(
    ("text", "said"),
    [
        pytest.param("[[waiver]\nrule = 'CSV003'\n", "not valid TOML", id="invalid-toml"),
        pytest.param("[[waiver]]\nrule = 'CSV003'\n\n[extra]\nx = 1\n", "unknown key 'extra'",
                     id="unknown-top-level-key"),  # fmt: skip
        pytest.param("[[waiver]]\nrule = 'CSV003'\nseverity = 'info'\n", "unknown key 'severity'",
                     id="unknown-waiver-key"),  # fmt: skip
        pytest.param("[[waiver]]\nreason = 'accepted'\n", "needs a fingerprint",
                     id="neither-fingerprint-nor-rule"),  # fmt: skip
        pytest.param("[[waiver]]\nrule = 'CSV003'\nreason = 3\n", "reason must be a string",
                     id="non-string-reason"),  # fmt: skip
        pytest.param("[[waiver]]\nfingerprint = 12345\n", "fingerprint must be a string",
                     id="non-string-fingerprint"),  # fmt: skip
        pytest.param("waiver = 'CSV003'\n", "array of tables", id="waiver-not-tables"),
        pytest.param("[[waiver]]\nrule = 'CSV999'\nreason = 'typo'\n", "CSV999",
                     id="rule-of-no-rule"),  # fmt: skip
    ],
)
def test_a_bad_waivers_file_exits_2_with_a_clear_message(text, said, sample_copy, tmp_path,
                                                         capsys):  # fmt: skip
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(text, encoding="utf-8")
    assert main(["audit", str(sample_copy), *EXPECT, "--waivers", str(waivers)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("fracqa: ") and "Traceback" not in captured.err
    assert str(waivers) in line and said in line
    # baseline will not overwrite a file it cannot read the reasons of
    assert write_baseline(sample_copy, waivers) == 2
    assert waivers.read_text(encoding="utf-8") == text


def test_a_missing_waivers_file_exits_2(sample_copy, tmp_path, capsys):
    missing = tmp_path / "no-such-waivers.toml"
    assert main(["audit", str(sample_copy), *EXPECT, "--waivers", str(missing)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and str(missing) in err and "cannot read" in err
