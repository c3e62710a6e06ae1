"""The `fracqa` command: audit a release, accept its current findings (baseline), compare two
releases (diff), list the rules, explain one."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from fracqa import __version__
from fracqa.catalogue import all_rules, find_rule
from fracqa.errors import Unusable
from fracqa.load.files import inside
from fracqa.options import FAIL_ON, Options, load_options
from fracqa.waivers import Waivers, load_waivers

# What audits and renders (pandas and the rest) is imported by the commands that need it, so
# that --help, --version, `rules` and `explain` answer at once.

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


class UsageError(Unusable):
    """Bad usage that argparse cannot see; exits 2 with one line on stderr."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except Unusable as error:
        print(f"fracqa: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("fracqa: interrupted", file=sys.stderr)
        return EXIT_UNUSABLE
    except BrokenPipeError:  # the reader (`| head`) left: say nothing more, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_UNUSABLE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fracqa", description="Audit a FracAtlas-style fracture dataset release."
    )
    parser.add_argument("--version", action="version", version=f"fracqa {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit = commands.add_parser("audit", help="audit a release and report its findings")
    audit.add_argument("root", type=Path, metavar="ROOT", help="the release's root folder")
    _run_options(audit)
    audit.add_argument("--waivers", type=Path, metavar="FILE",
                       help="accept the findings this file waives (see `fracqa baseline`)")
    audit.add_argument("--show-config", action="store_true",
                       help="print the effective configuration and exit")
    audit.add_argument("--json", type=Path, metavar="FILE",
                       help="write the JSON report ('-': stdout)")
    audit.add_argument("--html", type=Path, metavar="FILE", help="write the HTML audit report")
    audit.add_argument("--junit", type=Path, metavar="FILE",
                       help="write JUnit XML, a test case per rule")
    audit.add_argument("--all-findings", action="store_true",
                       help="print every finding, not the first few of each rule")
    audit.add_argument("--fail-on", choices=FAIL_ON,
                       help="exit 1 when a finding at or above this severity exists, waived "
                            "ones aside (default: error)")
    audit.set_defaults(run=_audit)

    accept = commands.add_parser(
        "baseline", help="write a waivers file accepting every current finding of a release")
    accept.add_argument("root", type=Path, metavar="ROOT", help="the release's root folder")
    accept.add_argument("-o", "--output", type=Path, metavar="FILE", required=True,
                        help="the waivers file to write (reasons already in it are kept)")
    _run_options(accept)
    accept.set_defaults(run=_baseline)

    compare = commands.add_parser("diff", help="what changed between two versions of a release")
    compare.add_argument("old", type=Path, metavar="OLD_ROOT", help="the earlier release")
    compare.add_argument("new", type=Path, metavar="NEW_ROOT", help="the later release")
    _run_options(compare)
    compare.add_argument("--waivers", type=Path, metavar="FILE",
                         help="accept the findings this file waives, in both versions")
    compare.add_argument("--json", type=Path, metavar="FILE",
                         help="write the changes as JSON ('-': stdout)")
    compare.add_argument("--html", type=Path, metavar="FILE", help="write the changes as HTML")
    compare.add_argument("--all", action="store_true", help="print every change, not the first few")
    compare.add_argument("--fail-on", choices=FAIL_ON,
                         help="exit 1 when the new version introduces a finding at or above this "
                              "severity (default: error)")
    compare.set_defaults(run=_diff)

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    rules.set_defaults(run=_rules)

    explain = commands.add_parser("explain", help="explain one rule")
    explain.add_argument("code", metavar="CODE", help="a rule code or name, e.g. CSV004")
    explain.set_defaults(run=_explain)
    return parser  # fmt: skip


def _run_options(command: argparse.ArgumentParser) -> None:
    """The options every command that audits a release takes."""
    command.add_argument("--config", type=Path, metavar="FILE",
                         help="a fracqa.toml or pyproject.toml (default: the nearest one at or "
                              "above the release)")
    command.add_argument("--no-config", action="store_true",
                         help="use no configuration file, only the command line")
    command.add_argument("--select", action="append", default=[], metavar="CODES",
                         help="run only these rules: codes, prefixes or names, comma-separated")
    command.add_argument("--ignore", action="append", default=[], metavar="CODES",
                         help="skip these rules: codes, prefixes or names, comma-separated")
    command.add_argument("--workers", type=_positive, metavar="N",
                         help="processes for the image scan (default: every core)")
    command.add_argument("--expect", type=Path, metavar="STATS.yaml",
                         help="the published figures to compare with (default: FracAtlas 2023)")


def _options(args: argparse.Namespace, root: Path) -> Options:
    if args.config and args.no_config:
        raise UsageError("--config and --no-config exclude each other")
    return load_options(root, args.config, not args.no_config, select=_split(args.select),
                        ignore=_split(args.ignore), fail_on=getattr(args, "fail_on", None),
                        workers=args.workers, expect=args.expect,
                        waivers=getattr(args, "waivers", None),
                        progress=sys.stderr.isatty())  # fmt: skip


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
    from fracqa.reports import console, html, json_report, junit
    from fracqa.runner import audit_with

    outputs = {"JSON": args.json, "HTML": args.html, "JUnit": args.junit}
    options = _options(args, args.root)
    if args.show_config:
        print(options.to_toml(), end="")
        return EXIT_OK
    for path in outputs.values():
        if path and str(path) != "-":
            _refuse_inside(path, args.root)
    result = audit_with(args.root, options, evidence=bool(args.html))[0]
    fail_on = options.fail_on
    renderers = {
        "JSON": lambda: json_report.render(result).encode("utf-8"),
        "HTML": lambda: html.render(result, fail_on).encode("utf-8"),
        "JUnit": lambda: junit.render(result, fail_on),
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
    return EXIT_FINDINGS if result.gates(fail_on) else EXIT_OK


def _baseline(args: argparse.Namespace) -> int:
    from fracqa.runner import run_audit
    from fracqa.waivers import baseline, fingerprint

    _refuse_inside(args.output, args.root)
    options = _options(args, args.root)
    previous = _previous_waivers(args.output)
    result = run_audit(args.root, options.select, options.ignore, options.settings,
                       options.severity)  # fmt: skip
    _write(args.output, baseline(result.findings, result.root, previous).encode("utf-8"))
    reasons = {w.fingerprint for w in (previous.entries if previous else ()) if w.reason}
    kept = len(reasons & {fingerprint(f) for f in result.findings})
    print(f"{len(result.findings)} finding(s) of {result.root} waived in {args.output}"
          f"{f' ({kept} reason(s) kept)' if kept else ''}: write in each `reason` why it is "
          f"accepted, then audit with --waivers {args.output}")  # fmt: skip
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from fracqa.compare import diff_releases
    from fracqa.reports import diff_console, diff_html, diff_json

    outputs = {"JSON": args.json, "HTML": args.html}
    for path in outputs.values():
        if path and str(path) != "-":
            _refuse_inside(path, args.old)
            _refuse_inside(path, args.new)
    changes = diff_releases(args.old, args.new, _options(args, args.new))
    renderers = {"JSON": diff_json.render, "HTML": diff_html.render}
    written = []
    for kind, path in outputs.items():
        if path:
            _write(path, renderers[kind](changes).encode("utf-8"))
            if str(path) != "-":
                written.append(f"{kind} report: {path}")
    to_stdout = any(str(path) == "-" for path in outputs.values() if path)
    text = diff_console.render(changes, None if args.all else diff_console.FIRST_FEW)
    (sys.stderr if to_stdout else sys.stdout).write(text + "".join(f"{w}\n" for w in written))
    return EXIT_OK if changes.ok else EXIT_FINDINGS


def _previous_waivers(path: Path) -> Waivers | None:
    """The waivers file being replaced, whose reasons are kept; None when there is none."""
    return load_waivers(path) if path.is_file() else None


def _refuse_inside(output: Path, root: Path) -> None:
    """fracqa never writes inside the release it audits."""
    if root.is_dir() and inside(output, root.resolve()):
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
