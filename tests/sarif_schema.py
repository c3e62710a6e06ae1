"""The parts of SARIF 2.1.0 that fracqa writes, as a trimmed JSON Schema (draft 2020-12), with
the constraints the OASIS schema (sarif-schema-2.1.0.json) puts on them, and what GitHub code
scanning needs on top: a driver with its rules, and results with a rule, a level, a message
text and at least one location."""

from __future__ import annotations

from functools import cache

from jsonschema import Draft202012Validator

_MESSAGE = {"type": "object", "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1},
                           "markdown": {"type": "string"}}}  # fmt: skip
_LEVEL = {"enum": ["none", "note", "warning", "error"]}

SARIF_SUBSET = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "SARIF 2.1.0, the parts fracqa writes",
    "type": "object",
    "required": ["version", "$schema", "runs"],
    "properties": {
        "$schema": {"type": "string", "pattern": r"^https://.*sarif.*2\.1\.0.*\.json$"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "run": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"],
                         "properties": {"driver": {"$ref": "#/$defs/driver"}}},
                "originalUriBaseIds": {"type": "object",
                                       "additionalProperties": {"$ref": "#/$defs/baseUri"}},
                "invocations": {"type": "array", "items": {"$ref": "#/$defs/invocation"}},
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
            },
        },
        "driver": {
            "type": "object",
            "required": ["name", "rules"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string"},
                "semanticVersion": {"type": "string"},
                "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
            },
        },
        "rule": {
            "type": "object",
            "required": ["id", "name", "shortDescription", "fullDescription", "help",
                         "defaultConfiguration"],
            "properties": {
                "id": {"type": "string", "pattern": "^[A-Z]{3}[0-9]{3}$"},
                "name": {"type": "string"},
                "shortDescription": _MESSAGE,
                "fullDescription": _MESSAGE,
                "help": _MESSAGE,
                "defaultConfiguration": {"type": "object", "required": ["level"],
                                         "properties": {"level": _LEVEL}},
                "properties": {"type": "object", "properties": {
                    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True}}},
            },
        },
        "baseUri": {
            "type": "object",
            "required": ["uri"],
            # a base's uri is absolute and ends with a slash (SARIF 3.14.14)
            "properties": {"uri": {"type": "string", "pattern": "^file:///.*/$"},
                           "description": _MESSAGE},
        },
        "invocation": {
            "type": "object",
            "required": ["executionSuccessful"],
            "properties": {
                "executionSuccessful": {"type": "boolean"},
                "exitCode": {"type": "integer"},
                "startTimeUtc": {"type": "string",
                                 "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"},
            },
        },
        "result": {
            "type": "object",
            "required": ["ruleId", "ruleIndex", "level", "message", "locations"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": 0},
                "level": _LEVEL,
                "message": _MESSAGE,
                "locations": {"type": "array", "minItems": 1,
                              "items": {"$ref": "#/$defs/location"}},
                "partialFingerprints": {"type": "object",
                                        "additionalProperties": {"type": "string"}},
                "suppressions": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["kind"],
                    "properties": {"kind": {"enum": ["inSource", "external"]},
                                   "status": {"enum": ["accepted", "underReview", "rejected"]},
                                   "justification": {"type": "string"}}}},
            },
        },
        "location": {
            "type": "object",
            "minProperties": 1,
            "properties": {
                "physicalLocation": {
                    "type": "object",
                    "required": ["artifactLocation"],
                    "properties": {
                        "artifactLocation": {
                            "type": "object",
                            "required": ["uri", "uriBaseId"],
                            # a relative reference: no scheme, no leading slash, no raw space
                            "properties": {"uri": {"type": "string",
                                                   "pattern": "^(?![A-Za-z][A-Za-z0-9+.-]*:)"
                                                              "[^/ ][^ ]*$"},
                                           "uriBaseId": {"type": "string"}},
                        },
                        "region": {"type": "object", "required": ["startLine"],
                                   "properties": {"startLine": {"type": "integer",
                                                                "minimum": 1}}},
                    },
                },
                "logicalLocations": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string", "minLength": 1}}}},
            },
        },
    },
}  # fmt: skip


@cache
def sarif_validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(SARIF_SUBSET)
    return Draft202012Validator(SARIF_SUBSET)


def sarif_errors(document: object) -> list[str]:
    """Every way `document` breaks the trimmed schema, one line each; empty when it is valid."""
    return sorted(f"{e.json_path}: {e.message}" for e in sarif_validator().iter_errors(document))
