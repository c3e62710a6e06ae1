"""The CI examples a dataset repository copies (examples/github-actions, examples/pre-commit) and
the hook this repository offers (.pre-commit-hooks.yaml) stay usable: their structure is what
GitHub Actions and pre-commit expect, and every fracqa command in them is one fracqa accepts."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest
import yaml

from fixtures import defects
from fracqa import pytest_plugin
from fracqa.cli import _parser
from fracqa.cli import main as fracqa_main
from tests.conftest import REPO
from tests.helpers import SAMPLE_EXPECTATIONS, image_with

WORKFLOW = REPO / "examples" / "github-actions" / "fracqa.yml"
PRE_COMMIT_CONFIG = REPO / "examples" / "pre-commit" / ".pre-commit-config.yaml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
REPORTS = {"fracqa-report.html", "fracqa.json", "fracqa-junit.xml", "fracqa.sarif"}


def load(path: Path):
    return yaml.safe_load(path.read_text())


def workflow() -> dict:
    return load(WORKFLOW)


def steps(job: dict) -> list[dict]:
    return job["steps"]


def all_steps() -> list[dict]:
    return [step for job in workflow()["jobs"].values() for step in steps(job)]


def command_lines(script: str, program: str) -> list[str]:
    """The lines of a shell script that run `program` (backslash continuations joined)."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [line.strip() for line in joined.splitlines()
            if line.split()[:1] == [program]]  # fmt: skip


def shell_scripts() -> list[str]:
    """The `run:` scripts of the workflow's shell steps (not its `shell: python` steps)."""
    return [step["run"] for step in all_steps() if "run" in step and step.get("shell") != "python"]


def workflow_commands(program: str) -> list[str]:
    return [line for script in shell_scripts() for line in command_lines(script, program)]


def parse_fracqa(command: str) -> argparse.Namespace:
    """fracqa's own parser on a `fracqa ...` command line; fails the test if it is refused."""
    words = shlex.split(command)
    assert words[0] == "fracqa"
    try:
        return _parser().parse_args(words[1:])
    except SystemExit as refused:
        pytest.fail(f"fracqa refuses {command!r} (exit {refused.code})")


class _OptionRecorder:
    """Stands in for pytest's parser: the plugin's options land in a plain argparse parser."""

    def __init__(self) -> None:
        self.parser = argparse.ArgumentParser(add_help=False)

    def getgroup(self, *args, **kwargs) -> _OptionRecorder:
        return self

    def addoption(self, *names, **kwargs) -> None:
        self.parser.add_argument(*names, **kwargs)


def plugin_options() -> argparse.ArgumentParser:
    recorder = _OptionRecorder()
    pytest_plugin.pytest_addoption(recorder)  # type: ignore[arg-type]
    return recorder.parser


@pytest.fixture
def planted_repository(sample_root, tmp_path) -> Path:
    """A dataset repository: the sample as FracAtlas/ with one error planted (CSV006)."""
    release = defects.clone_release(sample_root, tmp_path)
    assert release.name == "FracAtlas"
    defects.set_csv_value(release, image_with(release, fractured=1), "oblique", "x")
    return tmp_path


# ------------------------------------------------------------------------ GitHub Actions


def test_workflow_runs_on_push_and_pull_request():
    document = workflow()
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)


def test_every_job_sets_up_python_3_11_and_installs_fracqa():
    jobs = workflow()["jobs"]
    assert set(jobs) == {"audit", "pytest"}
    for name, job in jobs.items():
        setup = [s for s in steps(job) if s.get("uses", "").startswith("actions/setup-python@")]
        assert [s["with"]["python-version"] for s in setup] == ["3.11"], name
        installs = [s["run"] for s in steps(job) if "pip install" in s.get("run", "")]
        assert len(installs) == 1 and "fracqa" in installs[0].split(), name


def test_reports_are_uploaded_and_summarised_whatever_the_audit_found():
    audit = steps(workflow()["jobs"]["audit"])
    uploads = [s for s in audit if s.get("uses") == "actions/upload-artifact@v4"]
    assert len(uploads) == 1
    assert uploads[0]["if"] == "always()"
    assert set(uploads[0]["with"]["path"].split()) == REPORTS
    summaries = [s for s in audit if s.get("shell") == "python"]
    assert len(summaries) == 1 and summaries[0]["if"] == "always()"
    assert "GITHUB_STEP_SUMMARY" in summaries[0]["run"]
    for step in all_steps():
        if step.get("uses", "").startswith("actions/upload-artifact"):
            assert step["if"] == "always()", step["name"]


def test_step_summary_scripts_are_valid_python():
    scripts = [step["run"] for step in all_steps() if step.get("shell") == "python"]
    assert len(scripts) == 2
    for script in scripts:
        compile(script, "step summary", "exec")


def test_workflow_audit_command_is_one_fracqa_accepts():
    commands = workflow_commands("fracqa")
    assert len(commands) == 1
    args = parse_fracqa(commands[0])
    assert args.command == "audit"
    assert args.root == Path("FracAtlas")
    assert args.waivers == Path("waivers.toml")
    assert args.output_format == "github"  # the findings become annotations on the PR
    assert {str(args.junit), str(args.html), str(args.json), str(args.sarif)} == REPORTS


def test_workflow_audit_command_annotates_the_findings_and_writes_the_reports(
        planted_repository, monkeypatch, capsys):  # fmt: skip
    """The workflow's own command, run in a dataset repository (the release in FracAtlas/, as
    the workflow expects) without its waivers: GitHub annotations naming files from the
    repository's root, then the verdict, and every report the upload step keeps."""
    words = shlex.split(workflow_commands("fracqa")[0])[1:]
    at = words.index("--waivers")
    del words[at:at + 2]
    monkeypatch.chdir(planted_repository)

    code = fracqa_main([*words, "--expect", str(SAMPLE_EXPECTATIONS), "--workers", "1"])

    out = capsys.readouterr().out.splitlines()
    assert code == 1
    annotations = [line for line in out if line.startswith("::")]
    assert annotations and all(line.startswith("::error file=FracAtlas/dataset.csv,line=")
                               for line in annotations)  # fmt: skip
    assert out[-1].startswith("FAIL at --fail-on error: ")
    assert {path.name for path in planted_repository.iterdir() if path.is_file()} == REPORTS


def test_workflow_pytest_command_uses_only_options_the_plugin_registers():
    commands = workflow_commands("pytest")
    assert len(commands) == 1
    words = shlex.split(commands[0])[1:]
    known, others = plugin_options().parse_known_args(words)
    assert known.fracqa == ["FracAtlas"]
    assert known.fracqa_waivers == "waivers.toml"
    assert not [word for word in others if word.startswith("--fracqa")]
    assert any(word.startswith("--junitxml=") for word in others)


# ------------------------------------------------------------------------------ pre-commit


def local_hook() -> dict:
    (repo,) = load(PRE_COMMIT_CONFIG)["repos"]
    assert repo["repo"] == "local"
    (hook,) = repo["hooks"]
    return hook


def test_pre_commit_example_is_a_local_fracqa_audit_hook():
    hook = local_hook()
    assert hook["id"] == "fracqa-audit"
    assert hook["language"] == "system"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("FracAtlas/dataset.csv")
    assert files.search("FracAtlas/images/Fractured/IMG0000019.jpg")
    assert files.search("waivers.toml") and files.search("fracqa.toml")  # they change the verdict
    assert not files.search("README.md")
    assert not files.search("docs/waivers.toml.md")


def test_pre_commit_example_entry_is_one_fracqa_accepts():
    args = parse_fracqa(local_hook()["entry"])
    assert args.command == "audit"
    assert args.root == Path("FracAtlas")
    assert args.waivers == Path("waivers.toml")


def test_pre_commit_example_entry_passes_on_the_sample(sample_root):
    """The hook's own command, on the sample release instead of FracAtlas/ and without the
    dataset repository's waivers, passes: it is a working audit command."""
    words = shlex.split(local_hook()["entry"])[1:]
    at = words.index("--waivers")
    del words[at:at + 2]
    words[words.index("FracAtlas")] = str(sample_root)

    assert fracqa_main([*words, "--expect", str(SAMPLE_EXPECTATIONS)]) == 0


def test_offered_hook_runs_fracqa_audit_once_per_commit():
    (hook,) = load(HOOKS)
    assert {"id", "name", "entry", "language"} <= set(hook)  # what pre-commit requires
    assert hook["id"] == "fracqa-audit"
    assert hook["description"]
    assert hook["entry"] == "fracqa audit"
    assert hook["language"] == "python"  # pre-commit installs fracqa from this repository
    assert hook["pass_filenames"] is False
    assert hook["always_run"] is True
    assert hook["args"] == ["FracAtlas"]
    args = parse_fracqa(shlex.join([*shlex.split(hook["entry"]), *hook["args"]]))
    assert args.command == "audit" and args.root == Path("FracAtlas")


def test_offered_hook_and_example_share_the_hook_id():
    (offered,) = load(HOOKS)
    assert offered["id"] == local_hook()["id"]
    assert "fracqa-audit" in PRE_COMMIT_CONFIG.read_text().split("# Instead of a local hook")[1]
