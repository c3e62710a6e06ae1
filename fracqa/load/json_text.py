"""Reading a JSON annotation file (COCO, VGG) as `json.load` does, while noting everything in it
that a plain or a strict reader would read otherwise: a byte-order mark (json.load and
pycocotools fail on it), the non-standard literals NaN and Infinity (json.load accepts them,
strict readers such as JavaScript's JSON.parse, orjson or serde_json fail), and keys that appear
twice in one object (json.load silently keeps the last value and drops the first).

The notes are (location, message) pairs for the loader to record as problems.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from fracqa.load.files import BOM, as_text

_CONSTANTS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# A JSON string (skipped) or one of the non-standard literals outside strings.
_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.DOTALL)
_SHOWN = 60  # characters of a dropped value shown in a message


def load_json(data: bytes) -> tuple[Any, list[tuple[str, str]]]:
    """The document in `data` as json.load reads it, and the notes about it; raises
    files.Unreadable (not UTF-8) or json.JSONDecodeError like json.loads."""
    text = as_text(data)
    notes: list[tuple[str, str]] = []
    if data.startswith(BOM):
        notes.append(("line 1", "starts with a UTF-8 byte-order mark: json.load(open(file)) "
                                "and pycocotools fail on it ('Unexpected UTF-8 BOM'), a browser's "
                                "JSON.parse too"))  # fmt: skip
    constants: list[str] = []
    repeated: dict[int, tuple[dict, list[tuple[str, Any]]]] = {}

    def constant(name: str) -> float:
        constants.append(name)
        return _CONSTANTS[name]

    def pairs(items: list[tuple[str, Any]]) -> dict:
        obj = dict(items)
        if len(obj) != len(items):
            seen: dict[str, Any] = {}
            dropped = []
            for key, value in items:
                if key in seen:
                    dropped.append((key, seen[key]))
                seen[key] = value
            repeated[id(obj)] = (obj, dropped)  # the object is kept alive with its id
        return obj

    document = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    if constants:
        notes.append(_constants_note(text, constants))
    if repeated:
        paths = _paths_of(document, set(repeated))
        for object_id, (_, dropped) in repeated.items():
            where = paths.get(object_id, "an object")
            for key, value in dropped:
                notes.append((where, f"{_object_name(where)} has the key {key!r} twice: json.load "
                                     f"(and pycocotools) silently keep the last value and drop "
                                     f"the first ({_shown(value)}); a strict reader (serde_json, "
                                     "Jackson's strict mode) refuses the file"))  # fmt: skip
    return document, notes


def _constants_note(text: str, constants: list[str]) -> tuple[str, str]:
    lines = [text.count("\n", 0, m.start()) + 1 for m in _LITERAL.finditer(text) if m.group(1)]
    first = f"line {lines[0]}" if lines else "line 1"
    names = " and ".join(sorted(set(constants)))
    times = f"{len(constants)} times, first on {first}" if len(constants) > 1 else f"on {first}"
    return first, (f"holds the non-standard JSON literal {names} ({times}): json.load accepts "
                   "it, a strict JSON reader (JavaScript's JSON.parse, orjson, serde_json, jq) "
                   "fails on the whole file")  # fmt: skip


def _paths_of(document: Any, wanted: set[int]) -> dict[int, str]:
    """The JSON path (`annotations[3]`, `IMG0000019.jpg/regions[0]`) of each object in
    `wanted` (by id), found by one walk of the document."""
    found: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack and len(found) < len(wanted):
        value, path = stack.pop()
        if isinstance(value, dict):
            if id(value) in wanted:
                found[id(value)] = path or "the top-level object"
            stack.extend((child, f"{path}/{key}" if path else str(key))
                         for key, child in value.items())  # fmt: skip
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(value))
    return found


def _object_name(where: str) -> str:
    return where if where == "the top-level object" else f"the object at {where}"


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)} entries"
    if isinstance(value, dict):
        return f"an object of {len(value)} keys"
    text = json.dumps(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}..."
