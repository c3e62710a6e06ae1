"""The JSON report's schema (docs/report.schema.json), for every test that produces a report."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from tests.helpers import REPO

SCHEMA_PATH = REPO / "docs" / "report.schema.json"


@cache
def report_schema() -> dict:
    """The schema as committed, read once per test session."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def report_validator() -> Draft202012Validator:
    """A draft 2020-12 validator of the schema, which is itself checked first (SchemaError when
    the schema is not a valid draft 2020-12 schema)."""
    schema = report_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def report_errors(document: object) -> list[str]:
    """Every way `document` breaks the schema, one line each: the JSON path of the offending
    value, then what is wrong with it; empty when the document is valid."""
    errors = report_validator().iter_errors(document)
    return sorted(f"{error.json_path}: {error.message}" for error in errors)


def assert_valid_report(document: dict) -> None:
    """Fail, listing every error with its path, unless `document` (a parsed `fracqa audit
    --json` report) follows docs/report.schema.json."""
    errors = report_errors(document)
    if errors:
        listed = "\n".join(f"  {error}" for error in errors)
        raise AssertionError(f"the JSON report breaks {SCHEMA_PATH.name}:\n{listed}")


def read_report(path: Path) -> dict:
    """The JSON report written to `path`, parsed and checked against the schema."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    assert_valid_report(document)
    return document
