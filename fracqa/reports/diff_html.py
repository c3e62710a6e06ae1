"""The HTML page of `fracqa diff --html`: one self-contained file (styles inlined, no script,
nothing fetched) listing what changed between two versions of a release."""

from __future__ import annotations

from fracqa.compare import ReleaseDiff
from fracqa.reports.console import where
from fracqa.reports.html import FORMAT_NAMES, TEMPLATES, environment


def render(diff: ReleaseDiff) -> str:
    template = environment().get_template("diff.html.j2")
    return template.render(diff=diff, old=diff.old, new=diff.new, summary=diff.summary(),
                           where=where, format_names=FORMAT_NAMES,
                           css=(TEMPLATES / "report.css").read_text(encoding="utf-8"))  # fmt: skip
