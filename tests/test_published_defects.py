"""The defects independent audits found in the FracAtlas release as published today
(fixtures/reference/README.md), planted together into a copy of the full-size replica: each is
reported, explained, and reported once, against the paper's figures."""

from __future__ import annotations

import pytest

from fixtures import defects
from fixtures.defects_published import plant_all
from fracqa.model import AuditRecord
from fracqa.runner import run_audit
from tests.helpers import EXPECTED_ON_REPLICA, findings_of


@pytest.fixture(scope="module")
def published(full_replica, tmp_path_factory) -> tuple[dict, AuditRecord]:
    root = defects.clone_release(full_replica, tmp_path_factory.mktemp("published"))
    planted = plant_all(root)
    return planted, run_audit(root)


def _named(result: AuditRecord, code: str) -> set[str]:
    return {f.image_id for f in findings_of(result, code)}


def test_two_images_in_both_folders_are_named_with_their_empty_yolo_files(published):
    planted, result = published
    both = set(planted["both folders"])
    assert _named(result, "IMG004") == both
    counts = [f for f in findings_of(result, "CSV003") if f.image_id in both]
    assert {f.image_id for f in counts if "YOLO" in f.message} == both


def test_the_counts_that_differ_from_the_paper_are_warnings_with_both_values(published):
    _, result = published
    totals = {f.location: f for f in findings_of(result, "STA001")}
    assert totals["dataset.fractured_images"].details["observed"] == 719
    assert totals["dataset.fractured_images"].details["published"] == 717
    assert totals["dataset.fracture_instances"].details["observed"] == 924
    splits = {f.location: f for f in findings_of(result, "STA004")}
    assert splits["splits.test"].details["observed"] == 63


def test_each_truncated_image_is_one_error_saying_how_much_is_lost(published):
    planted, result = published
    truncated = [f for f in findings_of(result, "IMG007") if f.image_id in planted["truncated"]]
    assert len(truncated) == len(planted["truncated"]) == 59
    assert all("rows are missing" in f.message for f in truncated)


def test_each_orientation_tag_is_one_finding_not_a_pile_of_size_mismatches(published):
    planted, result = published
    tagged = set(planted["orientation"]) | {b for _, b in planted["identical once oriented"]}
    assert _named(result, "IMG020") == tagged
    for code in ("IMG009", "ANN007", "ANN013", "ANN018"):
        assert not _named(result, code) & tagged, code


def test_byte_identical_copies_are_grouped(published):
    planted, result = published
    grouped = [{m["image_id"] for m in f.details["members"]}
               for code in ("IMG011", "IMG012", "IMG013") for f in findings_of(result, code)]
    for pair in planted["byte-identical"]:
        assert any(set(pair) <= group for group in grouped), pair


def test_copies_stored_rotated_under_an_orientation_tag_are_found_with_their_labels(published):
    planted, result = published
    pairs = planted["identical once oriented"]
    conflicts = [{m["image_id"] for m in f.details["members"]}
                 for f in findings_of(result, "IMG012")]  # fmt: skip
    for number, pair in enumerate(pairs):
        if number < 3:  # the first is fractured, its copy a negative
            assert any(set(pair) <= group for group in conflicts), pair
    grouped = [{m["image_id"] for m in f.details["members"]}
               for code in ("IMG011", "IMG012", "IMG013") for f in findings_of(result, code)]
    assert all(any(set(pair) <= group for group in grouped) for pair in pairs)


def test_a_release_of_l_and_rgb_images_is_one_release_level_note(published):
    _, result = published
    [mix] = [f for f in findings_of(result, "IMG022") if "colour modes" in f.message]
    assert mix.severity.value == "info" and "L" in mix.message and "RGB" in mix.message


def test_the_truncated_negatives_are_one_shortcut_finding(published):
    planted, result = published
    [defect] = [f for f in findings_of(result, "STA008") if "decode" in f.location]
    assert defect.details["images"] == sorted(planted["truncated"])
    assert defect.details["class"] == "non-fractured" and defect.details["probability"] < 1e-4


def test_nothing_else_is_reported(published):
    _, result = published
    # PRV004: the summary of the metadata the 25 EXIF-oriented images carry (info)
    expected = {"IMG004", "CSV003", "ANN010", "STA001", "STA002", "STA003", "STA004", "IMG007",
                "IMG020", "IMG022", "IMG011", "IMG012", "IMG013", "PRV004",
                "STA005", "STA006", "STA008", "STA009"}  # fmt: skip
    assert {f.rule for f in result.findings} <= expected
    # the official split's imbalance, as in the replica; nothing else of the split
    assert {f.location for f in findings_of(result, "STA005")} <= EXPECTED_ON_REPLICA["STA005"]
