"""SPL rules: the official split is readable, disjoint, complete and holds fractured images only."""

from __future__ import annotations

import pytest

from fixtures import defects_images as plant
from tests.helpers import audit_rules, audit_sample, codes, findings_of, image_with

SPLIT_FILES = "Utilities/Fracture Split/"

# case -> (planter returning the image it names (None: no single image), rule, severity)
PLANTED = {
    "train image also in test": (
        lambda r: plant.add_to_split(r, plant.split_ids(r, "train")[7], "test"), "SPL003",
        "error"),
    "unknown id in valid": (lambda r: plant.add_unknown_to_split(r, "valid"), "SPL002", "error"),
    "non-fractured image in train": (
        lambda r: plant.add_to_split(r, image_with(r, fractured=0), "train"), "SPL005", "error"),
    "valid image in no split": (
        lambda r: plant.remove_from_splits(r, plant.split_ids(r, "valid")[0]), "SPL004",
        "error"),
    "test image listed twice": (
        lambda r: plant.duplicate_split_entry(r, plant.split_ids(r, "test")[0]), "SPL006",
        "error"),
    "test.csv without its header": (lambda r: plant.split_without_header(r, "test"), "SPL001",
                                    "error"),
}  # fmt: skip


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_split_defect_is_the_one_finding(case, sample_copy):
    planter, code, severity = PLANTED[case]
    image_id = planter(sample_copy)
    result = audit_rules(sample_copy)
    [finding] = result.findings
    assert (finding.rule, finding.image_id) == (code, image_id)
    assert finding.severity.value == severity
    assert finding.file, "a finding names the file to open"


def test_an_overlap_names_both_splits_and_the_later_file(sample_copy):
    image_id = plant.add_to_split(sample_copy, plant.split_ids(sample_copy, "train")[7], "test")
    [finding] = findings_of(audit_rules(sample_copy), "SPL003")
    assert finding.image_id == image_id and finding.details["splits"] == ["train", "test"]
    assert finding.file == SPLIT_FILES + "test.csv"


def test_an_unknown_id_names_its_split_file(sample_copy):
    plant.add_unknown_to_split(sample_copy, "valid")
    [finding] = findings_of(audit_rules(sample_copy), "SPL002")
    assert finding.file == SPLIT_FILES + "valid.csv"


@pytest.mark.parametrize(("write", "how"), [
    (str.lower, "in another case"),
    (lambda image_id: image_id.removesuffix(".jpg"), "without its suffix .jpg"),
])  # fmt: skip
def test_an_id_spelt_otherwise_is_one_finding_naming_the_image(write, how, sample_copy):
    """A fractured image listed as 'img0000307.jpg' or 'IMG0000307' is the image spelt
    otherwise: one SPL002 naming it, not also 'fractured but in no split' (SPL004)."""
    path = plant.split_path(sample_copy, "train")
    image_id = plant.split_ids(sample_copy, "train")[3]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(image_id, write(image_id), 1), encoding="utf-8")
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("SPL002", image_id)
    assert f"which is {image_id} written {how}" in finding.message


def test_a_deleted_split_file_is_a_layout_finding_and_the_rest_runs(sample_copy):
    plant.delete_split_file(sample_copy, "valid")
    negative = plant.add_to_split(sample_copy, image_with(sample_copy, fractured=0), "test")
    result = audit_sample(sample_copy)
    assert codes(result) == {"LAY005", "SPL005"}
    assert findings_of(result, "SPL005")[0].image_id == negative
    figures = {row["figure"]: row for row in result.statistics}
    assert figures["splits.valid"]["observed"] is None  # not a second report of the same loss
    assert figures["regions.hand.total"]["ok"] is True


def test_a_repeated_line_is_reported_at_its_line(sample_copy):
    image_id = plant.duplicate_split_entry(sample_copy, plant.split_ids(sample_copy, "test")[0])
    [finding] = findings_of(audit_rules(sample_copy), "SPL006")
    assert finding.image_id == image_id and finding.location == "line 3"


def test_a_split_file_without_header_is_not_read(sample_copy):
    plant.split_without_header(sample_copy, "test")
    result = audit_sample(sample_copy)  # the statistics too: the split figures are not observed
    [finding] = findings_of(result, "SPL001")
    assert finding.file.endswith("test.csv") and "image_id" in finding.message
    assert codes(result) == {"SPL001"}
