"""Duplicates and leakage: the same radiograph twice, exactly or nearly, across splits or not."""

from __future__ import annotations

from fixtures import defects_images as plant
from fracqa.config import Settings, Tolerances
from fracqa.runner import run_audit
from tests.helpers import findings_of


def _members(finding) -> dict[str, list[str]]:
    return {m["image_id"]: m["splits"] for m in finding.details["members"]}


def test_a_train_image_copied_over_a_test_image_is_leakage(replica_copy):
    train = plant.split_ids(replica_copy, "train")[10]
    test = plant.split_ids(replica_copy, "test")[3]
    plant.copy_image_bytes(replica_copy, train, test)
    result = run_audit(replica_copy)
    [finding] = findings_of(result, "IMG011")
    assert finding.severity.value == "error"
    assert _members(finding) == {train: ["train"], test: ["test"]}
    assert train in finding.message and test in finding.message
    assert {link["kind"] for link in finding.details["links"]} == {"same bytes"}


def test_a_brightened_reencoded_train_image_in_valid_is_found(replica_copy):
    valid = plant.split_ids(replica_copy, "valid")[5]
    train = plant.same_size_partner(replica_copy, valid, plant.split_ids(replica_copy, "train"))
    plant.brightened_copy(replica_copy, train, valid)
    result = run_audit(replica_copy)
    [finding] = findings_of(result, "IMG011")
    assert _members(finding) == {train: ["train"], valid: ["valid"]}
    [link] = finding.details["links"]
    assert link["kind"] == "near-duplicates" and link["distance"] <= 4


def test_identical_non_fractured_images_are_a_warning(replica_copy):
    first, second = plant.identical_non_fractured_pair(replica_copy)
    result = run_audit(replica_copy)
    [finding] = findings_of(result, "IMG013")
    assert finding.severity.value == "warning"
    assert set(_members(finding)) == {first, second}
    assert not findings_of(result, "IMG011") and not findings_of(result, "IMG012")


def test_copies_with_different_labels_are_a_conflict(replica_copy):
    fractured = plant.split_ids(replica_copy, "train")[20]
    negative = plant.same_size_partner(replica_copy, fractured,
                                       plant._non_fractured_ids(replica_copy))  # fmt: skip
    plant.copy_image_bytes(replica_copy, fractured, negative)
    [finding] = findings_of(run_audit(replica_copy), "IMG012")
    assert set(_members(finding)) == {fractured, negative}
    assert "fractured" in finding.message and finding.image_id in (fractured, negative)


def test_the_near_duplicate_distance_is_a_setting(replica_copy):
    valid = plant.split_ids(replica_copy, "valid")[5]
    train = plant.same_size_partner(replica_copy, valid, plant.split_ids(replica_copy, "train"))
    plant.brightened_copy(replica_copy, train, valid)
    exact_only = Settings(tolerances=Tolerances(hash_distance=0))
    found = findings_of(run_audit(replica_copy, select=["IMG011"], settings=exact_only), "IMG011")
    distance = None
    if found:
        [link] = found[0].details["links"]
        distance = link["distance"]
    assert distance in (None, 0)
