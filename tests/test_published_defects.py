"""The defects independent audits found in the FracAtlas release as published today
(fixtures/reference/README.md), planted together into a copy of the full-size replica: each is
reported, explained, and reported once, against the paper's figures (its label shortcuts and
runs of alike ids included)."""

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


def test_the_counts_that_differ_from_the_paper_are_one_warning_naming_their_two_images(published):
    planted, result = published
    [counts] = [f for code in ("STA001", "STA002", "STA003", "STA004")
                for f in findings_of(result, code)]  # fmt: skip
    assert counts.rule == "STA001" and counts.severity.value == "warning"
    assert counts.details["images"] == sorted(planted["both folders"])
    figures = {row["figure"]: row for row in counts.details["figures"]}
    assert figures["dataset.fractured_images"]["observed"] == 719
    assert figures["dataset.fractured_images"]["published"] == 717
    assert figures["dataset.fracture_instances"]["observed"] == 924
    assert figures["splits.test"]["observed"] == 63
    assert all(row["counted"] == row["published"] for row in figures.values())
    assert counts.message.startswith(
        f"{len(figures)} published figures differ because of 2 images in both class folders "
        "(IMG004), IMG0003375.jpg, IMG0003376.jpg, which dataset.csv labels fractured: counted "
        "as non-fractured")  # fmt: skip
    # the JSON's statistics table keeps every figure
    assert sorted(row["figure"] for row in result.statistics if row["ok"] is False) == sorted(
        figures)


def test_large_images_fractured_more_often_are_one_shortcut(published):
    _, result = published
    [large] = findings_of(result, "STA007")
    assert large.location == "pixels" and large.severity.value == "warning"
    assert large.message.startswith(
        "pixels goes with the label: images of at least 3,538,623 pixels (3.5 MP) are 29 % "
        "fractured (102/352) against 16.5 % (617/3,731) of the others: relative risk 1.8")


def test_hardware_on_97_of_99_fractured_images_is_a_clinical_shortcut(published):
    _, result = published
    [hardware] = findings_of(result, "STA011")
    assert hardware.location == "hardware" and hardware.severity.value == "warning"
    assert "97 of 99 hardware images are fractured (98 %)" in hardware.message
    assert "hardware" not in {f.location for f in findings_of(result, "STA009")}


def test_runs_of_alike_ids_are_one_note_though_the_official_split_keeps_them(published):
    _, result = published
    [runs] = findings_of(result, "STA010")
    assert runs.severity.value == "info" and runs.details["leaks"] == []
    assert "None of the" in runs.message and "split by study" in runs.message


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
    expected = {"IMG004", "CSV003", "ANN010", "STA001", "IMG007", "IMG020", "IMG022", "IMG011",
                "IMG012", "IMG013", "PRV004", "STA005", "STA006", "STA007", "STA008",
                "STA009", "STA010", "STA011"}  # fmt: skip
    assert {f.rule for f in result.findings} <= expected
    # the official split's imbalance, as in the replica, and what its ranges of ids make of
    # the runs of alike ids: every one of them follows from the id order
    balance = findings_of(result, "STA005")
    assert {f.location for f in balance} >= EXPECTED_ON_REPLICA["STA005"] - {"file size"}
    for finding in balance:
        assert "it follows from the id order (STA006)" in finding.message, finding.message
