"""Duplicates and leakage: the same radiograph twice, exactly or nearly, across splits or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import defects_images as plant
from fracqa.config import Settings, Tolerances
from tests.helpers import SAMPLE_EXPECTATIONS, audit_rules, audit_sample, findings_of


def _members(finding) -> dict[str, list[str]]:
    return {m["image_id"]: m["splits"] for m in finding.details["members"]}


def _train_over_test(root: Path) -> dict[str, list[str]]:
    train = plant.split_ids(root, "train")[10]
    test = plant.split_ids(root, "test")[0]
    plant.copy_image_bytes(root, train, test)
    return {train: ["train"], test: ["test"]}


def _brightened_train_in_valid(root: Path) -> dict[str, list[str]]:
    valid = plant.split_ids(root, "valid")[1]
    train = plant.same_size_partner(root, valid, plant.split_ids(root, "train"))
    plant.brightened_copy(root, train, valid)
    return {train: ["train"], valid: ["valid"]}


def _identical_non_fractured(root: Path) -> dict[str, list[str]]:
    first, second = plant.identical_non_fractured_pair(root)
    return {first: [], second: []}


def _fractured_over_non_fractured(root: Path) -> dict[str, list[str]]:
    fractured = plant.split_ids(root, "train")[5]
    negative = plant.same_size_partner(root, fractured, plant._non_fractured_ids(root))
    plant.copy_image_bytes(root, fractured, negative)
    return {fractured: ["train"], negative: []}


# case -> (planter returning the group's members and their splits, rule, severity)
PLANTED = {
    "train image copied over a test image": (_train_over_test, "IMG011", "error"),
    "brightened re-encoded train image in valid": (_brightened_train_in_valid, "IMG011",
                                                   "error"),
    "identical non-fractured images": (_identical_non_fractured, "IMG013", "warning"),
    "fractured image copied over a non-fractured one": (_fractured_over_non_fractured, "IMG012",
                                                        "error"),
}  # fmt: skip


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_duplicate_is_one_group_naming_its_members(case, sample_copy):
    planter, code, severity = PLANTED[case]
    members = planter(sample_copy)
    result = audit_rules(sample_copy)
    [finding] = findings_of(result, code)
    assert finding.severity.value == severity
    assert _members(finding) == members
    assert finding.image_id in members and all(m in finding.message for m in members)
    others = {"IMG011", "IMG012", "IMG013"} - {code}
    assert not [f for f in result.findings if f.rule in others], result.findings


def test_a_train_image_copied_over_a_test_image_is_leakage(sample_copy):
    _train_over_test(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy), "IMG011")
    assert {link["kind"] for link in finding.details["links"]} == {"same bytes"}


def test_a_brightened_reencoded_train_image_in_valid_is_found(sample_copy):
    _brightened_train_in_valid(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy), "IMG011")
    [link] = finding.details["links"]
    assert link["kind"] == "near-duplicates" and link["distance"] <= 4


def test_copies_with_different_labels_are_a_conflict(sample_copy):
    _fractured_over_non_fractured(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy), "IMG012")
    assert "fractured" in finding.message


def test_the_near_duplicate_distance_is_a_setting(sample_copy):
    _brightened_train_in_valid(sample_copy)
    exact_only = Settings(tolerances=Tolerances(hash_distance=0), workers=1,
                          expectations=SAMPLE_EXPECTATIONS)  # fmt: skip
    found = findings_of(audit_sample(sample_copy, ["IMG011"], settings=exact_only), "IMG011")
    distance = None
    if found:
        [link] = found[0].details["links"]
        distance = link["distance"]
    assert distance in (None, 0)
