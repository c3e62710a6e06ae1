"""The README stays true: its commands are the ones CI runs, and its rule list is current."""

from __future__ import annotations

import re

from fracqa.catalogue import all_rules
from fracqa.cli import rules_markdown
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
