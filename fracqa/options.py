"""The options of a run: a `fracqa.toml` (or `[tool.fracqa]` in a pyproject.toml) found beside
the release or named with --config, overridden by the command line.

```toml
select = ["CSV", "ANN", "IMG"]          # rules to run: codes, prefixes or names (default: all)
ignore = ["STA004"]                     # rules to skip
fail-on = "error"                       # error | warning | never
workers = 4                             # image-scan processes (default: every core)
expect = "stats/fracatlas-2024.yaml"    # published figures (paths are relative to this file)
waivers = "waivers.toml"                # accepted findings (see `fracqa baseline`)
croissant = "croissant.json"            # a published Croissant description to compare with

[severity]                              # a rule's severity, by code, prefix or name
IMG011 = "warning"

[tolerances]
pixels = 1.0          # box corners and vertices this far apart still agree
iou = 0.5             # the least IoU at which two versions of an instance are the same one
hash-distance = 4     # perceptual-hash bits within which images are near-duplicates
area = 0.1            # relative difference of COCO `area` from its polygon's area

[croissant-metadata]  # what `fracqa croissant` writes in place of the data descriptor's facts
version = "7.0.0"

[croissant-metadata.rai]                # Croissant RAI properties, by their Croissant names
dataBiases = "..."
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from fracqa.catalogue import all_rules, no_rule
from fracqa.config import DEFAULT_EXPECTATIONS, DEFAULT_PIXEL_LIMIT, Settings, Tolerances
from fracqa.errors import Unusable
from fracqa.model import Severity

CONFIG_FILE = "fracqa.toml"
FAIL_ON = ("error", "warning", "never")


class BadConfig(Unusable, ValueError):
    """A configuration file that cannot be read or says something fracqa does not understand."""


@dataclass(frozen=True)
class Options:
    """Everything a run is configured with, wherever each value came from."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    fail_on: str = "error"
    waivers: Path | None = None
    settings: Settings = field(default_factory=Settings)
    source: Path | None = None  # the configuration file read, if any
    croissant_metadata: Mapping[str, Any] = field(default_factory=dict)  # [croissant-metadata]

    def to_toml(self) -> str:
        """The effective configuration, in the configuration file's own form."""
        tolerances = self.settings.tolerances
        unset = []
        table: dict[str, Any] = {
            "select": list(self.select),
            "ignore": list(self.ignore),
            "fail-on": self.fail_on,
            "expect": str(self.settings.expectations),
            "pixel-limit": self.settings.pixel_limit,
        }
        if self.settings.workers:
            table["workers"] = self.settings.workers
        else:
            unset.append("workers: every core")
        if self.waivers:
            table["waivers"] = str(self.waivers)
        else:
            unset.append("waivers: none")
        if self.settings.croissant:
            table["croissant"] = str(self.settings.croissant)
        else:
            unset.append("croissant: none")
        table["severity"] = dict(self.severity)
        table["tolerances"] = {"pixels": tolerances.pixels, "iou": tolerances.iou,
                               "hash-distance": tolerances.hash_distance,
                               "area": tolerances.area}  # fmt: skip
        if self.croissant_metadata:
            table["croissant-metadata"] = dict(self.croissant_metadata)
        origin = f"from {self.source}" if self.source else "no configuration file: defaults"
        notes = f"# fracqa's effective configuration ({origin}, then the command line)\n"
        if unset:
            notes += f"# not set: {'; '.join(unset)}\n"
        return notes + tomli_w.dumps(table)


def find_config(root: Path) -> Path | None:
    """The nearest fracqa.toml, or pyproject.toml with a [tool.fracqa] table, in the release's
    folder or any folder above it."""
    start = Path(root).resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "fracqa" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def load_options(
    root: Path,
    config: Path | None = None,
    search: bool = True,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    fail_on: str | None = None,
    workers: int | None = None,
    expect: Path | None = None,
    waivers: Path | None = None,
    croissant: Path | None = None,
    progress: bool = False,
) -> Options:
    """The options of a run: the configuration file's (`config`, else the one found beside
    `root` when `search`), then the command line's. A command-line selection replaces the
    file's; its ignores are added to the file's."""
    source = Path(config) if config else (find_config(root) if search else None)
    options = Options()
    if source is not None:
        options = read_config(source)
    settings = options.settings
    settings = replace(settings, progress=progress,
                       workers=workers if workers is not None else settings.workers,
                       expectations=Path(expect) if expect else settings.expectations,
                       croissant=Path(croissant) if croissant else settings.croissant)  # fmt: skip
    return replace(
        options,
        select=tuple(select) or options.select,
        ignore=(*options.ignore, *ignore),
        fail_on=fail_on or options.fail_on,
        waivers=Path(waivers) if waivers else options.waivers,
        settings=settings,
    )


def read_config(path: Path) -> Options:
    """The options a configuration file sets; BadConfig when it cannot be used."""
    document = _read_toml(path)
    if path.name == "pyproject.toml":
        document = document.get("tool", {}).get("fracqa")
        if document is None:
            raise BadConfig(f"{path}: has no [tool.fracqa] table")
    known = {**_TOP_LEVEL, "severity": None, "tolerances": None, "croissant-metadata": None}
    _refuse_unknown(path, "", document, known)
    values = {key: check(path, key, document[key]) for key, check in _TOP_LEVEL.items()
              if key in document}  # fmt: skip
    base = path.resolve().parent
    for key in ("expect", "waivers", "croissant"):
        if key in values:
            values[key] = base / values[key]
    return Options(
        select=tuple(values.get("select", ())),
        ignore=tuple(values.get("ignore", ())),
        severity=_severities(path, document.get("severity", {})),
        fail_on=values.get("fail-on", "error"),
        waivers=values.get("waivers"),
        settings=Settings(
            tolerances=_tolerances(path, document.get("tolerances", {})),
            workers=values.get("workers"),
            pixel_limit=values.get("pixel-limit", DEFAULT_PIXEL_LIMIT),
            expectations=values.get("expect", DEFAULT_EXPECTATIONS),
            croissant=values.get("croissant"),
        ),
        source=path.resolve(),
        croissant_metadata=_croissant_metadata(path, document.get("croissant-metadata", {})),
    )


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except OSError as error:
        raise BadConfig(f"cannot read {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise BadConfig(f"{path} is not valid TOML: {error}") from None


def _refuse_unknown(path: Path, table: str, document: Any, known: Mapping[str, Any]) -> None:
    where = f"[{table}] " if table else ""
    if not isinstance(document, dict):
        raise BadConfig(f"{path}: {where or 'the configuration '}must be a table")
    unknown = sorted(set(document) - set(known))
    if unknown:
        raise BadConfig(f"{path}: unknown {where}key {unknown[0]!r} "
                        f"(known: {', '.join(sorted(known))})")  # fmt: skip


def _selectors(path: Path, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadConfig(f"{path}: {key} must be a list of rule codes, prefixes or names")
    selectors = [part.strip() for v in value for part in v.split(",") if part.strip()]
    for selector in selectors:
        _refuse_no_rule(path, key, selector)
    return selectors


def _refuse_no_rule(path: Path, key: str, selector: str) -> None:
    """The file, not just the selector, is named when a selector matches no rule."""
    if not any(r.matches(selector) for r in all_rules()):
        raise BadConfig(f"{path}: {key} {no_rule(selector)}")


def _choice(choices: Sequence[str]) -> Callable[[Path, str, Any], str]:
    def check(path: Path, key: str, value: Any) -> str:
        if value not in choices:
            raise BadConfig(f"{path}: {key} must be one of {', '.join(choices)}, not {value!r}")
        return value

    return check


def _number(kind: type, low: float, high: float | None = None):
    def check(path: Path, key: str, value: Any):
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if kind is int and not isinstance(value, int):
            numeric = False
        if not numeric or value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"at least {low}"
            noun = "a whole number" if kind is int else "a number"
            raise BadConfig(f"{path}: {key} must be {noun} {span}, not {value!r}")
        return kind(value)

    return check


def _path(path: Path, key: str, value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise BadConfig(f"{path}: {key} must be a file path")
    return Path(value)


_TOP_LEVEL: dict[str, Callable[[Path, str, Any], Any]] = {
    "select": _selectors,
    "ignore": _selectors,
    "fail-on": _choice(FAIL_ON),
    "workers": _number(int, 1),
    "expect": _path,
    "waivers": _path,
    "croissant": _path,
    "pixel-limit": _number(int, 1),
}

_TOLERANCES = {
    "pixels": ("pixels", _number(float, 0)),
    "iou": ("iou", _number(float, 0, 1)),
    "hash-distance": ("hash_distance", _number(int, 0, 64)),
    "area": ("area", _number(float, 0)),
}


def tolerance_checks() -> dict[str, Callable[[Any, str, Any], Any]]:
    """The check of each tolerance, by its Tolerances field name (as the Python API takes it)."""
    return {field_name: check for field_name, check in _TOLERANCES.values()}


def _tolerances(path: Path, table: Any) -> Tolerances:
    _refuse_unknown(path, "tolerances", table, _TOLERANCES)
    values = {field_name: check(path, f"tolerances.{key}", table[key])
              for key, (field_name, check) in _TOLERANCES.items() if key in table}  # fmt: skip
    return Tolerances(**values)


def _severities(path: Path, table: Any) -> dict[str, str]:
    _refuse_unknown(path, "severity", table, table if isinstance(table, dict) else {})
    levels = [s.value for s in Severity]
    for rule in table:
        _refuse_no_rule(path, "[severity] key", rule)
    return {rule: _choice(levels)(path, f"severity.{rule}", level) for rule, level in table.items()}


_METADATA_TEXT = ("name", "description", "license", "url", "version", "cite-as",
                  "date-published", "date-modified")  # fmt: skip
_METADATA_LISTS = ("keywords", "creators")


def _croissant_metadata(path: Path, table: Any) -> dict[str, Any]:
    """The [croissant-metadata] table: the dataset's metadata and, in [croissant-metadata.rai],
    its Croissant RAI properties, each a string (keywords and creators: lists of strings)."""
    from fracqa.croissant import RAI_KEYS

    known = {key: None for key in (*_METADATA_TEXT, *_METADATA_LISTS, "rai")}
    _refuse_unknown(path, "croissant-metadata", table, known)
    found: dict[str, Any] = {}
    for key, value in table.items():
        where = f"croissant-metadata.{key}"
        if key in _METADATA_LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise BadConfig(f"{path}: {where} must be a list of strings")
            found[key] = list(value)
        elif key == "rai":
            _refuse_unknown(path, "croissant-metadata.rai", value, dict.fromkeys(RAI_KEYS))
            for name, text in value.items():
                if not isinstance(text, str):
                    raise BadConfig(f"{path}: {where}.{name} must be a string")
            found["rai"] = dict(value)
        elif not isinstance(value, str) or not value.strip():
            raise BadConfig(f"{path}: {where} must be a string that is not empty")
        else:
            found[key] = value
    return found
