"""GitHub Actions workflow commands: one `::error`, `::warning` or `::notice` line per finding no
waiver accepts, which GitHub shows as annotations on the run and, for files the pull request
changes, on the pull request's diff:

    ::error file=FracAtlas/dataset.csv,line=17,title=CSV003 fracture-count-mismatch::...

Files are named relative to `base` (the working folder: in a workflow, the repository's root,
which is what GitHub resolves them against). Values are escaped as GitHub's runner unescapes
them: `%`, CR and LF in the message; those and `:` and `,` in a property.
"""

from __future__ import annotations

from pathlib import Path

from fracqa.model import AuditRecord, Finding, Severity
from fracqa.reports.console import line_of

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A command's message: `%`, CR and LF escaped (`%` first, so nothing is escaped twice)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: the message's escapes, and the separators `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: AuditRecord, base: Path | None = None) -> str:
    """One workflow command per finding no waiver accepts, in the findings' order."""
    base = Path.cwd() if base is None else base
    return "".join(command(finding, result.root, base) + "\n" for finding in result.open)


def command(finding: Finding, root: Path, base: Path) -> str:
    properties = {}
    if finding.file:
        properties["file"] = _path(root / finding.file, base)
    line = line_of(finding.location)
    if finding.file and line is not None:
        properties["line"] = str(line)
    properties["title"] = f"{finding.rule} {finding.name}"
    listed = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{COMMANDS[finding.severity]} {listed}::{escape_data(_message(finding, line))}"


def _message(finding: Finding, line: int | None) -> str:
    """The finding's message, with its place and image when neither the line nor the message
    already shows them."""
    extra = []
    if line is None and finding.location and finding.location not in finding.message:
        extra.append(finding.location)
    image = finding.image_id
    if image and image not in finding.message and image not in (finding.file or ""):
        extra.append(image)
    return f"{finding.message} ({', '.join(extra)})" if extra else finding.message


def _path(path: Path, base: Path) -> str:
    """`path` relative to `base` when it is under it (as a workflow names files), else
    absolute; with `/` either way."""
    try:
        return path.relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
