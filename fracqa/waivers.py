"""Waivers: findings of a release its maintainers have accepted, each with the reason why.

A waivers file is TOML, one `[[waiver]]` table per accepted finding, as `fracqa baseline` writes
it. A waiver names its finding by `fingerprint`, a digest of what the finding is about (its
rule, image, file and evidence) and not of where it was seen (row and line numbers, positions),
so that it survives unrelated edits of the release. A hand-written waiver may name a `rule`
(with an `image_id` and/or `file`) instead, and then accepts every such finding.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from fracqa import __version__
from fracqa.catalogue import find_rule
from fracqa.errors import Unusable
from fracqa.model import Finding

# Details that say where a finding was seen rather than what it is about.
POSITIONAL_KEYS = frozenset(
    {"location", "locations", "line", "lines", "row", "rows", "csv_line", "coco_location"}
)
_FIELDS = ("fingerprint", "rule", "image_id", "file", "message", "reason")


class BadWaivers(Unusable, ValueError):
    """A waivers file that cannot be read or says something fracqa does not understand."""


def fingerprint(finding: Finding) -> str:
    """16 hex digits naming what `finding` is about, the same from release to release."""
    identity = {
        "rule": finding.rule,
        "image_id": finding.image_id,
        "file": finding.file,
        "details": _without_positions(finding.details),
    }
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _without_positions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_positions(v) for k, v in value.items() if k not in POSITIONAL_KEYS}
    if isinstance(value, list):
        return [_without_positions(v) for v in value]
    return value


@dataclass(frozen=True)
class Waiver:
    """One accepted finding (by fingerprint) or kind of finding (by rule, image and file)."""

    number: int  # its position in the file, from 1
    reason: str = ""
    fingerprint: str | None = None
    rule: str | None = None
    image_id: str | None = None
    file: str | None = None
    message: str | None = None  # what the finding said when it was waived, for the reader

    def accepts(self, finding: Finding, finding_print: str) -> bool:
        if self.fingerprint is not None:
            return self.fingerprint == finding_print
        return (
            self.rule in (finding.rule, finding.name)
            and self.image_id in (None, finding.image_id)
            and self.file in (None, finding.file)
        )

    def describe(self) -> str:
        subject = " ".join(part for part in (self.rule, self.image_id or self.file) if part)
        said = f": {self.message}" if self.message else ""
        return f"waiver {self.number} ({subject or self.fingerprint}{said})"


@dataclass(frozen=True)
class Waivers:
    """The waivers of one file."""

    path: Path
    entries: tuple[Waiver, ...]

    @property
    def label(self) -> str:
        return self.path.name


def load_waivers(path: Path) -> Waivers:
    """Read a waivers file; BadWaivers when it cannot be used."""
    try:
        with open(path, "rb") as stream:
            document = tomllib.load(stream)
    except OSError as error:
        raise BadWaivers(f"cannot read waivers {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise BadWaivers(f"waivers {path} is not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"waiver", "version"})
    if unknown:
        raise BadWaivers(f"waivers {path}: unknown key {unknown[0]!r} (expected [[waiver]] tables)")
    tables = document.get("waiver", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise BadWaivers(f"waivers {path}: `waiver` must be an array of tables ([[waiver]])")
    return Waivers(Path(path), tuple(_waiver(path, n, t) for n, t in enumerate(tables, 1)))


def _waiver(path: Path, number: int, table: dict) -> Waiver:
    where = f"waivers {path}, waiver {number}"
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise BadWaivers(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_FIELDS)})")
    for key, value in table.items():
        if not isinstance(value, str):
            raise BadWaivers(f"{where}: {key} must be a string")
    values = {key: (table.get(key) or None) for key in _FIELDS if key != "reason"}
    if values["fingerprint"] is None and values["rule"] is None:
        raise BadWaivers(f"{where}: needs a fingerprint (from `fracqa baseline`) or a rule")
    if values["rule"] is not None:
        found = find_rule(values["rule"])
        if found is None:  # a typo would otherwise accept nothing, and never be reported stale
            raise BadWaivers(f"{where}: rule {values['rule']!r} names no rule (see `fracqa rules`)")
        values["rule"] = found.code  # `csv010` and `mixed-flag` both mean CSV010
    return Waiver(number, table.get("reason", "").strip(), **values)


@dataclass(frozen=True)
class Waiving:
    """What waivers did to an audit's findings."""

    waivers: Waivers
    findings: list[Finding]  # all of them, the accepted ones marked waived
    unused: list[Waiver]  # waivers that accepted nothing, though their rule ran


def apply_waivers(findings: Sequence[Finding], waivers: Waivers, rules_run: Iterable) -> Waiving:
    """Mark each finding a waiver accepts; the first waiver that accepts it gives the reason.
    Every waiver that accepts a finding is in use, not only the first (none is stale). The
    finding of a rule that could not finish (a fault of fracqa, not of the release) is never
    waived."""
    used: set[int] = set()
    marked = []
    for finding in findings:
        finding_print = fingerprint(finding)
        accepting = [w for w in waivers.entries if w.accepts(finding, finding_print)]
        if not accepting or finding.details.get("internal_error"):  # fracqa's fault: never
            marked.append(finding)
            continue
        used.update(w.number for w in accepting)
        marked.append(replace(finding, waived=True, waiver_reason=accepting[0].reason))
    ran = {name for r in rules_run for name in (r.code, r.name)}
    unused = [w for w in waivers.entries
              if w.number not in used and (w.rule is None or w.rule in ran)]  # fmt: skip
    return Waiving(waivers, marked, unused)


def baseline(findings: Sequence[Finding], root: Path, previous: Waivers | None = None) -> str:
    """A waivers file accepting every one of `findings`; reasons already written in `previous`
    for the same fingerprints are kept."""
    reasons = {w.fingerprint: w.reason for w in (previous.entries if previous else ())
               if w.fingerprint}  # fmt: skip
    tables, seen = [], set()
    for finding in findings:
        finding_print = fingerprint(finding)
        if finding_print in seen:
            continue
        seen.add(finding_print)
        table = {"fingerprint": finding_print, "rule": finding.rule, "image_id": finding.image_id,
                 "file": finding.file, "message": finding.message,
                 "reason": reasons.get(finding_print, "")}  # fmt: skip
        tables.append({k: v for k, v in table.items() if v is not None})
    made = datetime.now(UTC).strftime("%Y-%m-%d")
    header = (
        f"# Findings of {root} accepted on {made} (fracqa {__version__}, `fracqa baseline`).\n"
        "# `fracqa audit ROOT --waivers THIS_FILE` lists them apart and fails only on new ones.\n"
        "# Write in each `reason` why the finding is accepted; delete a waiver to stop accepting\n"
        "# its finding. A waiver that matches nothing any more is reported (WAV001).\n\n"
    )
    return header + tomli_w.dumps({"version": 1, "waiver": tables}, multiline_strings=False)
