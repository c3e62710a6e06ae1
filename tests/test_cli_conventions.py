"""What users of ruff and pytest expect of a CI tool: --version/-V, --quiet, --output-format,
--color with NO_COLOR and FORCE_COLOR, ROOT defaulting to the current folder, a "did you mean"
for a mistyped rule, command, option or option value, and the verdict as the last line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from fixtures import defects
from fracqa import __version__
from fracqa.cli import main, use_colour
from tests.helpers import SAMPLE_EXPECTATIONS, image_with
from tests.report_schema import assert_valid_report

# the sample's figures, only the cheap rules, one process
FAST = ("--expect", str(SAMPLE_EXPECTATIONS), "--select", "CSV,LAY,SPL", "--workers", "1")
FAILING = "FAIL at --fail-on error: 1 error (1 warning)"


@pytest.fixture(scope="module")
def planted(sample_root, tmp_path_factory) -> Path:
    """A clone of the sample with one error (CSV006) and one warning (CSV010)."""
    root = defects.clone_release(sample_root, tmp_path_factory.mktemp("planted"))
    defects.set_csv_value(root, image_with(root, fractured=1), "oblique", "x")
    defects.set_csv_value(root, image_with(root, fractured=0, mixed=0), "mixed", 1)
    return root


def audit(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def usage_error(capsys, *args: str) -> str:
    """The one line argparse prints (exit 2) for a command line it refuses."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    assert exited.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


# ------------------------------------------------------------------------ the verdict line


def test_the_text_ends_with_the_verdict_line(planted, capsys):
    code, out, err = audit(capsys, str(planted), *FAST)
    assert code == 1 and err == ""
    assert out.splitlines()[-1] == FAILING
    assert ": CSV006 [error]" in out  # the findings come first


@pytest.mark.parametrize(("fail_on", "code", "line"), [
    ("warning", 1, "FAIL at --fail-on warning: 1 error, 1 warning"),
    ("never", 0, "PASS at --fail-on never: nothing gates (1 error, 1 warning)"),
])  # fmt: skip
def test_the_verdict_is_given_at_the_fail_on_level(planted, capsys, fail_on, code, line):
    assert audit(capsys, str(planted), *FAST, "--fail-on", fail_on, "-q") == (code, f"{line}\n", "")


def test_a_clean_release_passes(sample_root, capsys):
    code, out, _ = audit(capsys, str(sample_root), *FAST)
    assert code == 0 and out.splitlines()[-1] == "PASS at --fail-on error: no error"


# ---------------------------------------------------------------------------- --version


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag, capsys):
    with pytest.raises(SystemExit) as exited:
        main([flag])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"fracqa {__version__}\n"


def test_version_answers_without_importing_the_audit():
    run = subprocess.run([sys.executable, "-c", "import sys\nfrom fracqa.cli import main\n"
                          "try:\n    main(['-V'])\nexcept SystemExit:\n    pass\n"
                          "print('pandas' in sys.modules)"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.stdout.splitlines() == [f"fracqa {__version__}", "False"], run.stderr


# ------------------------------------------------------------------------------ --quiet


def test_quiet_prints_only_the_verdict_line(planted, capsys):
    assert audit(capsys, str(planted), *FAST, "-q") == (1, f"{FAILING}\n", "")
    assert audit(capsys, str(planted), *FAST, "--quiet") == (1, f"{FAILING}\n", "")


def test_quiet_twice_prints_nothing_but_still_writes_the_reports(planted, capsys, tmp_path):
    report = tmp_path / "audit.json"
    assert audit(capsys, str(planted), *FAST, "-qq", "--json", str(report)) == (1, "", "")
    assert json.loads(report.read_text())["exit_code"] == 1


def test_quiet_diff_prints_only_its_verdict(planted, sample_root, capsys):
    code = main(["diff", str(sample_root), str(planted), *FAST, "-q"])
    out = capsys.readouterr().out
    line = "FAIL at --fail-on error: 1 finding introduced at or above error (2 introduced in all)"
    assert code == 1 and out == f"{line}\n"
    code = main(["diff", str(sample_root), str(planted), *FAST, "--output-format", "json"])
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert code == document["exit_code"] == 1 and document["verdict"] == line
    assert captured.err.splitlines()[-1] == line  # the text went to stderr
    assert main(["diff", str(planted), str(sample_root), *FAST, "-q"]) == 0
    assert capsys.readouterr().out == ("PASS at --fail-on error: no finding introduced at or "
                                       "above error (2 fixed)\n")  # fmt: skip


def test_quiet_baseline_prints_nothing(planted, capsys, tmp_path):
    waivers = tmp_path / "waivers.toml"
    assert main(["baseline", str(planted), *FAST, "-o", str(waivers), "-q"]) == 0
    assert capsys.readouterr().out == "" and "CSV006" in waivers.read_text()


# ---------------------------------------------------------------------- --output-format


def test_output_format_json_puts_the_report_on_stdout_and_the_text_on_stderr(planted, capsys):
    code, out, err = audit(capsys, str(planted), *FAST, "--output-format", "json")
    document = json.loads(out)
    assert_valid_report(document)
    assert code == document["exit_code"] == 1 and document["verdict"] == FAILING
    assert err.splitlines()[-1] == FAILING and ": CSV006 [error]" in err


def test_output_format_junit_puts_junit_on_stdout(planted, capsys):
    code, out, err = audit(capsys, str(planted), *FAST, "--output-format", "junit", "-qq")
    suites = ElementTree.fromstring(out)
    assert code == 1 and err == ""
    assert suites.get("failures") == "1"  # CSV006; CSV010's warning does not gate


def test_output_format_text_is_the_default(planted, capsys):
    def timeless(text: str) -> list[str]:
        return [line for line in text.splitlines() if " audited in " not in line]

    code, explicit, _ = audit(capsys, str(planted), *FAST, "--output-format", "text")
    default = audit(capsys, str(planted), *FAST)
    assert code == default[0] == 1 and timeless(explicit) == timeless(default[1])
    assert explicit.splitlines()[-1] == FAILING


def test_two_reports_on_stdout_are_bad_usage(planted, capsys):
    code, out, err = audit(capsys, str(planted), *FAST, "--output-format", "sarif",
                           "--json", "-")  # fmt: skip
    assert code == 2 and out == ""
    assert err == ("fracqa: --json - and --output-format sarif would both write to stdout: "
                   "keep one\n")


# ------------------------------------------------------------------------------- colour


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("choice", "environ", "tty", "expected"), [
    ("always", {"NO_COLOR": "1"}, False, True),  # the command line wins over the environment
    ("never", {"FORCE_COLOR": "1"}, True, False),
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"NO_COLOR": ""}, True, True),  # set but empty: ignored, as no-color.org says
    ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),
    ("auto", {"TERM": "dumb"}, True, False),
    ("auto", {"TERM": "dumb", "FORCE_COLOR": "1"}, False, True),
])  # fmt: skip
def test_colour_choice(choice, environ, tty, expected):
    stream = Terminal() if tty else io.StringIO()
    assert use_colour(choice, stream, environ) is expected


def test_force_color_and_no_color_reach_the_text(planted, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = audit(capsys, str(planted), *FAST)
    assert out.splitlines()[-1] == f"\x1b[1;31mFAIL\x1b[0m{FAILING.removeprefix('FAIL')}"
    assert "\x1b[31m[error]\x1b[0m" in out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in audit(capsys, str(planted), *FAST)[1]
    assert "\x1b[" in audit(capsys, str(planted), *FAST, "--color", "always")[1]
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b[" not in audit(capsys, str(planted), *FAST, "--color", "never")[1]


# ------------------------------------------------------------------------- ROOT default


def test_root_defaults_to_the_current_folder(planted, capsys, monkeypatch):
    monkeypatch.chdir(planted)
    assert audit(capsys, *FAST, "-q") == (1, f"{FAILING}\n", "")


def test_a_folder_holding_the_release_takes_the_reports(planted, capsys, monkeypatch):
    """From a dataset repository's root (the release one folder down), `fracqa audit` finds
    the release and may write its reports beside it, never inside it."""
    monkeypatch.chdir(planted.parent)
    code, out, err = audit(capsys, *FAST, "--json", "fracqa.json", "-q")
    assert (code, out, err) == (1, f"{FAILING}\n", "")
    assert json.loads((planted.parent / "fracqa.json").read_text())["root"] == str(planted)
    inside = Path(planted.name) / "fracqa.json"
    code, _, err = audit(capsys, *FAST, "--json", str(inside))
    assert code == 2 and "inside the release" in err and not inside.exists()


# ------------------------------------------------------------------------- did you mean


@pytest.mark.parametrize(("option", "typo", "meant"), [
    ("--select", "STA03", "STA003"),
    ("--select", "cvs", "CSV"),
    ("--ignore", "fracture-count-mismach", "fracture-count-mismatch"),
])  # fmt: skip
def test_a_mistyped_rule_says_what_it_may_mean(sample_root, capsys, option, typo, meant):
    code, out, err = audit(capsys, str(sample_root), *FAST, option, typo)
    assert code == 2 and out == ""
    assert err == (f"fracqa: {typo!r} matches no rule; did you mean {meant!r}? "
                   "(see `fracqa rules`)\n")  # fmt: skip


def test_a_rule_nothing_resembles_gets_no_guess(sample_root, capsys):
    _, _, err = audit(capsys, str(sample_root), *FAST, "--ignore", "XYZ9")
    assert err == "fracqa: 'XYZ9' matches no rule (see `fracqa rules`)\n"


def test_a_mistyped_rule_in_the_configuration_says_what_it_may_mean(planted, capsys, tmp_path):
    config = tmp_path / "fracqa.toml"
    config.write_text('ignore = ["STA03"]\n')
    _, _, err = audit(capsys, str(planted), *FAST, "--config", str(config))
    assert err == (f"fracqa: {config}: ignore 'STA03' matches no rule; did you mean 'STA003'? "
                   "(see `fracqa rules`)\n")  # fmt: skip


def test_explain_a_mistyped_rule(capsys):
    assert main(["explain", "image-mising"]) == 2
    assert capsys.readouterr().err == ("fracqa: no rule 'image-mising'; did you mean "
                                       "'image-missing'? (see `fracqa rules`)\n")  # fmt: skip


@pytest.mark.parametrize(("args", "said"), [
    (["audit", ".", "--fail-on", "warn"],
     "argument --fail-on: invalid choice: 'warn' (choose from 'error', 'warning', 'never'); "
     "did you mean 'warning'?"),
    (["audit", ".", "--output-format", "sarf"],
     "argument --output-format: invalid choice: 'sarf' (choose from 'text', 'json', 'junit', "
     "'github', 'sarif'); did you mean 'sarif'?"),
    (["audit", ".", "--color", "alway"], "did you mean 'always'?"),
    (["audti", "."], "argument COMMAND: invalid choice: 'audti' (choose from 'audit', "
                     "'baseline', 'croissant', 'diff', 'rules', 'explain'); did you mean 'audit'?"),
    (["audit", ".", "--fail-one", "error"],
     "unrecognized arguments: --fail-one error; did you mean '--fail-on'?"),
])  # fmt: skip
def test_a_mistyped_command_option_or_value_says_what_it_may_mean(capsys, args, said):
    assert said in usage_error(capsys, *args)


def test_a_typo_close_to_several_rules_names_them_all():
    from fracqa.catalogue import no_rule

    assert "did you mean 'CSV003' or 'CSV013'?" in no_rule("CSV03")
