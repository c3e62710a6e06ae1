"""The HTML audit report: one self-contained file (styles, script, thumbnails and charts
inlined; nothing fetched), rendered with Jinja2 from an AuditRecord. Every string from the
release goes through Jinja2's autoescaping, or through `tojson` inside the script data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from fracqa.model import FAMILIES, AuditRecord, Severity
from fracqa.reports.console import where
from fracqa.reports.verdict import verdict

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMAT_COLOURS = {"coco": "#d62728", "vgg": "#2ca02c", "yolo": "#1f77b4", "voc": "#ff7f0e"}
FORMAT_NAMES = {"coco": "COCO", "vgg": "VGG", "yolo": "YOLO", "voc": "VOC"}
PAGE_SIZE = 25  # findings shown per rule before "show more"


def environment() -> Environment:
    """Jinja2 over the report templates, autoescaping everything they show."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(result: AuditRecord, fail_on: str = "error") -> str:
    template = environment().get_template("report.html.j2")
    return template.render(**view(result, fail_on),
                           css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
                           js=(TEMPLATES / "report.js").read_text(encoding="utf-8"))  # fmt: skip


def view(result: AuditRecord, fail_on: str) -> dict:
    """Everything the template shows, arranged (not computed) from the result."""
    counts = Counter((f.family, f.severity.value) for f in result.open)
    by_rule: dict[str, list] = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    gating = result.gating(fail_on)
    rules = [
        {"rule": rule, "findings": by_rule.get(rule.code, []),
         "worst": _worst([f for f in by_rule.get(rule.code, []) if not f.waived]),
         "waived": sum(f.waived for f in by_rule.get(rule.code, []))}
        for rule in sorted(result.rules_run, key=lambda r: (FAMILIES.index(r.family), r.code))
    ]  # fmt: skip
    judged = verdict(result, fail_on)
    return {
        "result": result,
        "fail_on": fail_on,
        "verdict": judged,
        "passed": judged.ok,
        "gating": len(gating),
        "families": [f for f in FAMILIES if any(r.family == f for r in result.rules_run)],
        "counts": counts,
        "waived": len(result.waived),
        "waived_by_family": Counter(f.family for f in result.waived),
        "severities": [s.value for s in Severity],
        "rules": rules,
        # the rules with findings, the worst first: what fails the release opens the report
        "groups": sorted((entry for entry in rules if entry["findings"]), key=_gravity),
        "where": where,
        "page_size": PAGE_SIZE,
        "statistics": _statistics(result.statistics),
        "charts": _charts(result),
        "colours": FORMAT_COLOURS,
        "format_names": FORMAT_NAMES,
    }


def _gravity(entry: dict) -> int:
    """0 for a rule with open errors, 1 warnings, 2 infos, 3 only waived findings."""
    return Severity(entry["worst"]).rank if entry["worst"] else len(Severity)


def _worst(findings) -> str | None:
    return min(findings, key=lambda f: f.severity.rank).severity.value if findings else None


def _statistics(rows: list[dict] | None) -> list[dict]:
    shown = []
    for row in rows or []:
        observed, published = row["observed"], row["published"]
        delta = None if observed is None else observed - published
        status = "not observed" if row["ok"] is None else ("ok" if row["ok"] else "differs")
        shown.append({**row, "delta": delta, "status": status})
    return shown


def _charts(result: AuditRecord) -> list[dict]:
    """Bar charts of published against observed figures, by group of figures."""
    rows = {row["figure"]: row for row in result.statistics or []}
    charts = []
    for title, prefix, suffix in (("Body regions (images)", "regions.", ".total"),
                                  ("Views (images)", "views.", ".total"),
                                  ("Official split (images)", "splits.", "")):  # fmt: skip
        bars = [
            {"label": name.removeprefix(prefix).removesuffix(suffix),
             "published": row["published"], "observed": row["observed"]}
            for name, row in rows.items()
            if name.startswith(prefix) and name.endswith(suffix) and "ratio" not in name
        ]  # fmt: skip
        if bars:
            charts.append({"title": title, "bars": bars})
    histogram = result.distributions.get("fracture_count", {})
    if histogram:
        charts.append({"title": "fracture_count (images)",
                       "bars": [{"label": k, "published": None, "observed": v}
                                for k, v in histogram.items()]})  # fmt: skip
    for chart in charts:
        values = [v for bar in chart["bars"] for v in (bar["published"], bar["observed"])
                  if v is not None]  # fmt: skip
        chart["top"] = max(values) if values else 1
    return charts
