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
        "finding_chart": finding_chart,
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


CHART_WIDTH, CHART_HEIGHT = 300, 150  # the small chart beside a statistical finding


def finding_chart(chart: dict | None) -> dict | None:
    """The shapes of the small SVG chart a statistical finding carries in `details["chart"]`:
    `band` (the observed value per group against the band random groupings give), `box` (a
    numeric property's 10/25/50/75/90th percentiles per class) or `bars` (shares per category
    and series). Geometry only: the numbers come from the finding."""
    if not isinstance(chart, dict):
        return None
    draw = {"band": _band_shapes, "box": _box_shapes, "bars": _bar_shapes}.get(chart.get("kind"))
    if draw is None:
        return None
    try:
        shapes = draw(chart)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return {"title": str(chart.get("title", "")), "width": CHART_WIDTH,
            "height": CHART_HEIGHT, **shapes}  # fmt: skip


def _number(value: float) -> str:
    value = float(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.3g}"


def _band_shapes(chart: dict) -> dict:
    bars = chart["bars"]
    top = max(max(float(b["value"]), float(b["high"])) for b in bars) * 1.1 or 1.0
    plot, base, slot = CHART_HEIGHT - 40, CHART_HEIGHT - 24, (CHART_WIDTH - 20) / len(bars)
    rects, texts, lines = [], [], []
    for i, bar in enumerate(bars):
        x = 10 + i * slot
        low, high, value = float(bar["low"]), float(bar["high"]), float(bar["value"])
        y_low, y_high = base - low / top * plot, base - high / top * plot
        rects.append({"x": x + slot * 0.2, "y": y_high, "w": slot * 0.6,
                      "h": max(1.0, y_low - y_high), "cls": "band",
                      "title": f"{bar['label']}: a random grouping gives {_number(low)}-"
                               f"{_number(high)}"})  # fmt: skip
        height = value / top * plot
        outside = value < low or value > high
        rects.append({"x": x + slot * 0.4, "y": base - height, "w": slot * 0.2,
                      "h": max(0.5, height), "cls": "outside" if outside else "inside",
                      "title": f"{bar['label']}: observed {_number(value)}"})  # fmt: skip
        texts.append({"x": x + slot / 2, "y": base + 14, "text": str(bar["label"]), "cls": ""})
        texts.append({"x": x + slot / 2, "y": base - height - 4, "text": _number(value),
                      "cls": "value"})  # fmt: skip
    lines.append({"x1": 10, "y1": base, "x2": CHART_WIDTH - 10, "y2": base})
    legend = f"bar: observed ({chart.get('unit', '')}); grey: 95 % of random draws"
    texts.append({"x": CHART_WIDTH / 2, "y": CHART_HEIGHT - 2, "text": legend, "cls": "value"})
    return {"rects": rects, "texts": texts, "lines": lines}


def _box_shapes(chart: dict) -> dict:
    classes = chart["classes"]
    values = [float(v) for q in classes.values() for v in q.values()]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    left, right = 90, CHART_WIDTH - 12

    def x(value: float) -> float:
        return left + (float(value) - low) / span * (right - left)

    rects, lines, texts = [], [], []
    for i, (name, q) in enumerate(classes.items()):
        y = 20 + i * 45
        lines.append({"x1": x(q["p10"]), "y1": y + 12, "x2": x(q["p90"]), "y2": y + 12})
        rects.append({"x": x(q["p25"]), "y": y, "w": max(1.0, x(q["p75"]) - x(q["p25"])),
                      "h": 24, "cls": "fractured" if name == "fractured" else "negative",
                      "title": f"{name}: 10/25/50/75/90th percentiles "
                               + ", ".join(_number(v) for v in q.values())})  # fmt: skip
        lines.append({"x1": x(q["p50"]), "y1": y, "x2": x(q["p50"]), "y2": y + 24})
        texts.append({"x": 4, "y": y + 16, "text": name, "cls": "", "anchor": "start"})
    texts.append({"x": left, "y": CHART_HEIGHT - 30, "text": _number(low), "cls": "value",
                  "anchor": "start"})  # fmt: skip
    texts.append({"x": right, "y": CHART_HEIGHT - 30, "text": _number(high), "cls": "value",
                  "anchor": "end"})  # fmt: skip
    unit = chart.get("unit") or "value"
    texts.append({"x": CHART_WIDTH / 2, "y": CHART_HEIGHT - 2, "cls": "value",
                  "text": f"{unit}: box 25-75 %, line median, whiskers 10-90 %"})  # fmt: skip
    return {"rects": rects, "texts": texts, "lines": lines}


def _bar_shapes(chart: dict) -> dict:
    categories, series = chart["categories"][:8], chart["series"]
    names = list(series)
    top = max(float(v) for values in series.values() for v in values[:8]) * 1.1 or 1.0
    plot, base = CHART_HEIGHT - 44, CHART_HEIGHT - 28
    slot = (CHART_WIDTH - 20) / max(1, len(categories))
    width = slot * 0.8 / max(1, len(names))
    rects, texts = [], []
    for i, category in enumerate(categories):
        x = 10 + i * slot + slot * 0.1
        for j, name in enumerate(names):
            value = float(series[name][i])
            height = value / top * plot
            rects.append({"x": x + j * width, "y": base - height, "w": width * 0.9,
                          "h": max(0.5, height), "cls": f"series{j}",
                          "title": f"{category}, {name}: {_number(value)}"})  # fmt: skip
        texts.append({"x": 10 + i * slot + slot / 2, "y": base + 12, "cls": "",
                      "text": str(category)[:14]})  # fmt: skip
    legend = "; ".join(f"{'dark' if j == 0 else 'light'}: {n}" for j, n in enumerate(names))
    texts.append({"x": CHART_WIDTH / 2, "y": CHART_HEIGHT - 2, "text": legend, "cls": "value"})
    return {"rects": rects, "texts": texts,
            "lines": [{"x1": 10, "y1": base, "x2": CHART_WIDTH - 10, "y2": base}]}
