"""The rule catalogue: every rule with its code, name, family, severity, title, documentation
and the inputs it reads.

Each rule is a function in a module of `fracqa.checks`, registered by the `@rule(...)`
decorator when its module is imported. Listing, explaining and selecting rules must not pay
for the libraries the checks use (pandas, pandera, shapely, ...), so the catalogue reads the
decorators and docstrings from the modules' source, without importing them; a rule's module
is imported when the rule first runs. tests/test_catalogue.py keeps the two views equal.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import importlib.util
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

from fracqa import inputs
from fracqa.errors import Unusable
from fracqa.model import FAMILIES, PREFIX_OF_FAMILY, Hit, Rule, Severity

# The modules whose rules make up the catalogue, in the order their families are reported.
CHECK_MODULES = (
    "fracqa.checks.layout",
    "fracqa.checks.layout_names",
    "fracqa.checks.csv",
    "fracqa.checks.images",
    "fracqa.checks.image_integrity",
    "fracqa.checks.image_view",
    "fracqa.checks.image_content",
    "fracqa.checks.duplicates",
    "fracqa.checks.reading",
    "fracqa.checks.annotation_structure",
    "fracqa.checks.annotation_counts",
    "fracqa.checks.annotation_geometry",
    "fracqa.checks.annotation_agreement",
    "fracqa.checks.annotation_plausibility",
    "fracqa.checks.plain_readers",
    "fracqa.checks.reader_structure",
    "fracqa.checks.splits",
    "fracqa.checks.statistics",
    "fracqa.checks.balance",
    "fracqa.checks.shortcuts",
    "fracqa.checks.privacy_metadata",
    "fracqa.checks.privacy_text",
    "fracqa.checks.privacy_ocr",
    "fracqa.checks.croissant",
    "fracqa.checks.waivers",
)

_REGISTERED: dict[str, Rule] = {}


def rule(code: str, name: str, family: str, severity: str, title: str, needs: Sequence[str] = ()):
    """Register the decorated function as the check of rule `code`.

    The function takes the release (as a `fracqa.release.RuleView` showing only the inputs in
    `needs`, see fracqa.inputs) and yields `Hit`s; its docstring says what the rule checks,
    why it matters for a fracture dataset and how to fix what it finds. Every argument must be
    written as a literal (the inputs as names of fracqa.inputs): the catalogue reads them from
    the source.
    """

    def register(check: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
        described = _described(code, name, family, severity, title, needs, check.__doc__,
                               check.__module__, check.__name__)  # fmt: skip
        known = _REGISTERED.get(code)
        if known is not None and (known.module, known.function) != (check.__module__,
                                                                    check.__name__):
            raise ValueError(f"{code} {name}: registered twice")
        _REGISTERED[code] = described  # again when its module is imported again
        return check

    return register


def _described(code, name, family, severity, title, needs, doc, module, function) -> Rule:
    if family not in FAMILIES:
        raise ValueError(f"{code}: unknown family {family!r}")
    if not code.startswith(PREFIX_OF_FAMILY[family]):
        raise ValueError(f"{code}: a {family} rule's code starts with {PREFIX_OF_FAMILY[family]}")
    if not (doc or "").strip():
        raise ValueError(f"{code}: a rule needs a docstring")
    return Rule(code, name, family, Severity(severity), title, inspect.cleandoc(doc),
                inputs.closure(needs), module, function)  # fmt: skip


def function_of(rule: Rule) -> Callable[..., Iterable[Hit]]:
    """The check function of `rule`, from its module as imported now (imported on first use)."""
    return getattr(importlib.import_module(rule.module), rule.function)


def registered() -> dict[str, Rule]:
    """The rules as their modules register them (every check module imported)."""
    for module in CHECK_MODULES:
        importlib.import_module(module)
    return dict(_REGISTERED)


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule of the catalogue, sorted by code, read from the check modules' source."""
    rules: dict[str, Rule] = {}
    for module in CHECK_MODULES:
        for found in _rules_in(module):
            if found.code in rules or any(r.name == found.name for r in rules.values()):
                raise ValueError(f"{found.code} {found.name}: registered twice")
            rules[found.code] = found
    return tuple(sorted(rules.values(), key=lambda r: r.code))


def _rules_in(module: str) -> list[Rule]:
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"), spec.origin)
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "rule":
                args = [_literal(a) for a in decorator.args]
                keywords = {k.arg: _literal(k.value) for k in decorator.keywords}
                found.append(_described(*args, keywords.get("needs", ()),
                                        ast.get_docstring(node, clean=False), module,
                                        node.name))  # fmt: skip
    return found


def _literal(node: ast.expr):
    """The value of a decorator argument: a literal, or a name of fracqa.inputs."""
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(_literal(element) for element in node.elts)
    if isinstance(node, ast.Name) and hasattr(inputs, node.id):
        return getattr(inputs, node.id)
    if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "inputs":
        return getattr(inputs, node.attr)
    return ast.literal_eval(node)


def find_rule(code_or_name: str) -> Rule | None:
    wanted = code_or_name.strip()
    for r in all_rules():
        if r.code.upper() == wanted.upper() or r.name == wanted:
            return r
    return None


def closest_rules(selector: str, most: int = 3) -> list[str]:
    """The rule codes, family prefixes or names closest to `selector` (a mistyped one),
    compared regardless of case: the closest one, or the few equally close."""
    rules = all_rules()
    candidates = [r.code for r in rules] + list(PREFIX_OF_FAMILY.values()) + [r.name for r in rules]
    return closest(selector, candidates, most)


def closest(word: str, candidates: Sequence[str], most: int = 3) -> list[str]:
    """Those of `candidates` closest to `word` regardless of case (difflib's ratio, at least
    0.6): the closest, and up to `most` as close as it."""
    wanted = word.strip().lower()
    scored = sorted(((difflib.SequenceMatcher(None, wanted, c.lower()).ratio(), c)
                     for c in dict.fromkeys(candidates)), key=lambda pair: -pair[0])  # fmt: skip
    if not scored or scored[0][0] < 0.6:
        return []
    return [c for score, c in scored if score >= scored[0][0] - 1e-9][:most]


def did_you_mean(words: Sequence[str]) -> str:
    """`; did you mean 'CSV003'?`, `; did you mean 'CSV003' or 'CSV013'?`, or nothing."""
    if not words:
        return ""
    quoted = [repr(word) for word in words]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"; did you mean {listed}?"


def no_rule(selector: str) -> str:
    """What to say of a selector that matches no rule, with the rules it may have meant."""
    meant = did_you_mean(closest_rules(selector))
    return f"{selector!r} matches no rule{meant} (see `fracqa rules`)"


class UnknownSelector(Unusable, ValueError):
    """A --select/--ignore entry that names no rule."""


def select_rules(
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    severity: Mapping[str, str] | None = None,
    waivers: bool = False,
    croissant: bool = False,
    ocr: bool = False,
) -> list[Rule]:
    """The rules to run: those matching any `select` entry (all when empty) and no `ignore` entry,
    each at the severity `severity` gives it (by code, prefix or name; the most specific entry
    wins). The waiver rules run when `waivers` are in use, the croissant rules when a Croissant
    description is given (`croissant`), whatever `select` says; the rules that read burned-in
    text (inputs.IMAGE_TEXT) only with `ocr`.

    Entries are codes (`CSV004`), prefixes (`STA`, `CSV0`) or names (`image-id-format`).
    """
    rules = all_rules()
    severity = severity or {}
    for selector in [*select, *ignore, *severity]:
        if not any(r.matches(selector) for r in rules):
            raise UnknownSelector(no_rule(selector))
    chosen = [r for r in rules if r.family not in ("waivers", "croissant")
              and (ocr or inputs.IMAGE_TEXT not in r.needs)]  # fmt: skip
    if select:
        chosen = [r for r in chosen if any(r.matches(s) for s in select)]
    if croissant:
        chosen += [r for r in rules if r.family == "croissant"]
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
