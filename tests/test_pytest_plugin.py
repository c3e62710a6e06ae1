"""The pytest plugin (`pytest --fracqa ROOT`), run in a subprocess as a user runs it, so that the
installed `pytest11` entry point is what loads it: one test case per rule, failing on the
rule's findings at or above --fracqa-fail-on that no waiver accepts."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from fixtures.defects import set_csv_value
from fixtures.defects_annotations import add_coco_annotation_to
from fracqa.catalogue import select_rules
from fracqa.cli import main as fracqa_main
from tests.helpers import REPO, SAMPLE_EXPECTATIONS, image_with

pytest_plugins = ["pytester"]

EXPECT = ("--fracqa-expect", str(SAMPLE_EXPECTATIONS))
RULES = select_rules()
# The tests of how cases pass and fail leave the statistics rules out: each pytest process would
# import Great Expectations anew (seconds) for figures the clean-sample test already checks.
NO_STATISTICS = select_rules(ignore=["STA"])
CASE_LINE = re.compile(r"^fracqa\[.*\]::(\S+) (PASSED|FAILED)", re.M)


@pytest.fixture(autouse=True)
def this_checkout_first(monkeypatch):
    """The pytest run in a subprocess imports fracqa (and so the plugin its entry point names)
    from this checkout, not from wherever fracqa happens to be installed."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [
        str(REPO), os.environ.get("PYTHONPATH")])))  # fmt: skip


def run_plugin(pytester: pytest.Pytester, *args: object) -> pytest.RunResult:
    """`pytest -v ARGS` in a fresh process, with a configuration file of its own so that the
    rootdir (and any ini file) never comes from this repository."""
    ini = pytester.makeini("[pytest]\n")
    return pytester.runpytest_subprocess(
        "-c", str(ini), "-p", "no:cacheprovider", "-p", "no:xdist", "-v",
        *(str(arg) for arg in args), timeout=300,
    )  # fmt: skip


def without_statistics(folder: Path) -> tuple[str, str]:
    """The plugin option naming a configuration, in `folder`, that ignores the STA rules."""
    config = folder / "no-statistics.toml"
    config.write_text('ignore = ["STA"]\n')
    return ("--fracqa-config", str(config))


def cases(result: pytest.RunResult) -> dict[str, str]:
    """Each test case the run reported, by name (e.g. `CSV003-fracture-count-mismatch`), with
    its outcome."""
    return dict(CASE_LINE.findall(result.stdout.str()))


def case_name(code: str) -> str:
    return next(f"{rule.code}-{rule.name}" for rule in RULES if rule.code == code)


def plant_fracture_count_mismatch(root: Path) -> str:
    """An extra COCO instance on a fractured image: only CSV003 (an error) finds it."""
    return add_coco_annotation_to(root, image_with(root, fractured=1))


def plant_mixed_flag(root: Path) -> str:
    """mixed=1 on a non-fractured image of one region: only CSV010 (a warning) finds it."""
    image_id = image_with(root, fractured=0, mixed=0, hand=1, leg=0, hip=0, shoulder=0)
    return set_csv_value(root, image_id, "mixed", 1)


def test_clean_sample_passes_with_one_case_per_rule(pytester, sample_copy):
    result = run_plugin(pytester, "--fracqa", sample_copy, *EXPECT)

    result.assert_outcomes(passed=len(RULES))
    assert result.ret == pytest.ExitCode.OK
    assert cases(result) == {f"{rule.code}-{rule.name}": "PASSED" for rule in RULES}
    assert "CSV003-fracture-count-mismatch" in cases(result)
    result.stdout.fnmatch_lines([f"*collected {len(RULES)} items"])
    result.stdout.fnmatch_lines(["plugins: *fracqa-*"])  # loaded by its pytest11 entry point


def test_each_rule_fails_on_its_own_findings_at_or_above_fail_on(pytester, sample_copy, tmp_path):
    """An error (CSV003) and a warning (CSV010) planted in one copy: at the default level only
    the error's rule fails, naming the image; at --fracqa-fail-on warning both rules fail."""
    error_image = plant_fracture_count_mismatch(sample_copy)
    warning_image = plant_mixed_flag(sample_copy)
    config = without_statistics(tmp_path)

    at_default = run_plugin(pytester, "--fracqa", sample_copy, *EXPECT, *config)
    at_warning = run_plugin(pytester, "--fracqa", sample_copy, *EXPECT, *config,
                            "--fracqa-fail-on", "warning")  # fmt: skip

    at_default.assert_outcomes(passed=len(NO_STATISTICS) - 1, failed=1)
    assert at_default.ret == pytest.ExitCode.TESTS_FAILED
    failed = [name for name, outcome in cases(at_default).items() if outcome == "FAILED"]
    assert failed == ["CSV003-fracture-count-mismatch"]
    failure = at_default.stdout.str().split("= FAILURES =", 1)[1]
    assert "CSV003 fracture-count-mismatch: 1 finding(s) at or above error" in failure
    assert error_image in failure

    at_warning.assert_outcomes(passed=len(NO_STATISTICS) - 2, failed=2)
    assert cases(at_warning)[case_name("CSV010")] == "FAILED"
    assert cases(at_warning)[case_name("CSV003")] == "FAILED"
    at_warning.stdout.fnmatch_lines(["*CSV010 mixed-flag: 1 finding(s) at or above warning*"])
    assert warning_image in at_warning.stdout.str()


def test_baseline_waivers_accept_the_planted_error(pytester, sample_copy, tmp_path):
    image_id = plant_fracture_count_mismatch(sample_copy)
    waivers = tmp_path / "waivers.toml"
    written = fracqa_main(["baseline", str(sample_copy), "-o", str(waivers),
                           "--expect", str(SAMPLE_EXPECTATIONS)])  # fmt: skip
    assert written == 0 and image_id in waivers.read_text()

    # -rP shows the findings of the passing cases: the waived one, and WAV002's notes
    result = run_plugin(pytester, "--fracqa", sample_copy, *EXPECT, *without_statistics(tmp_path),
                        "--fracqa-waivers", waivers, "-rP")  # fmt: skip

    with_waiver_rules = select_rules(ignore=["STA"], waivers=True)
    assert len(with_waiver_rules) == len(NO_STATISTICS) + 2
    result.assert_outcomes(passed=len(with_waiver_rules))
    outcomes = cases(result)
    assert outcomes["CSV003-fracture-count-mismatch"] == "PASSED"
    assert outcomes["WAV001-stale-waiver"] == "PASSED"
    assert outcomes["WAV002-waiver-without-reason"] == "PASSED"
    result.stdout.fnmatch_lines([f"*({image_id}): CSV003 [[]error[]] *(waived: no reason given)"])


def test_keyword_selects_one_rule(pytester, sample_root, sample_stays_pristine, tmp_path):
    result = run_plugin(pytester, "--fracqa", sample_root, *EXPECT,
                        *without_statistics(tmp_path), "-k", "CSV003")  # fmt: skip

    rules = len(NO_STATISTICS)
    result.assert_outcomes(passed=1, deselected=rules - 1)
    assert cases(result) == {"CSV003-fracture-count-mismatch": "PASSED"}
    result.stdout.fnmatch_lines([f"*collected {rules} items / {rules - 1} deselected / 1 selected"])


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_an_unusable_root_is_one_usage_error(pytester, tmp_path, kind):
    """Not one failing test case per rule, all for the same reason: pytest's usage error (exit
    code 4), one line, before anything is collected."""
    root = tmp_path / "no-such-release"
    if kind == "file":
        root.write_text("not a release")

    result = run_plugin(pytester, "--fracqa", root)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    reason = "does not exist" if kind == "missing" else "is not a directory"
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert errors == [f"ERROR: --fracqa: {root} {reason}"]
    assert cases(result) == {}
    assert "collected" not in result.stdout.str()
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "NotARelease" not in output  # fracqa's message, not the exception's repr


def test_a_usable_root_beside_an_unusable_one_is_still_refused(pytester, sample_root, tmp_path):
    result = run_plugin(pytester, "--fracqa", sample_root, "--fracqa", tmp_path / "missing",
                        *EXPECT, "--collect-only")  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert cases(result) == {}


def test_config_beside_the_release_ignores_rules(pytester, sample_copy):
    (sample_copy.parent / "fracqa.toml").write_text('ignore = ["STA"]\n')
    remaining = select_rules(ignore=["STA"])
    assert 0 < len(remaining) < len(RULES)

    # no --fracqa-expect: the statistics rules would fail against the paper's figures
    result = run_plugin(pytester, "--fracqa", sample_copy)

    result.assert_outcomes(passed=len(remaining))
    assert set(cases(result)) == {f"{rule.code}-{rule.name}" for rule in remaining}
    assert not [name for name in cases(result) if name.startswith("STA")]


def test_config_with_an_unknown_key_fails_the_one_options_case(pytester, sample_copy):
    (sample_copy.parent / "fracqa.toml").write_text('colour = "red"\n')

    result = run_plugin(pytester, "--fracqa", sample_copy, *EXPECT)

    result.assert_outcomes(failed=1)
    assert cases(result) == {"options": "FAILED"}
    result.stdout.fnmatch_lines(["*fracqa.toml: unknown key 'colour'*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
