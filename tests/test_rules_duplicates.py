"""Duplicates and leakage: the same radiograph twice, exactly or nearly, across splits or not."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from fixtures import defects_augmented as augment
from fixtures import defects_images as plant
from fixtures.defects import find_image
from fracqa.checks import duplicates
from fracqa.config import Settings, Tolerances
from fracqa.load.crop_search import MAX_CUT
from fracqa.runner import run_audit
from tests.helpers import SAMPLE_EXPECTATIONS, audit_rules, audit_sample, findings_of, labels


def _members(finding) -> dict[str, list[str]]:
    return {m["image_id"]: m["splits"] for m in finding.details["members"]}


def _train_over_test(root: Path) -> dict[str, list[str]]:
    train = plant.split_ids(root, "train")[10]
    test = plant.split_ids(root, "test")[0]
    plant.copy_image_bytes(root, train, test)
    return {train: ["train"], test: ["test"]}


def _same_count(root: Path, image_id: str, candidates: list[str]) -> list[str]:
    """The candidates whose fracture_count is image_id's (copies that leak without a label
    conflict)."""
    counts = labels(root).set_index("image_id")["fracture_count"]
    return [c for c in candidates if counts[c] == counts[image_id]]


def _brightened_train_in_valid(root: Path) -> dict[str, list[str]]:
    valid = plant.split_ids(root, "valid")[1]
    train = plant.same_size_partner(root, valid, _same_count(root, valid,
                                                             plant.split_ids(root, "train")))
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


def _augmented_train_in_test(augmentation: augment.Augmentation):
    def planter(root: Path) -> dict[str, list[str]]:
        train = plant.split_ids(root, "train")[10]
        test = plant.split_ids(root, "test")[0]
        augment.augmented_copy(root, train, test, augmentation)
        return {train: ["train"], test: ["test"]}

    return planter


def _augmented_fractured_over_non_fractured(augmentation: augment.Augmentation):
    def planter(root: Path) -> dict[str, list[str]]:
        fractured = plant.split_ids(root, "train")[5]
        negative = plant._non_fractured_ids(root)[3]
        augment.augmented_copy(root, fractured, negative, augmentation)
        return {fractured: ["train"], negative: []}

    return planter


def _flipped_non_fractured_pair(root: Path) -> dict[str, list[str]]:
    first, second = plant._non_fractured_ids(root)[:2]
    augment.augmented_copy(root, first, second, augment.ONE_AT_A_TIME["flipped top-bottom"])
    return {first: [], second: []}


def _exif_tagged_copy(root: Path) -> dict[str, list[str]]:
    train = plant.split_ids(root, "train")[10]
    test = plant.split_ids(root, "test")[0]
    augment.exif_tagged_copy(root, train, test, 6)
    return {train: ["train"], test: ["test"]}


# case -> (planter returning the group's members and their splits, rule, severity)
PLANTED = {
    "train image copied over a test image": (_train_over_test, "IMG011", "error"),
    "brightened re-encoded train image in valid": (_brightened_train_in_valid, "IMG011",
                                                   "error"),
    "identical non-fractured images": (_identical_non_fractured, "IMG013", "warning"),
    "fractured image copied over a non-fractured one": (_fractured_over_non_fractured, "IMG012",
                                                        "error"),
    "train image rotated, cropped, rescaled, regraded and re-encoded in test": (
        _augmented_train_in_test(augment.COMBINED), "IMG011", "error"),
    "fractured image flipped over a non-fractured one": (
        _augmented_fractured_over_non_fractured(augment.ONE_AT_A_TIME["flipped left-right"]),
        "IMG012", "error"),
    "train image's bytes in test with an EXIF orientation added": (_exif_tagged_copy, "IMG011",
                                                                   "error"),
    "non-fractured image flipped over another": (_flipped_non_fractured_pair, "IMG013",
                                                 "warning"),
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


# augmentation -> what the link's transform must say: the geometry found, and of the pixels
# only what shows (a regrade in the levels; "re-encoded" when nothing else explains them)
SAID = {
    "flipped left-right": "flipped left-right, re-encoded",
    "flipped top-bottom": "flipped top-bottom, re-encoded",
    "rotated 90° clockwise": "rotated 90° clockwise, re-encoded",
    "rotated 180°": "rotated 180°, re-encoded",
    "rotated 90° counter-clockwise": "rotated 90° counter-clockwise, re-encoded",
    "transposed": "transposed (flipped about its main diagonal), re-encoded",
    "cropped": "cropped by 7 % left, 3 % top, 2 % right, 9 % bottom",
    "rescaled": "rescaled from 373x454 to 224x272",
    "regraded": "regraded (brighter by 32 grey levels, contrast ×1.18)",
    "re-encoded": "re-encoded",
    "stored turned with an EXIF orientation": "stored with EXIF orientation 6 where {a} has 1, "
                                              "re-encoded",
}
COMBINED_SAID = ("cropped by 10 % left, 4 % right, 6 % bottom, rotated 90° counter-clockwise, "
                 "rescaled from 427x320 to 320x241, regraded (darker by 15 grey levels)")


def _link(finding) -> dict:
    [link] = finding.details["links"]
    assert set(link) == {"a", "b", "kind", "transform", "distance", "correlation"}
    return link


@pytest.mark.parametrize("name", augment.ONE_AT_A_TIME, ids=list(augment.ONE_AT_A_TIME))
def test_an_augmented_train_image_in_test_is_leakage_naming_the_augmentation(name, sample_copy):
    members = _augmented_train_in_test(augment.ONE_AT_A_TIME[name])(sample_copy)
    result = audit_rules(sample_copy, ["IMG011", "IMG012", "IMG013"])
    [finding] = findings_of(result, "IMG011")
    assert [f.rule for f in result.findings] == ["IMG011"]
    assert _members(finding) == members
    train, test = members
    link = _link(finding)
    assert (link["a"], link["b"], link["kind"]) == (train, test, "near-duplicates")
    said = SAID[name].format(a=train)
    assert link["transform"] == said and link["distance"] <= 4
    assert f"{test} is {train} {said} (hash distance {link['distance']})" in finding.message


@pytest.mark.parametrize("name", ["rotated 90° counter-clockwise", "flipped top-bottom", "cropped",
                                  "stored turned with an EXIF orientation"])  # fmt: skip
def test_an_augmented_copy_with_the_other_label_is_a_conflict(name, sample_copy):
    fractured, negative = _augmented_fractured_over_non_fractured(
        augment.ONE_AT_A_TIME[name])(sample_copy)
    result = audit_rules(sample_copy, ["IMG011", "IMG012", "IMG013"])
    [finding] = findings_of(result, "IMG012")
    assert [f.rule for f in result.findings] == ["IMG012"]
    link = _link(finding)
    assert (link["a"], link["b"]) == (fractured, negative)
    assert link["transform"] == SAID[name].format(a=fractured)
    assert re.search(r"^labels differ \([^)]*\bfractured\b", finding.message)
    assert f"{negative} is {fractured} " in finding.message


def test_a_copy_cropped_rotated_rescaled_and_regraded_is_found_with_its_crop(sample_copy):
    train, test = _augmented_train_in_test(augment.COMBINED)(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy, ["IMG011"]), "IMG011")
    link = _link(finding)
    assert (link["a"], link["b"], link["kind"]) == (train, test, "near-duplicates")
    assert link["transform"] == COMBINED_SAID


def test_the_same_pixels_under_another_exif_orientation_are_the_same_pixels_turned(sample_copy):
    train, test = _exif_tagged_copy(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy, ["IMG011"]), "IMG011")
    assert _link(finding) == {
        "a": train, "b": test, "kind": "same pixels at 1/8 scale", "distance": 0,
        "correlation": None,
        "transform": f"rotated 90° clockwise, stored with EXIF orientation 6 where {train} has 1"}


def test_augmented_copies_among_the_replicas_4083_images_are_found_and_nothing_else(replica_copy):
    leak = _augmented_train_in_test(augment.COMBINED)(replica_copy)
    conflict = _augmented_fractured_over_non_fractured(augment.ONE_AT_A_TIME["cropped"])(
        replica_copy)
    twins = _flipped_non_fractured_pair(replica_copy)
    result = run_audit(replica_copy, ["IMG011", "IMG012", "IMG013"])
    found = {f.rule: (_members(f), _link(f)["transform"]) for f in result.findings}
    assert len(result.findings) == 3 and found == {
        "IMG011": (leak, COMBINED_SAID.replace("427x320 to 320x241", "2704x1984 to 2030x1486")
                   .replace("15 grey", "16 grey")),  # a 2304x2880 radiograph of the replica
        "IMG012": (conflict, SAID["cropped"]),
        "IMG013": (twins, SAID["flipped top-bottom"]),
    }


def _framed_fractured_images(root: Path, border: float = 0.3) -> list[str]:
    """Every image of the splits redrawn inside one collimation frame (a near-black border of
    `border` of each side, a white label block): distinct radiographs that hash alike."""
    ids = [i for split in ("train", "valid", "test") for i in plant.split_ids(root, split)]
    return [augment.framed(root, image_id, border) for image_id in ids]


def test_distinct_images_in_one_wide_collimation_frame_are_not_duplicates(sample_copy,
                                                                          monkeypatch):
    _framed_fractured_images(sample_copy)
    result = audit_rules(sample_copy, ["IMG011", "IMG012", "IMG013"])
    assert result.findings == []
    # The hashes alone link them: without the check of their aligned contents they leak.
    monkeypatch.setattr(duplicates, "MIN_CORRELATION", -1.0)
    unchecked = audit_rules(sample_copy, ["IMG011"])
    assert findings_of(unchecked, "IMG011")


def test_a_copy_of_a_framed_image_is_still_found(sample_copy):
    train, test = plant.split_ids(sample_copy, "train")[10], plant.split_ids(sample_copy, "test")[0]
    _framed_fractured_images(sample_copy)
    augment.augmented_copy(sample_copy, train, test, augment.Augmentation(
        turn=augment.T.FLIP_LEFT_RIGHT, gamma=0.7))
    result = audit_rules(sample_copy, ["IMG011", "IMG012", "IMG013"])
    [finding] = result.findings
    assert finding.rule == "IMG011" and _members(finding) == {train: ["train"], test: ["test"]}
    link = _link(finding)
    assert link["transform"].startswith("flipped left-right, regraded (brighter by ")
    assert link["correlation"] >= duplicates.MIN_CORRELATION


def test_a_leak_whose_copies_carry_other_labels_is_leakage_and_a_conflict(sample_copy):
    train = "IMG0000467.jpg"  # fracture_count 2, in train
    valid = plant.split_ids(sample_copy, "valid")[0]  # fracture_count 1
    counts = labels(sample_copy).set_index("image_id")["fracture_count"]
    assert (counts[train], counts[valid]) == (2, 1) and train in plant.split_ids(sample_copy,
                                                                                "train")
    augment.augmented_copy(sample_copy, train, valid, augment.ONE_AT_A_TIME["flipped left-right"])
    result = audit_rules(sample_copy, ["IMG011", "IMG012", "IMG013"])
    leak, conflict = findings_of(result, "IMG011"), findings_of(result, "IMG012")
    assert len(result.findings) == 2 and len(leak) == len(conflict) == 1
    assert _members(leak[0]) == _members(conflict[0]) == {train: ["train"], valid: ["valid"]}
    values = f"fracture_count: 1 in {valid}, 2 in {train}"
    assert f"their fracture labels differ too ({values}): IMG012 reports" in leak[0].message
    assert f"{train} (train, fractured=1, fracture_count=2)" in leak[0].message
    assert conflict[0].message.startswith(f"labels differ ({values}): ")
    assert conflict[0].message.endswith("; the copies are also in train, valid (IMG011)")
    assert leak[0].details["differing_labels"][-1] == "fracture_count"


def _first_by_file(root: Path, ids: list[str]) -> list[str]:
    return sorted(ids, key=lambda image_id: str(find_image(root, image_id)))


@pytest.mark.parametrize(("crop", "scale", "said"), [
    ((0.01, 0.01, 0.01, 0.01), None, "cropped by 1 % left, 1 % top, 1 % right, 1 % bottom"),
    ((0.0, 0.03, 0.0, 0.0), None, "cropped by 3 % top"),
    ((0.05, 0.05, 0.05, 0.05), 1 / 0.9, "cropped by 5 % left, 5 % top, 5 % right, 5 % bottom, "
                                        "rescaled from 335x408 to 372x453"),
], ids=["1 % every side", "3 % top", "5 % every side, resized back"])  # fmt: skip
def test_a_small_crop_is_named_as_a_crop_of_the_original(crop, scale, said, sample_copy):
    """A crop of a few percent hashes like its original; the link still names the crop, from
    the original, even when the copy is the image listed first, and a rescale after it."""
    negatives = plant._non_fractured_ids(sample_copy)
    copy, original = _first_by_file(sample_copy, [negatives[2], negatives[7]])
    augment.augmented_copy(sample_copy, original, copy,
                           augment.Augmentation(crop=crop, scale=scale, quality=95))
    [finding] = audit_rules(sample_copy, ["IMG011", "IMG012", "IMG013"]).findings
    link = _link(finding)
    assert (link["a"], link["b"], link["transform"]) == (original, copy, said)


def test_identical_copies_are_said_to_be_identical_and_joined_once_each(sample_copy):
    negatives = plant._non_fractured_ids(sample_copy)
    original, *copies = negatives[10:13]
    for copy in copies:
        plant.copy_image_bytes(sample_copy, original, copy)
    [finding] = audit_rules(sample_copy, ["IMG011", "IMG012", "IMG013"]).findings
    assert finding.message.startswith("3 images are identical copies (same bytes): ")
    assert [link["kind"] for link in finding.details["links"]] == ["same bytes"] * 2
    assert "hash distance" not in finding.message


def test_many_copies_are_each_listed_once_with_the_link_that_joins_them(sample_copy):
    """One radiograph copied many times is one group whose links are a spanning tree (each
    copy against the original here), not every pair; the message lists the first few."""
    negatives = plant._non_fractured_ids(sample_copy)
    original, copies = negatives[0], negatives[1:16]
    turns = list(augment.T)
    for n, copy in enumerate(copies):
        augment.augmented_copy(sample_copy, original, copy, augment.Augmentation(
            turn=turns[n % len(turns)], offset=n - 7, quality=70 + n))
    [finding] = audit_rules(sample_copy, ["IMG011", "IMG012", "IMG013"]).findings
    members = [m["image_id"] for m in finding.details["members"]]
    links = finding.details["links"]
    assert sorted(members) == sorted([original, *copies]) and len(links) == len(copies)
    assert members[0] == original and all(link["a"] == original for link in links)
    assert [link["b"] for link in links] == members[1:]
    more = len(members) - duplicates.SHOWN_MEMBERS
    assert (f"; and {more} more images, each with the link that joins it, in the details"
            in finding.message)


def test_a_cut_at_the_alignments_limit_is_said_to_be_at_least_that():
    images = pd.DataFrame({"image_id": ["A.jpg", "B.jpg"], "file": ["a", "b"],
                           "width": [373, 313], "height": [454, 454],
                           "view_orientation": [1, 1]})  # fmt: skip
    link = duplicates.Link(0, 1, duplicates.NEAR, 2, 0, (MAX_CUT, 0.0, 0.03, 0.0), 0.99,
                           (100.0, 100.5, 1.0))  # fmt: skip
    limit = f"{100 * MAX_CUT:.0f}"
    assert duplicates.transform_of(link, images) == (
        f"cropped by at least {limit} % left, 3 % right")
