"""Exit codes that never lie: 0 and 1 say what the audit found and nothing else; a fault of
fracqa itself is 3 with one line on stderr; Ctrl-C and SIGTERM are 130 and 143 with no
traceback, no process left and no partial report; the outputs are checked before anything is
audited (2)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from fracqa import compare, runner
from fracqa.checks import csv as csv_checks
from fracqa.cli import main
from tests.helpers import SAMPLE_EXPECTATIONS
from tests.processes import running, start_audit, watch, with_command_line
from tests.report_schema import read_report

EXPECT = ("--expect", str(SAMPLE_EXPECTATIONS))
QUICK = ("--workers", "1", "--ignore", "STA")  # the sample in this process, no statistics


def _crashing(*args, **kwargs):
    raise KeyError("no such column")


@pytest.fixture
def crashing_warning_rule(monkeypatch):
    """CSV010 mixed-flag, a warning rule, raises."""
    monkeypatch.setattr(csv_checks, "mixed_flag", _crashing)


def test_a_rule_that_raises_is_exit_3_and_an_error_in_every_report(
    crashing_warning_rule, sample_copy, tmp_path, capsys
):
    reports = {kind: tmp_path / f"audit.{kind}" for kind in ("json", "html", "xml")}
    outputs = ["--json", str(reports["json"]), "--html", str(reports["html"]),
               "--junit", str(reports["xml"])]  # fmt: skip
    assert main(["audit", str(sample_copy), *EXPECT, *QUICK, "--fail-on", "never",
                 *outputs]) == 3  # fmt: skip
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("fracqa: internal error: rule CSV010 mixed-flag raised KeyError: "
                           "'no such column' at fracqa/")  # fmt: skip
    assert "Traceback" not in captured.err
    [finding] = read_report(reports["json"])["findings"]
    assert (finding["rule"], finding["severity"]) == ("CSV010", "error")  # not its warning
    assert finding["details"]["internal_error"] is True
    assert "CSV010 [error] rule CSV010 could not finish: KeyError" in captured.out
    assert "rule CSV010 could not finish" in reports["html"].read_text()
    assert "rule CSV010 could not finish" in reports["xml"].read_text()


def test_a_rule_that_raises_is_never_waived(crashing_warning_rule, sample_copy, tmp_path):
    waivers = tmp_path / "waivers.toml"
    waivers.write_text('[[waiver]]\nrule = "CSV010"\nreason = "we know"\n')
    report = tmp_path / "audit.json"
    assert main(["audit", str(sample_copy), *EXPECT, *QUICK, "--waivers", str(waivers),
                 "--json", str(report)]) == 3  # fmt: skip
    document = read_report(report)
    [finding] = [f for f in document["findings"] if f["rule"] == "CSV010"]
    assert "waived" not in finding and document["summary"]["errors"] == 1


def test_the_python_api_says_a_rule_raised(crashing_warning_rule, sample_copy):
    import fracqa

    result = fracqa.audit(sample_copy, expect=SAMPLE_EXPECTATIONS, workers=1, ignore=["STA"],
                          fail_on="never")  # fmt: skip
    assert not result.ok
    [fault] = result.faults
    assert fault.startswith("rule CSV010 mixed-flag raised KeyError: 'no such column'")


def test_debug_shows_the_traceback_of_a_rule_that_raises(crashing_warning_rule, sample_copy,
                                                         capsys):  # fmt: skip
    assert main(["audit", str(sample_copy), *EXPECT, *QUICK, "--debug"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in _crashing" in err and err.splitlines()[-1].startswith("fracqa: internal error:")


def test_no_baseline_is_written_over_a_rule_that_raises(crashing_warning_rule, sample_copy,
                                                        tmp_path, capsys):  # fmt: skip
    output = tmp_path / "waivers.toml"
    assert main(["baseline", str(sample_copy), "-o", str(output), *EXPECT, *QUICK]) == 3
    assert not output.exists()
    assert "rule CSV010 mixed-flag raised" in capsys.readouterr().err


def test_a_loader_that_raises_is_exit_3_with_one_line_and_no_report(
    sample_copy, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr("fracqa.release.load_splits", _crashing)
    report = tmp_path / "audit.json"
    assert main(["audit", str(sample_copy), *EXPECT, *QUICK, "--json", str(report)]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and not report.exists()
    [line] = captured.err.splitlines()
    assert line.startswith("fracqa: internal error: KeyError: 'no such column' at "
                           "fracqa/release.py:")  # fmt: skip
    assert line.endswith("no report was written (this is a fault of fracqa, not of the release; "
                         "--debug shows the traceback)")  # fmt: skip
    assert main(["audit", str(sample_copy), *EXPECT, *QUICK, "--debug"]) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


@pytest.mark.parametrize("make", [
    lambda tmp: ["--json", "-", "--html", "-"],
    lambda tmp: ["--json", str(tmp / "missing" / "audit.json")],
    lambda tmp: ["--html", str(tmp)],
    lambda tmp: ["--json", str(tmp / "a"), "--junit", str(tmp / "a")],
], ids=["two reports to stdout", "folder missing", "a folder",
        "one file for two reports"])  # fmt: skip
def test_outputs_are_checked_before_anything_is_audited(make, sample_root, tmp_path, monkeypatch,
                                                        capsys):  # fmt: skip
    monkeypatch.setattr(runner, "audit_with", _never_called)
    assert main(["audit", str(sample_root), *make(tmp_path)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("fracqa: ")
    assert list(tmp_path.iterdir()) == []


def _never_called(*args, **kwargs):
    raise AssertionError("the audit ran")


def test_an_output_folder_that_is_not_writable_is_bad_usage(sample_root, tmp_path, monkeypatch,
                                                            capsys):  # fmt: skip
    real_access = os.access
    monkeypatch.setattr(runner, "audit_with", _never_called)
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == tmp_path
                        else real_access(path, mode, **kw))  # fmt: skip
    assert main(["audit", str(sample_root), "--json", str(tmp_path / "audit.json")]) == 2
    assert f"its folder {tmp_path} is not writable" in capsys.readouterr().err


def test_diff_and_baseline_check_their_outputs_first(sample_root, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "audit_with", _never_called)
    monkeypatch.setattr(runner, "run_audit", _never_called)
    # fracqa.compare holds its own name for audit_with: stubbed too, and restored after the test
    monkeypatch.setattr(compare, "audit_with", _never_called)
    nowhere = str(tmp_path / "nowhere" / "out")
    assert main(["diff", str(sample_root), str(sample_root), "--json", nowhere]) == 2
    assert main(["baseline", str(sample_root), "-o", nowhere]) == 2
    assert main(["diff", str(sample_root), str(sample_root), "--json", "-", "--html", "-"]) == 2
    assert capsys.readouterr().err.count("fracqa: ") == 3


def test_a_report_is_written_whole_or_not_at_all(sample_copy, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    report = folder / "audit.json"
    report.write_text("the previous report")
    report.chmod(0o640)

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    assert main(["audit", str(sample_copy), *EXPECT, *QUICK, "--json", str(report)]) == 130
    assert capsys.readouterr().err == "fracqa: interrupted\n"
    assert [p.name for p in folder.iterdir()] == ["audit.json"]  # no partial file beside it
    assert report.read_text() == "the previous report"
    monkeypatch.undo()
    assert main(["audit", str(sample_copy), *EXPECT, *QUICK, "--json", str(report)]) == 0
    assert json.loads(report.read_text())["summary"]["images"] == 40
    assert report.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in folder.iterdir()] == ["audit.json"]


@pytest.mark.parametrize(("how", "code", "said"), [
    ("SIGINT to the process group, as Ctrl-C", 130, "fracqa: interrupted\n"),
    ("SIGTERM to the audit alone, as kill", 143, "fracqa: terminated\n"),
])  # fmt: skip
@pytest.mark.parametrize("when", ["as the first worker starts", "while the images are read"])
def test_an_interrupted_audit_stops_cleanly(how, code, said, when, full_replica, tmp_path):
    report = tmp_path / "audit.json"
    audit = start_audit(str(full_replica), "--json", str(report), new_session=True)
    command = [os.path.realpath(audit.args[0]), *audit.args[1:]]
    enough = 1 if when.startswith("as") else 3  # Great Expectations', then the two workers
    seen = watch(audit, lambda seen, new: len(seen) >= enough)
    assert audit.poll() is None and len(seen) >= enough
    if enough > 1:
        time.sleep(0.5)
    if how.startswith("SIGINT"):
        os.killpg(audit.pid, signal.SIGINT)
    else:
        os.kill(audit.pid, signal.SIGTERM)
    seen |= watch(audit, lambda seen, new: False)
    out, err = audit.communicate(timeout=120)
    assert audit.returncode == code
    assert err == said  # no traceback, from it or from its workers
    assert list(tmp_path.iterdir()) == []  # no report, no partial one
    assert not [pid for pid in seen if running(pid)]
    assert not with_command_line(command)  # no worker left behind as an orphan
