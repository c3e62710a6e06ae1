"""SPL rules: the official split is readable, disjoint, complete and holds fractured images only."""

from __future__ import annotations

from fixtures import defects_images as plant
from fracqa.runner import run_audit
from tests.helpers import codes, findings_of, image_with


def test_a_train_image_also_in_test_is_an_overlap(replica_copy):
    image_id = plant.add_to_split(replica_copy, plant.split_ids(replica_copy, "train")[7], "test")
    result = run_audit(replica_copy)
    [finding] = findings_of(result, "SPL003")
    assert finding.image_id == image_id and finding.details["splits"] == ["train", "test"]
    assert finding.file.endswith("test.csv")


def test_an_unknown_id_in_valid_is_reported(replica_copy):
    image_id = plant.add_unknown_to_split(replica_copy, "valid")
    [finding] = findings_of(run_audit(replica_copy), "SPL002")
    assert finding.image_id == image_id and finding.file.endswith("valid.csv")


def test_a_non_fractured_image_in_train_is_reported(replica_copy):
    image_id = plant.add_to_split(replica_copy, image_with(replica_copy, fractured=0), "train")
    result = run_audit(replica_copy, ignore=["STA"])
    assert [(f.rule, f.image_id) for f in result.findings] == [("SPL005", image_id)]


def test_a_valid_image_in_no_split_is_reported(replica_copy):
    image_id = plant.remove_from_splits(replica_copy, plant.split_ids(replica_copy, "valid")[0])
    result = run_audit(replica_copy, ignore=["STA"])
    assert [(f.rule, f.image_id) for f in result.findings] == [("SPL004", image_id)]


def test_a_deleted_split_file_is_a_layout_finding_and_the_rest_runs(replica_copy):
    plant.delete_split_file(replica_copy, "valid")
    negative = plant.add_to_split(replica_copy, image_with(replica_copy, fractured=0), "test")
    result = run_audit(replica_copy)
    assert codes(result) == {"LAY005", "SPL005"}
    assert findings_of(result, "SPL005")[0].image_id == negative
    figures = {row["figure"]: row for row in result.statistics}
    assert figures["splits.valid"]["observed"] is None  # not a second report of the same loss
    assert figures["regions.hand.total"]["ok"] is True


def test_a_repeated_line_is_reported(replica_copy):
    image_id = plant.duplicate_split_entry(replica_copy, plant.split_ids(replica_copy, "test")[2])
    [finding] = findings_of(run_audit(replica_copy, ignore=["STA"]), "SPL006")
    assert finding.image_id == image_id and finding.location.startswith("line ")


def test_a_split_file_without_header_is_not_read(replica_copy):
    plant.split_without_header(replica_copy, "test")
    result = run_audit(replica_copy)
    [finding] = findings_of(result, "SPL001")
    assert finding.file.endswith("test.csv") and "image_id" in finding.message
    assert codes(result) == {"SPL001"}
