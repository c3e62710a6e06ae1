"""The rule catalogue: every rule registers itself here with its code, name and severity."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from fracqa.model import FAMILIES, PREFIX_OF_FAMILY, Hit, Rule, Severity

_RULES: dict[str, Rule] = {}

# The modules whose import registers rules, in the order their families are reported.
_CHECK_MODULES = (
    "fracqa.checks.layout",
    "fracqa.checks.csv",
    "fracqa.checks.images",
    "fracqa.checks.image_integrity",
    "fracqa.checks.duplicates",
    "fracqa.checks.annotation_structure",
    "fracqa.checks.annotation_counts",
    "fracqa.checks.annotation_geometry",
    "fracqa.checks.annotation_agreement",
    "fracqa.checks.splits",
    "fracqa.checks.statistics",
    "fracqa.checks.waivers",
)


def rule(code: str, name: str, family: str, severity: str, title: str):
    """Register the decorated function as the check of rule `code`.

    The function takes the loaded release and yields `Hit`s; its docstring says what the rule
    checks, why it matters for a fracture dataset and how to fix what it finds.
    """
    if family not in FAMILIES:
        raise ValueError(f"{code}: unknown family {family!r}")
    if not code.startswith(PREFIX_OF_FAMILY[family]):
        raise ValueError(f"{code}: a {family} rule's code starts with {PREFIX_OF_FAMILY[family]}")

    def register(check: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
        if not (check.__doc__ or "").strip():
            raise ValueError(f"{code}: a rule needs a docstring")
        if code in _RULES or any(r.name == name for r in _RULES.values()):
            raise ValueError(f"{code} {name}: registered twice")
        _RULES[code] = Rule(code, name, family, Severity(severity), title, check)
        return check

    return register


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by code."""
    for module in _CHECK_MODULES:
        importlib.import_module(module)
    return sorted(_RULES.values(), key=lambda r: r.code)


def find_rule(code_or_name: str) -> Rule | None:
    wanted = code_or_name.strip()
    for r in all_rules():
        if r.code.upper() == wanted.upper() or r.name == wanted:
            return r
    return None


class UnknownSelector(ValueError):
    """A --select/--ignore entry that names no rule."""


def select_rules(
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    severity: Mapping[str, str] | None = None,
    waivers: bool = False,
) -> list[Rule]:
    """The rules to run: those matching any `select` entry (all when empty) and no `ignore` entry,
    each at the severity `severity` gives it (by code, prefix or name; the most specific entry
    wins). The waiver rules run when `waivers` are in use, whatever `select` says.

    Entries are codes (`CSV004`), prefixes (`STA`, `CSV0`) or names (`image-id-format`).
    """
    rules = all_rules()
    severity = severity or {}
    for selector in [*select, *ignore, *severity]:
        if not any(r.matches(selector) for r in rules):
            raise UnknownSelector(f"{selector!r} matches no rule (see `fracqa rules`)")
    chosen = [r for r in rules if r.family != "waivers"]
    if select:
        chosen = [r for r in chosen if any(r.matches(s) for s in select)]
    if waivers:
        chosen += [r for r in rules if r.family == "waivers"]
    chosen = [r for r in chosen if not any(r.matches(s) for s in ignore)]
    return [_with_severity(r, severity) for r in chosen]


def _with_severity(rule: Rule, severity: Mapping[str, str]) -> Rule:
    matching = [s for s in severity if rule.matches(s)]
    if not matching:
        return rule
    chosen = max(matching, key=lambda s: (s == rule.code or s == rule.name, len(s)))
    return replace(rule, severity=Severity(severity[chosen]))
