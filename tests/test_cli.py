"""The `fracqa` command as other tools use it: exit codes, the JSON contract, the rule list."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fixtures import defects
from fracqa.catalogue import all_rules, select_rules
from fracqa.cli import main
from tests.helpers import SAMPLE_EXPECTATIONS, image_with
from tests.report_schema import read_report

EXPECT = ("--expect", str(SAMPLE_EXPECTATIONS))
ONE_PROCESS = ("--workers", "1")  # 40 images: no process pool for them


def fracqa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fracqa", *args], capture_output=True, text=True, timeout=300
    )


def test_clean_sample_exits_0_with_no_error_and_no_warning(sample_root, tmp_path):
    report = tmp_path / "audit.json"
    run = fracqa("audit", str(sample_root), *EXPECT, "--json", str(report))
    assert run.returncode == 0, run.stdout + run.stderr
    summary = read_report(report)["summary"]
    assert (summary["errors"], summary["warnings"]) == (0, 0)
    assert "no errors, no warnings" in run.stdout


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_root_that_is_not_a_directory_exits_2_with_one_line(kind, tmp_path):
    root = tmp_path / "nothing"
    if kind == "file":
        root.write_text("not a release")
    run = fracqa("audit", str(root))
    assert run.returncode == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1
    assert str(root) in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("plant", [defects.write_garbage_csv, defects.write_headerless_csv])
def test_unreadable_csv_is_a_finding_and_exit_1(plant, sample_copy):
    plant(sample_copy)
    run = fracqa("audit", str(sample_copy), *EXPECT, "--ignore", "STA")
    assert run.returncode == 1
    [line] = [line.strip() for line in run.stdout.splitlines() if ": CSV001 [" in line]
    assert line.startswith("dataset.csv") and ": CSV001 [error] dataset.csv " in line
    assert "Traceback" not in run.stdout + run.stderr


def test_json_follows_the_contract(sample_copy, tmp_path):
    image_id = defects.delete_image(sample_copy, image_with(sample_copy, fractured=1))
    defects.set_csv_value(sample_copy, image_with(sample_copy, fractured=0), "mixed", 1)
    report = tmp_path / "audit.json"
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--json", str(report)]) == 1
    document = read_report(report)
    assert document["tool"] == "fracqa" and document["version"] == "0.1.0"
    assert document["root"] == str(sample_copy.resolve())
    assert set(document["summary"]) == {"errors", "warnings", "infos", "rules_run", "images",
                                        "seconds"}  # fmt: skip
    assert document["summary"]["errors"] == 1 and document["summary"]["warnings"] == 1
    assert document["summary"]["rules_run"] == len(select_rules())
    assert document["summary"]["images"] == 39
    first, second = document["findings"]
    assert list(first) == ["rule", "name", "family", "severity", "message", "image_id", "file",
                           "location", "details"]  # fmt: skip
    assert (first["rule"], first["name"], first["family"]) == ("IMG001", "image-missing", "images")
    assert first["image_id"] == image_id and first["severity"] == "error"
    assert second["severity"] == "warning" and second["rule"] == "CSV010"


def test_two_runs_give_identical_json_apart_from_seconds(sample_copy, tmp_path):
    for image_id in (image_with(sample_copy, fractured=f) for f in (0, 1)):
        defects.set_csv_value(sample_copy, image_id, "oblique", "x")
    defects.add_orphan_image(sample_copy, "IMG0009998.jpg")
    defects.set_csv_value(sample_copy, image_with(sample_copy, fractured=0, mixed=0), "mixed", 1)
    documents = []
    for run in range(2):  # with the default process pool, whose results arrive in any order
        report = tmp_path / f"run{run}.json"
        main(["audit", str(sample_copy), *EXPECT, "--json", str(report)])
        document = read_report(report)
        document["summary"].pop("seconds")
        documents.append(document)
    assert documents[0] == documents[1]
    severities = [f["severity"] for f in documents[0]["findings"]]
    assert {"error", "warning"} <= set(severities)
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


def test_select_and_ignore_take_codes_and_prefixes(sample_copy, tmp_path):
    defects.delete_image(sample_copy, image_with(sample_copy, fractured=1))
    report = tmp_path / "audit.json"
    audit = ["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--json", str(report)]
    assert main([*audit, "--ignore", "IMG"]) == 0
    images = sum(r.family == "images" for r in all_rules())
    assert read_report(report)["summary"]["rules_run"] == len(select_rules()) - images
    assert main([*audit, "--select", "IMG001,CSV"]) == 1
    document = read_report(report)
    assert document["summary"]["rules_run"] == 1 + sum(r.family == "csv" for r in all_rules())
    assert [f["rule"] for f in document["findings"]] == ["IMG001"]


def test_an_unknown_selector_is_bad_usage(sample_root, capsys):
    assert main(["audit", str(sample_root), *EXPECT, "--select", "XYZ9"]) == 2
    assert "XYZ9" in capsys.readouterr().err


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 0), ("warning", 1), ("never", 0)])
def test_fail_on_sets_the_gate(fail_on, expected, sample_copy):
    defects.set_csv_value(sample_copy, image_with(sample_copy, fractured=0), "mixed", 1)
    audit = ["audit", str(sample_copy), *EXPECT, *ONE_PROCESS]
    assert main([*audit, "--fail-on", fail_on]) == expected


def test_never_passes_even_with_errors(sample_copy):
    defects.delete_image(sample_copy, image_with(sample_copy, fractured=0))
    assert main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS, "--fail-on", "never"]) == 0


def test_refuses_to_write_inside_the_release(sample_copy, capsys):
    before = sorted(p.name for p in sample_copy.iterdir())
    assert main(["audit", str(sample_copy), *EXPECT, "--json", str(sample_copy / "out.json")]) == 2
    assert "inside the release" in capsys.readouterr().err
    assert sorted(p.name for p in sample_copy.iterdir()) == before


def test_console_lines_name_path_code_and_severity(sample_copy, capsys):
    image_id = defects.delete_image(sample_copy, image_with(sample_copy, fractured=1))
    main(["audit", str(sample_copy), *EXPECT, *ONE_PROCESS])
    out = capsys.readouterr().out
    line = next(line.strip() for line in out.splitlines() if ": IMG001 [" in line)
    assert line.startswith("dataset.csv:") and ": IMG001 [error] " in line and image_id in line
    assert "\x1b[" not in out  # not a terminal: no colour
    assert "total" in out and "1 error(s)" in out


def test_rules_lists_every_rule_as_table_and_json(capsys):
    assert main(["rules"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == len(all_rules())
    assert main(["rules", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in listed] == [r.code for r in all_rules()]
    severities = ("error", "warning", "info")
    assert all(r["doc"] and r["title"] and r["severity"] in severities for r in listed)


def test_explain_prints_one_rule(capsys):
    assert main(["explain", "csv008"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CSV008 fractured-count-disagree [error, csv]")
    assert "Why:" in out and "Fix:" in out
    assert main(["explain", "NOPE1"]) == 2
