"""docs/report.schema.json: a valid draft 2020-12 schema that documents every key, accepts the
reports fracqa writes (clean, with findings, with waivers) and rejects reports that break the
contract."""

from __future__ import annotations

import copy
import hashlib
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w
from jsonschema import Draft202012Validator

from fixtures import defects
from fracqa import __version__
from fracqa.catalogue import all_rules
from fracqa.cli import main
from fracqa.model import FAMILIES, Finding, Hit, Severity
from tests.helpers import SAMPLE_EXPECTATIONS, image_with
from tests.report_schema import assert_valid_report, read_report, report_errors, report_schema

# The sample's own figures, and only the cheap rules: the image scan and the statistics have
# their own tests, whose reports are checked against the schema too.
FAST = ("--expect", str(SAMPLE_EXPECTATIONS), "--select", "CSV,LAY,SPL", "--workers", "1")
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def audit_json(root: Path, report: Path, *args: str) -> tuple[int, dict]:
    """`fracqa audit ROOT` with the fast options; the exit code and the report, schema-checked."""
    code = main(["audit", str(root), *FAST, "--json", str(report), *args])
    return code, read_report(report)


def changed(document: dict, change: Callable[[dict], object]) -> dict:
    """A deep copy of `document` with `change` applied to it."""
    copied = copy.deepcopy(document)
    change(copied)
    return copied


def rejected(document: dict) -> str:
    """The AssertionError text assert_valid_report gives `document`; fails if it accepts it."""
    with pytest.raises(AssertionError) as raised:
        assert_valid_report(document)
    return str(raised.value)


def declared_properties(schema: dict, path: str = "$"):
    """(path, sub-schema) of every property the schema declares, under `properties`, `items`
    and `$defs`; the conditionals (if/then/else) only constrain properties declared there."""
    for name, sub in schema.get("properties", {}).items():
        yield f"{path}.{name}", sub
        yield from declared_properties(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from declared_properties(schema["items"], f"{path}[]")
    for name, sub in schema.get("$defs", {}).items():
        yield from declared_properties(sub, f"#/$defs/{name}")


# ---------------------------------------------------------------- the schema itself


def test_the_schema_is_a_valid_draft_2020_12_schema():
    schema = report_schema()
    assert schema["$schema"] == DRAFT_2020_12
    Draft202012Validator.check_schema(schema)
    older = ["tool", "version", "root", "summary", "findings"]  # kept: the contract only grows
    verdict = ["ok", "fail_on", "exit_code", "verdict", "identity"]
    assert sorted(schema["required"]) == sorted(older + verdict)


def test_every_property_the_schema_names_is_described():
    schema = report_schema()
    declared = dict(declared_properties(schema))
    # 12 top-level keys, 3 in the identity and 4 in its annotations, 7 in the summary, 11 in a
    # finding, 5 in a figure's row
    assert len(declared) == 42
    undescribed = [path for path, sub in declared.items() if not sub.get("description", "").strip()]
    assert undescribed == []
    assert all(schema["$defs"][name]["description"] for name in schema["$defs"])
    details = schema["$defs"]["finding"]["properties"]["details"]["description"]
    assert "evidence" in details and "depend on the rule" in details


def test_the_enums_are_the_models():
    finding = report_schema()["$defs"]["finding"]["properties"]
    assert finding["family"]["enum"] == list(FAMILIES)
    assert finding["severity"]["enum"] == [severity.value for severity in Severity]


def test_a_finding_of_every_rule_in_the_catalogue_fits_the_schema():
    """Codes, names and families as the catalogue declares them, whatever rule runs."""
    findings = [Finding.of(rule, Hit(f"{rule.code} says something")).as_dict()
                for rule in all_rules()]  # fmt: skip
    document = {"tool": "fracqa", "version": __version__, "root": "/releases/FracAtlas",
                "ok": True, "fail_on": "error", "exit_code": 0,
                "verdict": "PASS at --fail-on error: no error",
                "identity": {"dataset.csv": None, "images": None,
                             "annotations": dict.fromkeys(("coco", "vgg", "yolo", "voc"))},
                "summary": {"errors": 0, "warnings": 0, "infos": 0, "rules_run": len(findings),
                            "images": 0, "seconds": 0.0},
                "findings": findings}  # fmt: skip
    assert_valid_report(document)


# ---------------------------------------------------------------- reports fracqa writes


def test_the_report_of_the_committed_sample_follows_the_schema(sample_root, tmp_path,
                                                               sample_stays_pristine):  # fmt: skip
    code, document = audit_json(sample_root, tmp_path / "audit.json")
    assert code == 0 and document["findings"] == []
    assert "waivers" not in document and "statistics" not in document  # STA did not run


@pytest.fixture(scope="module")
def planted(sample_root, tmp_path_factory) -> tuple[Path, dict]:
    """A clone of the sample with an error (CSV006, a view flag that is not 0 or 1) and a
    warning (CSV010, mixed set on a single-region image) planted, and its report."""
    scratch = tmp_path_factory.mktemp("planted")
    root = defects.clone_release(sample_root, scratch)
    defects.set_csv_value(root, image_with(root, fractured=1), "oblique", "x")
    defects.set_csv_value(root, image_with(root, fractured=0, mixed=0), "mixed", 1)
    code, document = audit_json(root, scratch / "audit.json")
    assert code == 1
    return root, document


def test_a_report_with_planted_findings_follows_the_schema(planted):
    _, document = planted
    assert [f["rule"] for f in document["findings"]] == ["CSV006", "CSV010"]
    assert_valid_report(document)  # audit_json checked it too; this test says so


def test_the_report_carries_the_verdict_and_the_release_identity(planted):
    root, document = planted
    assert (document["ok"], document["fail_on"], document["exit_code"]) == (False, "error", 1)
    assert document["verdict"] == "FAIL at --fail-on error: 1 error (1 warning)"
    identity = document["identity"]
    digest = hashlib.sha256((root / "dataset.csv").read_bytes()).hexdigest()
    assert identity["dataset.csv"] == digest
    # CSV003 reads every annotation format; no image rule ran, so no image file was read
    assert list(identity["annotations"]) == ["coco", "vgg", "yolo", "voc"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in identity["annotations"].values())
    assert identity["images"] is None


@pytest.mark.parametrize(
    ("fail_on", "ok", "code", "verdict"),
    [
        ("warning", False, 1, "FAIL at --fail-on warning: 1 error, 1 warning"),
        ("never", True, 0, "PASS at --fail-on never: nothing gates (1 error, 1 warning)"),
    ],
)  # fmt: skip
def test_the_verdict_is_given_at_the_fail_on_level(planted, tmp_path, fail_on, ok, code,
                                                   verdict):  # fmt: skip
    root, _ = planted
    exit_code, document = audit_json(root, tmp_path / "audit.json", "--fail-on", fail_on)
    assert exit_code == code == document["exit_code"]
    assert (document["ok"], document["fail_on"], document["verdict"]) == (ok, fail_on, verdict)


def test_every_digest_of_a_full_audit_is_named(sample_root, tmp_path, sample_stays_pristine):
    report = tmp_path / "audit.json"
    code = main(["audit", str(sample_root), "--expect", str(SAMPLE_EXPECTATIONS), "--workers", "1",
                 "--ignore", "STA", "--json", str(report)])  # fmt: skip
    identity = read_report(report)["identity"]
    assert code == 0
    digests = [identity["dataset.csv"], identity["images"], *identity["annotations"].values()]
    assert len(digests) == 6 and all(re.fullmatch(r"[0-9a-f]{64}", d) for d in digests)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        pytest.param(lambda d: d["findings"][0].pop("rule"),
                     "$.findings[0]: 'rule' is a required property", id="finding-without-rule"),
        pytest.param(lambda d: d["findings"][1].update(severity="fatal"),
                     "$.findings[1].severity: 'fatal' is not one of", id="severity-fatal"),
        pytest.param(lambda d: d["findings"][0].update(rule="CSV06"),
                     "$.findings[0].rule: 'CSV06' does not match", id="rule-not-a-code"),
        pytest.param(lambda d: d["findings"][0].update(family="dataset"),
                     "$.findings[0].family: 'dataset' is not one of", id="unknown-family"),
        pytest.param(lambda d: d["findings"][0].update(image_id=17),
                     "$.findings[0].image_id: 17 is not of type", id="image-id-a-number"),
        pytest.param(lambda d: d["findings"][0].pop("location"),
                     "$.findings[0]: 'location' is a required property", id="location-dropped"),
        pytest.param(lambda d: d["findings"][0].update(details=[1, 2]),
                     "$.findings[0].details: [1, 2] is not of type 'object'", id="details-a-list"),
        pytest.param(lambda d: d["summary"].pop("errors"),
                     "$.summary: 'errors' is a required property", id="summary-without-errors"),
        pytest.param(lambda d: d["summary"].update(warnings=-1),
                     "$.summary.warnings: -1 is less than the minimum", id="negative-count"),
        pytest.param(lambda d: d.update(tool="other"), "$.tool: 'fracqa' was expected",
                     id="another-tool"),
        pytest.param(lambda d: d["findings"][0].update(waived=True, waiver_reason="ok"),
                     "$.findings[0]: {", id="waived-without-a-waivers-file"),
        pytest.param(lambda d: d.pop("ok"), "$: 'ok' is a required property", id="no-verdict"),
        pytest.param(lambda d: d.pop("identity"), "$: 'identity' is a required property",
                     id="no-identity"),
        pytest.param(lambda d: d.update(exit_code=0), "$.exit_code: 1 was expected",
                     id="failing-but-exit-0"),
        pytest.param(lambda d: d.update(exit_code=2), "$.exit_code: 2 is not one of [0, 1]",
                     id="exit-2-in-a-report"),
        pytest.param(lambda d: d.update(ok=True, exit_code=0,
                                        verdict="PASS at --fail-on error: no error"),
                     "$.summary.errors: 1 is greater than the maximum of 0",
                     id="passing-with-an-error"),
        pytest.param(lambda d: d.update(fail_on="never"), "$.ok: True was expected",
                     id="failing-at-never"),
        pytest.param(lambda d: d.update(fail_on="fatal"), "$.fail_on: 'fatal' is not one of",
                     id="unknown-fail-on"),
        pytest.param(lambda d: d.update(verdict="PASS at --fail-on error: fine"),
                     "$.verdict: 'PASS at --fail-on error: fine' does not match '^FAIL '",
                     id="verdict-word-contradicts-ok"),
        pytest.param(lambda d: d["identity"].update({"dataset.csv": "abc"}),
                     "$.identity['dataset.csv']: 'abc' does not match",
                     id="digest-not-sha256"),
        pytest.param(lambda d: d["identity"]["annotations"].pop("voc"),
                     "$.identity.annotations: 'voc' is a required property",
                     id="identity-without-a-format"),
    ],
)  # fmt: skip
def test_a_report_that_breaks_the_contract_is_rejected(planted, change, said):
    message = rejected(changed(planted[1], change))
    assert said in message, message


def test_a_report_with_every_error_lists_each_path(planted):
    def break_twice(document: dict) -> None:
        document["findings"][0].pop("rule")
        document["findings"][1]["severity"] = "fatal"

    message = rejected(changed(planted[1], break_twice))
    assert "$.findings[0]: 'rule' is a required property" in message
    assert "$.findings[1].severity: 'fatal' is not one of" in message
    assert len(report_errors(changed(planted[1], break_twice))) == 2


def test_keys_added_later_are_accepted(planted):
    """Consumers must tolerate new keys (a verdict, say): so does the schema, where it may."""

    def add_keys(document: dict) -> None:
        document["signed_off_by"] = "the maintainers"
        document["identity"]["splits"] = None
        document["summary"]["gating"] = 1
        document["findings"][0]["fingerprint"] = "0123456789abcdef"

    assert_valid_report(changed(planted[1], add_keys))


# ---------------------------------------------------------------- a report with waivers


@pytest.fixture(scope="module")
def waived(planted, tmp_path_factory) -> dict:
    """The planted release's report with a waivers file from `fracqa baseline`, whose CSV006
    waiver has a reason and whose CSV010 waiver has none (WAV002 says so)."""
    root, _ = planted
    scratch = tmp_path_factory.mktemp("waived")
    waivers = scratch / "waivers.toml"
    assert main(["baseline", str(root), *FAST, "-o", str(waivers)]) == 0
    written = tomllib.loads(waivers.read_text(encoding="utf-8"))
    for waiver in written["waiver"]:
        if waiver["rule"] == "CSV006":
            waiver["reason"] = "confirmed by the annotators"
    waivers.write_text(tomli_w.dumps(written), encoding="utf-8")
    code, document = audit_json(root, scratch / "audit.json", "--waivers", str(waivers))
    assert code == 0
    return document


def test_a_waived_report_follows_the_schema(waived):
    assert waived["waivers"].endswith("waivers.toml") and waived["summary"]["waived"] == 2
    by_rule = {f["rule"]: f for f in waived["findings"]}
    assert by_rule["CSV006"]["waived"] is True
    assert by_rule["CSV006"]["waiver_reason"] == "confirmed by the annotators"
    assert by_rule["CSV010"]["waiver_reason"] == ""
    assert "waived" not in by_rule["WAV002"]
    assert_valid_report(waived)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        pytest.param(lambda d: d.pop("waivers"), "$.summary: {",
                     id="waived-findings-without-waivers"),
        pytest.param(lambda d: d["summary"].pop("waived"), "$.summary: 'waived' is a required",
                     id="waivers-without-summary-waived"),
        pytest.param(lambda d: d["findings"][0].pop("waiver_reason"),
                     "$.findings[0]: 'waiver_reason' is a dependency of 'waived'",
                     id="waived-without-reason"),
        pytest.param(lambda d: d["findings"][0].update(waived=False),
                     "$.findings[0].waived: True was expected", id="waived-false"),
    ],
)  # fmt: skip
def test_a_waived_report_that_breaks_the_contract_is_rejected(waived, change, said):
    assert waived["findings"][0].get("waived") is True
    message = rejected(changed(waived, change))
    assert said in message, message
