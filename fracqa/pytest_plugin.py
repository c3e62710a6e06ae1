"""`pytest --fracqa ROOT`: every rule fracqa runs on the release becomes a test case, which
fails when the rule has findings at or above --fracqa-fail-on that no waiver accepts.

The release is audited once, when its first test case runs; `--collect-only` audits nothing.
A root that cannot be audited at all (missing, not a folder, unreadable) is a usage error
before anything is collected: one line, pytest's exit code 4. The plugin is registered
through the `pytest11` entry point, so installing fracqa is enough.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FAIL_ON = ("error", "warning", "never")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fracqa", "auditing a FracAtlas-style release with fracqa")
    group.addoption("--fracqa", action="append", default=[], metavar="ROOT",
                    help="audit this release: one test case per rule (may be repeated)")
    group.addoption("--fracqa-config", metavar="FILE",
                    help="fracqa's configuration file (default: the nearest fracqa.toml)")
    group.addoption("--fracqa-waivers", metavar="FILE", help="accept the findings it waives")
    group.addoption("--fracqa-fail-on", choices=FAIL_ON,
                    help="a rule's test fails on findings at or above this (default: error)")
    group.addoption("--fracqa-expect", metavar="STATS.yaml",
                    help="the published figures to compare with")
    group.addoption("--fracqa-workers", type=_positive, metavar="N",
                    help="processes for the image scan")  # fmt: skip


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise pytest.UsageError(f"--fracqa-workers: {text!r} is not a positive whole number")
    return int(text)


def pytest_configure(config: pytest.Config) -> None:
    """Refuse, as bad usage, a --fracqa root that is no release folder at all: one error
    instead of every rule's test case failing for the same reason."""
    from fracqa.layout import NotARelease, locate

    for root in config.getoption("fracqa", default=[]) or []:
        try:
            locate(Path(root))
        except NotARelease as error:
            raise pytest.UsageError(f"--fracqa: {error}") from None


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect among the items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:  # fmt: skip
    for root in config.getoption("fracqa"):
        name = f"fracqa[{root}]"
        release = ReleaseAudit.from_parent(session, name=name, nodeid=name, root=Path(root))
        # genitems reports the collection (pytest_collectreport, pytest_itemcollected), so
        # that pytest counts these items as collected before -k and -m deselect among them
        items.extend(session.genitems(release))


class FracqaUnusable(Exception):
    """The release or fracqa's options cannot be used; the message says why."""


class ReleaseAudit(pytest.Collector):
    """One release given with --fracqa, whose rules are its test cases."""

    def __init__(self, *, root: Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.root = root
        self._record = None
        self._error: str | None = None
        self._crash: Exception | None = None  # a bug in fracqa, raised again by every case
        self.options = None

    def collect(self) -> list[RuleCase]:
        from fracqa.catalogue import UnknownSelector, select_rules
        from fracqa.options import BadConfig, load_options

        get = self.config.getoption
        try:
            self.options = load_options(
                self.root, get("fracqa_config"), fail_on=get("fracqa_fail_on"),
                workers=get("fracqa_workers"), expect=get("fracqa_expect"),
                waivers=get("fracqa_waivers"),
            )  # fmt: skip
            rules = select_rules(self.options.select, self.options.ignore, self.options.severity,
                                 waivers=self.options.waivers is not None,
                                 croissant=self.options.settings.croissant is not None)
        except (BadConfig, UnknownSelector) as error:
            self._error = str(error)  # reported by the one test case this release then has
            return [RuleCase.from_parent(self, name="options", rule=None)]
        return [RuleCase.from_parent(self, name=f"{r.code}-{r.name}", rule=r) for r in rules]

    def record(self):
        """The audit of this release, run once for all its test cases."""
        from fracqa.layout import NotARelease
        from fracqa.load.croissant import BadCroissant
        from fracqa.load.expectations import BadExpectations
        from fracqa.runner import audit_with
        from fracqa.waivers import BadWaivers

        if self._error is None and self._record is None and self._crash is None:
            try:
                self._record = audit_with(self.root, self.options)[0]
            except (NotARelease, BadExpectations, BadWaivers, BadCroissant) as error:
                self._error = str(error)
            except Exception as error:  # noqa: BLE001 - kept so that the audit runs only once
                self._crash = error
        if self._crash is not None:
            raise self._crash
        if self._error is not None:
            raise FracqaUnusable(f"fracqa cannot audit {self.root}: {self._error}")
        return self._record


class RuleCase(pytest.Item):
    """One rule on one release: fails on its findings at or above the fail-on severity."""

    def __init__(self, *, rule, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rule = rule

    @property
    def release(self) -> ReleaseAudit:
        return self.parent  # type: ignore[return-value]

    def runtest(self) -> None:
        from fracqa.reports.console import finding_text

        record = self.release.record()
        fail_on = self.release.options.fail_on
        findings = [f for f in record.findings if f.rule == self.rule.code]
        failing = {id(f) for f in record.gating(fail_on)}
        lines = [finding_text(f) for f in findings]
        if lines:
            self.add_report_section("call", "fracqa findings", "\n".join(lines))
        gating = [line for f, line in zip(findings, lines, strict=True) if id(f) in failing]
        if gating:
            raise RuleFailed(self.rule, fail_on, gating)

    def repr_failure(self, excinfo, style=None) -> str:
        if isinstance(excinfo.value, RuleFailed | FracqaUnusable):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        code = self.rule.code if self.rule else "options"
        return self.release.root, None, f"fracqa {code} on {self.release.root}"


class RuleFailed(Exception):
    def __init__(self, rule, fail_on: str, lines: list[str]) -> None:
        self.lines = lines
        super().__init__(
            f"{rule.code} {rule.name}: {len(lines)} finding(s) at or above {fail_on}: "
            f"{rule.title}\n" + "\n".join(f"  {line}" for line in lines)
        )
