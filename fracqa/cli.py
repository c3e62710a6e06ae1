"""The `fracqa` command: audit a release, list the rules, explain one."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from fracqa import __version__
from fracqa.audit import run_audit
from fracqa.catalogue import UnknownSelector, all_rules, find_rule
from fracqa.config import DEFAULT_EXPECTATIONS, Settings
from fracqa.layout import NotARelease
from fracqa.load.expectations import BadExpectations
from fracqa.reports import console, html, json_report, junit

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


class UsageError(Exception):
    """Bad usage that argparse cannot see; exits 2 with one line on stderr."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (NotARelease, UnknownSelector, BadExpectations, UsageError) as error:
        print(f"fracqa: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("fracqa: interrupted", file=sys.stderr)
        return EXIT_UNUSABLE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fracqa", description="Audit a FracAtlas-style fracture dataset release."
    )
    parser.add_argument("--version", action="version", version=f"fracqa {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit = commands.add_parser("audit", help="audit a release and report its findings")
    audit.add_argument("root", type=Path, metavar="ROOT", help="the release's root folder")
    audit.add_argument("--json", type=Path, metavar="FILE",
                       help="write the JSON report ('-': stdout)")
    audit.add_argument("--html", type=Path, metavar="FILE", help="write the HTML audit report")
    audit.add_argument("--junit", type=Path, metavar="FILE",
                       help="write JUnit XML, a test case per rule")
    audit.add_argument("--all-findings", action="store_true",
                       help="print every finding, not the first few of each rule")
    audit.add_argument("--select", action="append", default=[], metavar="CODES",
                       help="run only these rules: codes, prefixes or names, comma-separated")
    audit.add_argument("--ignore", action="append", default=[], metavar="CODES",
                       help="skip these rules: codes, prefixes or names, comma-separated")
    audit.add_argument("--fail-on", choices=("error", "warning", "never"), default="error",
                       help="exit 1 when a finding at or above this severity exists "
                            "(default: error)")
    audit.add_argument("--workers", type=_positive, metavar="N",
                       help="processes for the image scan (default: every core)")
    audit.add_argument("--expect", type=Path, metavar="STATS.yaml", default=DEFAULT_EXPECTATIONS,
                       help="the published figures to compare with (default: FracAtlas 2023)")
    audit.set_defaults(run=_audit)

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    rules.set_defaults(run=_rules)

    explain = commands.add_parser("explain", help="explain one rule")
    explain.add_argument("code", metavar="CODE", help="a rule code or name, e.g. CSV004")
    explain.set_defaults(run=_explain)
    return parser  # fmt: skip


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _split(entries: list[str]) -> list[str]:
    return [part.strip() for entry in entries for part in entry.split(",") if part.strip()]


def _audit(args: argparse.Namespace) -> int:
    outputs = {"JSON": args.json, "HTML": args.html, "JUnit": args.junit}
    for path in outputs.values():
        if path and str(path) != "-":
            _refuse_inside(path, args.root)
    settings = Settings(workers=args.workers, expectations=args.expect,
                        progress=sys.stderr.isatty())  # fmt: skip
    result = run_audit(args.root, _split(args.select), _split(args.ignore), settings)
    renderers = {
        "JSON": lambda: json_report.render(result).encode("utf-8"),
        "HTML": lambda: html.render(result, args.fail_on).encode("utf-8"),
        "JUnit": lambda: junit.render(result, args.fail_on),
    }
    written = {}
    for kind, path in outputs.items():
        if path:
            _write(path, renderers[kind]())
            written[kind] = "stdout" if str(path) == "-" else str(path)
    to_stdout = "stdout" in written.values()
    colour = not to_stdout and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    text = console.render(result, colour, None if args.all_findings else console.FIRST_FEW,
                          {k: v for k, v in written.items() if v != "stdout"})  # fmt: skip
    (sys.stderr if to_stdout else sys.stdout).write(text)
    return EXIT_FINDINGS if result.gates(args.fail_on) else EXIT_OK


def _refuse_inside(output: Path, root: Path) -> None:
    """fracqa never writes inside the release it audits."""
    target, release = output.resolve(), root.resolve()
    if release.is_dir() and (target == release or release in target.parents):
        raise UsageError(f"refusing to write {output} inside the release being audited")


def _write(path: Path, data: bytes) -> None:
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        path.write_bytes(data)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None


def _rules(args: argparse.Namespace) -> int:
    rules = all_rules()
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in rules], indent=2))
        return EXIT_OK
    if args.format == "markdown":
        print(rules_markdown(rules), end="")
        return EXIT_OK
    for r in rules:
        print(f"{r.code}  {r.name:<28} {r.family:<12} {r.severity.value:<8} {r.title}")
    return EXIT_OK


def rules_markdown(rules) -> str:
    """The rule catalogue as the Markdown page docs/rules.md."""
    lines = [
        "# fracqa rules",
        "",
        "Generated by `fracqa rules --format markdown`; `fracqa explain CODE` prints one rule.",
        "",
        "| code | name | family | severity | checks that |",
        "|---|---|---|---|---|",
        *(f"| {r.code} | {r.name} | {r.family} | {r.severity.value} | {r.title} |" for r in rules),
    ]
    for r in rules:
        lines += ["", f"## {r.code} {r.name}", "", f"*{r.family}, {r.severity.value}*", "", r.doc]
    return "\n".join(lines) + "\n"


def _explain(args: argparse.Namespace) -> int:
    found = find_rule(args.code)
    if found is None:
        raise UsageError(f"no rule {args.code!r} (see `fracqa rules`)")
    print(f"{found.code} {found.name} [{found.severity.value}, {found.family}]")
    print(found.title)
    print()
    print(found.doc)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
