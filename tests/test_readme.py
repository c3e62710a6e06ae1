"""The README stays true: its commands are the ones CI runs, its rule list is current, and its
configuration and Python examples work."""

from __future__ import annotations

import re

from fracqa.catalogue import all_rules, select_rules
from fracqa.cli import rules_markdown
from fracqa.options import read_config
from tests.conftest import REPO


def _shell_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command():
    install_and_audit, test_command = _shell_blocks()[:2]
    ci_commands = [
        line
        for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci_commands == [test_command]
    assert "fracqa audit fixtures/sample/FracAtlas --expect fixtures/sample/expected.yaml" in (
        install_and_audit
    )
    assert "--html report.html" in install_and_audit


def test_docs_rules_is_generated_from_the_catalogue():
    assert (REPO / "docs" / "rules.md").read_text() == rules_markdown(all_rules())


def _blocks(language: str, after: str) -> str:
    """The first ```language block after the heading `after` in the README."""
    text = (REPO / "README.md").read_text()
    section = text[text.index(after):]
    return re.search(rf"```{language}\n(.*?)```", section, flags=re.S).group(1)


def test_configuration_example_is_a_valid_configuration(tmp_path):
    config = tmp_path / "fracqa.toml"
    config.write_text(_blocks("toml", "## Configuration"))
    options = read_config(config)
    assert options.ignore == ("STA004",) and options.severity == {"IMG013": "info"}
    assert options.settings.tolerances.iou == 0.5 and options.settings.workers == 2
    assert options.waivers == tmp_path / "waivers.toml"
    select_rules(options.select, options.ignore, options.severity)  # every entry names a rule


def test_python_api_example_runs(tmp_path, monkeypatch, capsys):
    code = _blocks("python", "## Python API").replace(
        '"fixtures/sample/', f'"{REPO.as_posix()}/fixtures/sample/'
    )
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "<fracqa.AuditResult FracAtlas: ok at error" in printed
    assert "'images_removed': 0" in printed
    assert (tmp_path / "audit.html").read_text().startswith("<!DOCTYPE html>")


def test_every_relative_link_of_the_docs_stays_in_the_repository():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # a web address: the paper, a standard
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(REPO), f"{page.name} links {target} outside the repo"
            assert resolved.exists(), f"{page.name} links {target}, which does not exist"
