"""JUnit XML: one testcase per rule that ran, failing when the rule has findings that gate the
run (at or above --fail-on); other findings go to the testcase's output. CI systems then show
fracqa's rules as tests."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from fracqa.model import AuditRecord
from fracqa.reports.console import finding_text


def render(result: AuditRecord, fail_on: str = "error") -> bytes:
    gating = {id(f) for f in result.gating(fail_on)}
    suite = ElementTree.Element("testsuite", name=f"fracqa {result.root.name}",
                                tests=str(len(result.rules_run)), time=f"{result.seconds:.3f}",
                                timestamp=result.started_at)  # fmt: skip
    failures = 0
    for rule in result.rules_run:
        findings = result.findings_of(rule)
        case = ElementTree.SubElement(suite, "testcase", classname=f"fracqa.{rule.family}",
                                      name=f"{rule.code} {rule.name}", time="0")  # fmt: skip
        failing = [f for f in findings if id(f) in gating]
        if failing:
            failures += 1
            failure = ElementTree.SubElement(
                case, "failure", type=rule.severity.value,
                message=f"{len(failing)} finding(s): {rule.title}",
            )  # fmt: skip
            failure.text = "\n".join(finding_text(f) for f in failing)
        others = [f for f in findings if id(f) not in gating]  # below --fail-on, or waived
        if others:
            output = ElementTree.SubElement(case, "system-out")
            output.text = "\n".join(finding_text(f) for f in others)
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suites = ElementTree.Element("testsuites", name="fracqa", tests=str(len(result.rules_run)),
                                 failures=str(failures), errors="0")  # fmt: skip
    suites.append(suite)
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"
