"""The `fracqa` command: audit a release, accept its current findings (baseline), compare two
releases (diff), describe a release in Croissant (croissant), list the rules, explain one."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from fracqa import __version__, inputs
from fracqa.catalogue import all_rules, closest, did_you_mean, find_rule, select_rules
from fracqa.errors import InternalFault, Unusable, where_it_failed
from fracqa.load.files import inside
from fracqa.options import FAIL_ON, Options, load_options
from fracqa.waivers import Waivers, load_waivers

# What audits and renders (pandas and the rest) is imported by the commands that need it, so
# that --help, --version, `rules` and `explain` answer at once.

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_FAULT = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM
OUTPUT_FORMATS = ("text", "json", "junit", "github", "sarif")
FORMAT_REPORTS = {"json": "JSON", "junit": "JUnit", "sarif": "SARIF"}  # formats that are reports
DIFF_FORMATS = ("text", "json")
COLOR_CHOICES = ("auto", "always", "never")


class UsageError(Unusable):
    """Bad usage that argparse cannot see; exits 2 with one line on stderr."""


class Terminated(BaseException):
    """SIGTERM arrived: stop as Ctrl-C does (a BaseException, so that nothing catches it on
    the way but the cleanups)."""


def command() -> None:
    """The `fracqa` command: `main`, then the process ends without Python's teardown (the
    audit's tables go back to the system at once; freeing their objects one by one took a
    tenth of a second and more after every audit). Every report is written, and every process
    of fracqa's own ended, by then."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a closed stream: Python's own exit says so
        sys.exit(code)
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """The command's exit code: 0 and 1 say what the audit found (never a failure of fracqa),
    2 bad usage or a release that cannot be audited, 3 a fault of fracqa itself, 130 and 143
    interrupted by SIGINT or SIGTERM. The worker processes are ended before it returns."""
    args = _parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    with _stop_signals():
        try:
            code = args.run(args)
            _stop_if_asked()
            return code
        except Unusable as error:
            print(f"fracqa: {error}", file=sys.stderr)
            return EXIT_UNUSABLE
        except KeyboardInterrupt:
            print("fracqa: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Terminated:
            print("fracqa: terminated", file=sys.stderr)
            return EXIT_TERMINATED
        except BrokenPipeError:  # the reader (`| head`) left: say nothing more, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_UNUSABLE
        except Exception as error:  # noqa: BLE001 - a bug or fault of fracqa: exit 3, one line
            if debug:
                traceback.print_exception(error, file=sys.stderr)
            print(f"fracqa: internal error: {_failure(error)}; no report was written "
                  f"({_BUG})", file=sys.stderr)  # fmt: skip
            return EXIT_FAULT


_BUG = "this is a fault of fracqa, not of the release; --debug shows the traceback"


def _failure(error: Exception) -> str:
    """What failed, in one line."""
    if isinstance(error, InternalFault):
        return str(error)
    text = (str(error).strip().splitlines() or [""])[0][:300]
    where = where_it_failed(error)
    return f"{type(error).__name__}{': ' + text if text else ''}{' at ' + where if where else ''}"


def _faulted(faults, debug: bool) -> int:
    """Say on stderr, in one line, which rules of a finished audit could not finish (the
    tracebacks first with --debug); exit 3."""
    if debug:
        for fault in faults:
            print(fault.traceback, file=sys.stderr, end="")
    lines = "; ".join(fault.line() for fault in faults)
    print(f"fracqa: internal error: {lines}; the reports list it as an error ({_BUG})",
          file=sys.stderr)  # fmt: skip
    return EXIT_FAULT


_ASKED: list[type[BaseException]] = []  # the stops signals asked for while a command ran


@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
    """While the command runs (in the main thread), SIGINT raises KeyboardInterrupt and SIGTERM
    Terminated, and each is remembered: an exception raised where a signal lands in a finaliser
    or a callback is printed and dropped by Python, so `_stop_if_asked` raises it again before
    a report is written and before the command ends."""
    _ASKED.clear()

    def stop(signum, frame):
        asked = KeyboardInterrupt if signum == signal.SIGINT else Terminated
        _ASKED.append(asked)
        raise asked

    try:
        previous = {number: signal.signal(number, stop)
                    for number in (signal.SIGINT, signal.SIGTERM)}  # fmt: skip
    except ValueError:  # not the main thread: the signals keep their handlers
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)


def _stop_if_asked() -> None:
    """Raise the stop a signal asked for, if one did (see _stop_signals)."""
    if _ASKED:
        raise _ASKED[0]


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fracqa", description="Audit a FracAtlas-style fracture dataset release."
    )
    parser.add_argument("-V", "--version", action="version", version=f"fracqa {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit = commands.add_parser("audit", help="audit a release and report its findings")
    _root(audit)
    _run_options(audit)
    audit.add_argument("--waivers", type=Path, metavar="FILE",
                       help="accept the findings this file waives (see `fracqa baseline`)")
    audit.add_argument("--croissant", type=Path, metavar="FILE",
                       help="compare the release with this published Croissant description "
                            "(see `fracqa croissant`): every file it names, with its SHA-256")
    audit.add_argument("--show-config", action="store_true",
                       help="print the effective configuration and exit")
    audit.add_argument("--fail-on", choices=FAIL_ON,
                       help="exit 1 when a finding at or above this severity exists, waived "
                            "ones aside (default: error)")
    audit.add_argument("--output-format", choices=OUTPUT_FORMATS, default="text",
                       help="what to print on stdout: the findings as text (default), the JSON "
                            "report, JUnit XML, GitHub Actions annotations or SARIF 2.1.0")
    audit.add_argument("--json", type=Path, metavar="FILE",
                       help="write the JSON report ('-': stdout)")
    audit.add_argument("--html", type=Path, metavar="FILE", help="write the HTML audit report")
    audit.add_argument("--junit", type=Path, metavar="FILE",
                       help="write JUnit XML, a test case per rule ('-': stdout)")
    audit.add_argument("--sarif", type=Path, metavar="FILE",
                       help="write SARIF 2.1.0, for GitHub code scanning ('-': stdout)")
    audit.add_argument("--all-findings", action="store_true",
                       help="print every finding, not the first few of each rule")
    _console_options(audit)
    audit.set_defaults(run=_audit)

    accept = commands.add_parser(
        "baseline", help="write a waivers file accepting every current finding of a release")
    _root(accept)
    accept.add_argument("-o", "--output", type=Path, metavar="FILE", required=True,
                        help="the waivers file to write (reasons already in it are kept)")
    _run_options(accept)
    accept.add_argument("-q", "--quiet", action="count", default=0,
                        help="print nothing but errors")
    accept.set_defaults(run=_baseline)

    describe = commands.add_parser(
        "croissant", help="write a Croissant description (JSON-LD) of a release")
    _root(describe)
    describe.add_argument("-o", "--output", type=Path, metavar="FILE", required=True,
                          help="the description to write ('-': stdout); outside the release")
    describe.add_argument("--config", type=Path, metavar="FILE",
                          help="a fracqa.toml or pyproject.toml (default: the nearest one at or "
                               "above the release); its [croissant-metadata] table sets the "
                               "metadata written")
    describe.add_argument("--no-config", action="store_true",
                          help="use no configuration file: the data descriptor's metadata")
    describe.add_argument("--workers", type=_positive, metavar="N",
                          help="processes that read the images (default: every core)")
    describe.add_argument("-q", "--quiet", action="count", default=0,
                          help="print nothing but errors")
    describe.add_argument("--debug", action="store_true", help="show the traceback of a fault")
    describe.set_defaults(run=_croissant, select=[], ignore=[], expect=None)

    compare = commands.add_parser("diff", help="what changed between two versions of a release")
    compare.add_argument("old", type=Path, metavar="OLD_ROOT", help="the earlier release")
    compare.add_argument("new", type=Path, metavar="NEW_ROOT", help="the later release")
    _run_options(compare)
    compare.add_argument("--waivers", type=Path, metavar="FILE",
                         help="accept the findings this file waives, in both versions")
    compare.add_argument("--fail-on", choices=FAIL_ON,
                         help="exit 1 when the new version introduces a finding at or above this "
                              "severity (default: error)")
    compare.add_argument("--output-format", choices=DIFF_FORMATS, default="text",
                         help="what to print on stdout: the changes as text (default) or JSON")
    compare.add_argument("--json", type=Path, metavar="FILE",
                         help="write the changes as JSON ('-': stdout)")
    compare.add_argument("--html", type=Path, metavar="FILE", help="write the changes as HTML")
    compare.add_argument("--all", action="store_true", help="print every change, not the first few")
    _console_options(compare)
    compare.set_defaults(run=_diff)

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    rules.set_defaults(run=_rules)

    explain = commands.add_parser("explain", help="explain one rule")
    explain.add_argument("code", metavar="CODE", help="a rule code or name, e.g. CSV004")
    explain.set_defaults(run=_explain)
    return parser  # fmt: skip


class _Parser(argparse.ArgumentParser):
    """argparse, which also says what a mistyped command, option or option value may have
    meant (`did you mean 'warning'?`)."""

    def _check_value(self, action: argparse.Action, value) -> None:
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as error:
            hint = did_you_mean(closest(str(value), [str(c) for c in action.choices]))
            raise argparse.ArgumentError(action, f"{error.message}{hint}") from None

    def error(self, message: str):
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            known = _option_strings(self)
            for word in message.removeprefix(prefix).split():
                meant = closest(word.partition("=")[0], known) if word.startswith("--") else []
                if meant:
                    message += did_you_mean(meant)
                    break
        super().error(message)


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every long option of `parser` and of its commands."""
    found = []
    for action in parser._actions:
        found += [option for option in action.option_strings if option.startswith("--")]
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                found += _option_strings(command)
    return found


def _root(command: argparse.ArgumentParser) -> None:
    command.add_argument("root", type=Path, metavar="ROOT", nargs="?", default=Path("."),
                         help="the release's root folder (default: the current folder)")


def _console_options(command: argparse.ArgumentParser) -> None:
    """How the command talks on the console: how much, and in colour or not."""
    command.add_argument("-q", "--quiet", action="count", default=0,
                         help="print only the verdict line; twice (-qq), nothing: the exit "
                              "code says it all (reports asked for are still written)")
    command.add_argument("--color", "--colour", choices=COLOR_CHOICES, default="auto",
                         help="colour the text: auto (default: on a terminal, unless NO_COLOR "
                              "is set; FORCE_COLOR forces it), always or never")


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
    command.add_argument("--ocr", action="store_true", default=None,
                         help="read the text burned into the images with Tesseract OCR (the "
                              "rules PRV020 and PRV021; needs tesseract-ocr installed)")
    command.add_argument("--debug", action="store_true", help="show the traceback of a fault")


def _options(args: argparse.Namespace, root: Path) -> Options:
    if args.config and args.no_config:
        raise UsageError("--config and --no-config exclude each other")
    return load_options(root, args.config, not args.no_config, select=_split(args.select),
                        ignore=_split(args.ignore), fail_on=getattr(args, "fail_on", None),
                        workers=args.workers, expect=args.expect,
                        waivers=getattr(args, "waivers", None), ocr=getattr(args, "ocr", None),
                        croissant=getattr(args, "croissant", None),
                        progress=sys.stderr.isatty() and not args.quiet)  # fmt: skip


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


def use_colour(choice: str, stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether to colour what goes to `stream`: `--color always` or `never` decides; `auto`
    follows NO_COLOR (set and not empty: no colour), then FORCE_COLOR (set and not empty:
    colour), then TERM=dumb (no colour), then whether `stream` is a terminal."""
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def _text_stream(args: argparse.Namespace, files: dict[str, Path | None]) -> TextIO:
    """Where the text goes: stdout, unless a report takes it (`--output-format json`, junit or
    sarif, or a report written to '-'); then stderr. GitHub's annotations share stdout with the
    text. Two reports on stdout would be one unreadable stream: bad usage."""
    taking = [f"--{kind.lower()} -" for kind, path in files.items() if path and str(path) == "-"]
    if args.output_format != "text":
        taking.append(f"--output-format {args.output_format}")
    if len(taking) > 1:
        raise UsageError(f"{' and '.join(taking)} would both write to stdout: keep one")
    return sys.stderr if taking and args.output_format != "github" else sys.stdout


def _figures_standby(options: Options):
    """A process that imports Great Expectations (two seconds) while this one imports the
    rest and starts the audit, when the audit measures the published figures and has more
    than one core (see workers.Standby); None otherwise."""
    settings = options.settings
    if (settings.workers or os.cpu_count() or 1) <= 1:
        return None
    try:
        rules = select_rules(options.select, options.ignore, options.severity,
                             croissant=settings.croissant is not None, ocr=settings.ocr)
    except Exception:  # noqa: BLE001 - the audit itself reports a bad selection
        return None
    if inputs.FIGURES not in inputs.needed_inputs(rules):
        return None
    from fracqa.workers import Standby

    return Standby(_ready_great_expectations)


def _ready_great_expectations() -> None:
    from fracqa.figures import import_great_expectations

    import_great_expectations()


def _audit(args: argparse.Namespace) -> int:
    files = {"JSON": args.json, "HTML": args.html, "JUnit": args.junit, "SARIF": args.sarif}
    options = _options(args, args.root)
    if args.show_config:
        print(options.to_toml(), end="")
        return EXIT_OK
    stream = _text_stream(args, files)
    _check_outputs(files, args.root)
    try:
        standby = _figures_standby(options)
        from fracqa.reports import console, github, html, json_report, junit, sarif
        from fracqa.reports.verdict import verdict
        from fracqa.runner import audit_with

        result = audit_with(args.root, options, evidence=bool(args.html), standby=standby)[0]
    except BaseException:
        if "fracqa.workers" in sys.modules:  # else no standby was started: nothing to end
            sys.modules["fracqa.workers"].end_standbys()
        raise
    if standby is not None:
        standby.close()
    fail_on = options.fail_on
    renderers = {
        "JSON": lambda: json_report.render(result, fail_on).encode("utf-8"),
        "HTML": lambda: html.render(result, fail_on).encode("utf-8"),
        "JUnit": lambda: junit.render(result, fail_on),
        "SARIF": lambda: sarif.render(result, fail_on).encode("utf-8"),
    }
    rendered = {kind: renderers[kind]() for kind, path in files.items() if path}
    written = {}
    for kind, path in files.items():
        if path:
            _write(path, rendered[kind])
            if str(path) != "-":
                written[kind] = str(path)
    if args.output_format in FORMAT_REPORTS:
        _write(Path("-"), renderers[FORMAT_REPORTS[args.output_format]]())
    if args.output_format == "github":
        sys.stdout.write(github.render(result))
    colour = use_colour(args.color, stream)
    judged = verdict(result, fail_on)
    if args.quiet == 1:
        text = console.verdict_line(judged, colour) + "\n"
    elif not args.quiet:
        text = console.render(result, colour, None if args.all_findings else console.FIRST_FEW,
                              written, fail_on,
                              listing=args.output_format != "github")  # fmt: skip
    else:
        text = ""
    stream.write(text)
    if result.faults:
        return _faulted(result.faults, args.debug)
    return judged.exit_code


def _baseline(args: argparse.Namespace) -> int:
    from fracqa.runner import run_audit
    from fracqa.waivers import baseline, fingerprint

    _check_outputs({"waivers": args.output}, args.root)
    options = _options(args, args.root)
    previous = _previous_waivers(args.output)
    result = run_audit(args.root, options.select, options.ignore, options.settings,
                       options.severity)  # fmt: skip
    if result.faults:  # a waivers file accepting a rule's crash would hide it: none is written
        return _faulted(result.faults, args.debug)
    _write(args.output, baseline(result.findings, result.root, previous).encode("utf-8"))
    reasons = {w.fingerprint for w in (previous.entries if previous else ()) if w.reason}
    kept = len(reasons & {fingerprint(f) for f in result.findings})
    if not args.quiet:
        print(f"{len(result.findings)} finding(s) of {result.root} waived in {args.output}"
              f"{f' ({kept} reason(s) kept)' if kept else ''}: write in each `reason` why it "
              f"is accepted, then audit with --waivers {args.output}")  # fmt: skip
    return EXIT_OK


def _croissant(args: argparse.Namespace) -> int:
    from fracqa.croissant import write_description

    _check_outputs({"croissant": args.output}, args.root)
    options = _options(args, args.root)
    document, text = write_description(args.root, args.output, options)
    _write(args.output, text.encode("utf-8"))
    if not args.quiet and str(args.output) != "-":
        files = next(r for r in document["recordSet"] if r["@id"] == "file_checksums")["data"]
        print(f"wrote {args.output}: a Croissant 1.1 description of {len(files)} files of "
              f"{args.root}, each with its SHA-256")  # fmt: skip
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from fracqa.compare import diff_releases
    from fracqa.reports import diff_console, diff_html, diff_json
    from fracqa.reports.console import verdict_line

    outputs = {"JSON": args.json, "HTML": args.html}
    stream = _text_stream(args, outputs)
    _check_outputs(outputs, args.old, args.new)
    changes = diff_releases(args.old, args.new, _options(args, args.new))
    renderers = {"JSON": diff_json.render, "HTML": diff_html.render}
    rendered = {kind: renderers[kind](changes).encode("utf-8")
                for kind, path in outputs.items() if path}  # fmt: skip
    written = {}
    for kind, path in outputs.items():
        if path:
            _write(path, rendered[kind])
            if str(path) != "-":
                written[kind] = str(path)
    if args.output_format == "json":
        _write(Path("-"), diff_json.render(changes).encode("utf-8"))
    colour = use_colour(args.color, stream)
    judged = diff_console.verdict_of(changes)
    if args.quiet == 1:
        stream.write(verdict_line(judged, colour) + "\n")
    elif not args.quiet:
        stream.write(diff_console.render(changes, None if args.all else diff_console.FIRST_FEW,
                                         written, colour))  # fmt: skip
    if changes.old.faults or changes.new.faults:
        return _faulted(changes.old.faults + changes.new.faults, args.debug)
    return judged.exit_code


def _previous_waivers(path: Path) -> Waivers | None:
    """The waivers file being replaced, whose reasons are kept; None when there is none."""
    return load_waivers(path) if path.is_file() else None


_OPTION = {"JSON": "--json", "HTML": "--html", "JUnit": "--junit", "SARIF": "--sarif",
           "waivers": "--output", "croissant": "--output"}  # fmt: skip


def _check_outputs(outputs: dict[str, Path | None], *roots: Path) -> None:
    """Before anything is audited: every report can be written where it is asked for (its
    folder exists and is writable, it is not a folder, not inside a release being read, and no
    two reports share a file; `_text_stream` refuses two on stdout)."""
    given = {kind: path for kind, path in outputs.items() if path}
    files: dict[str, str] = {}
    for kind, path in given.items():
        if str(path) == "-":
            continue
        for root in roots:
            _refuse_inside(path, root)
        target = os.path.realpath(path)
        if target in files:
            raise UsageError(f"{files[target]} and {_OPTION[kind]} both name {path}: one report "
                             "each")  # fmt: skip
        files[target] = _OPTION[kind]
        folder = Path(target).parent
        if Path(target).is_dir():
            raise UsageError(f"cannot write {path}: it is a folder")
        if not folder.is_dir():
            raise UsageError(f"cannot write {path}: its folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"cannot write {path}: its folder {folder} is not writable")


def _refuse_inside(output: Path, root: Path) -> None:
    """fracqa never writes inside the release it audits: the root, or the release folder it
    wraps (a folder holding the release, like a dataset repository's, takes reports)."""
    if not root.is_dir():
        return
    from fracqa.layout import locate

    if inside(output, locate(root).root):
        raise UsageError(f"refusing to write {output} inside the release being audited")


def _write(path: Path, data: bytes) -> None:
    """Write a report whole or not at all: into a temporary file beside it, then renamed (an
    interrupted run leaves no partial report)."""
    _stop_if_asked()
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = Path(os.path.realpath(path))  # a link is written through, as before
    try:
        descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                               suffix=".partial")  # fmt: skip
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None
    try:
        with open(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(partial, _mode_for(target))
        os.replace(partial, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        if isinstance(error, OSError):
            raise UsageError(f"cannot write {path}: {error.strerror}") from None
        raise


def _mode_for(target: Path) -> int:
    """The permissions of the report it replaces, or those a new file gets."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


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
    if any(r.code in ("STA005", "STA007") for r in rules):
        lines += ["", "## How the statistical rules decide (STA005-STA011)", "", STATISTICS_NOTE]
    for r in rules:
        lines += ["", f"## {r.code} {r.name}", "", f"*{r.family}, {r.severity.value}*", "", r.doc]
    return "\n".join(lines) + "\n"


STATISTICS_NOTE = """\
The split and label rules ask one question: could chance have produced what the release
shows? For the split (STA005, STA006) fracqa deals the images of the split files out again at
random into splits of the same sizes, 2,000 times, with a fixed seed (the same release always
gets the same answer). For every attribute (each dataset.csv flag, fracture_count, the image
size, mode, file size, decode defects) it measures how unevenly the real split spreads it (the
chi-square of the attribute-by-split counts; for file size the Kruskal-Wallis statistic of its
ranks) and counts the random splits that are at least as uneven: that share is the p-value.
With fifteen attributes tested at once, one of them would look uneven by luck fairly often,
so each p-value is adjusted the minP way: it becomes the share of random splits in which *any*
attribute is at least that extreme (this also accounts for attributes that go together, such
as image size and file size). An attribute is reported when its adjusted p-value is at most
0.05, so a split that really is random is flagged in at most one release in twenty. The
warning names the splits whose counts fall outside the range 95 % of the random splits give
(their 2.5th to 97.5th percentiles) and gives an effect size: Cramér's V, from 0 (no
association) to 1 (the attribute decides the split). STA006 counts, on the same random
splits, how often the split changes from one image to the next along the sorted ids; when the
split follows them, each STA005 finding says whether splits that follow the ids as this one
does (its own sequence along the sorted ids, started elsewhere or reversed) give the same.
STA007, STA009 and STA011 shuffle the `fractured` label instead (1,000 times) and report a
property only when it is also large enough to matter to a classifier, which uses a property
where it sets images apart: on the images it sets apart best (the split of its categories,
or of its values, furthest from what random labellings give), the share of fractured images
must differ from the rest's by at least a small effect, Cohen's h of 0.2 (the difference of
the two shares on the arcsine scale; Cohen calls 0.2 small and 0.8 large). Cramér's V and the
AUC, measured over all the images, are given too, but would dilute a group of 1 image in 12
into nothing. A clinical attribute with a large effect (h 0.8) is STA011's warning, a
smaller one STA009's note. STA008 computes exactly the chance that a random labelling puts
every image with a defect in one class; STA010 compares how often neighbouring ids look alike
with random pairs of the release's images (100 shuffles, and at least a small effect). No
rule uses a fixed tolerance such as "within 5 points": with 61 test images, honest random
splits differ by more than that."""


def _explain(args: argparse.Namespace) -> int:
    found = find_rule(args.code)
    if found is None:
        known = [name for r in all_rules() for name in (r.code, r.name)]
        raise UsageError(f"no rule {args.code!r}{did_you_mean(closest(args.code, known))} "
                         f"(see `fracqa rules`)")  # fmt: skip
    print(f"{found.code} {found.name} [{found.severity.value}, {found.family}]")
    print(found.title)
    print()
    print(found.doc)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
