"""IMG rules: every labelled image is on disk once, in the folder of its label, and a JPEG."""

from __future__ import annotations

import pytest

from fixtures import defects
from fixtures import defects_structure as plant
from tests.helpers import audit_rules, codes, findings_of, image_with, planted_finding


def _stray(root, name="Thumbs.db"):
    (root / "images" / "Fractured" / name).write_bytes(b"cache")
    return name


# case -> (planter returning the image it names, rule, severity)
PLANTED = {
    "image deleted": (lambda r: defects.delete_image(r, image_with(r, fractured=1)), "IMG001",
                      "error"),
    "fractured image in Non_fractured": (
        lambda r: defects.move_image_to_other_folder(r, image_with(r, fractured=1)), "IMG002",
        "error"),
    "non-fractured image in Fractured": (
        lambda r: defects.move_image_to_other_folder(r, image_with(r, fractured=0)), "IMG002",
        "error"),
    "orphan file": (lambda r: defects.add_orphan_image(r, "IMG0009999.jpg"), "IMG003", "error"),
    "row removed": (lambda r: defects.remove_csv_row(r, image_with(r, fractured=0)), "IMG003",
                    "error"),
    "in both folders": (
        lambda r: defects.copy_image_to_other_folder(r, image_with(r, fractured=1)), "IMG004",
        "error"),
    "PNG named .jpg": (lambda r: defects.replace_with_png(r, image_with(r, fractured=1)),
                       "IMG005", "error"),
    "empty file": (lambda r: _empty(r, image_with(r, fractured=0)), "IMG008", "error"),
    "stray file": (_stray, "IMG006", "warning"),
    "image named .JPG": (lambda r: _renamed(r, image_with(r, fractured=1), ".JPG"), "IMG001",
                         "error"),
    "image named .jpeg": (lambda r: _renamed(r, image_with(r, fractured=0), ".jpeg"), "IMG001",
                          "error"),
    "image named with a trailing space": (
        lambda r: _renamed(r, image_with(r, fractured=1), ".jpg "), "IMG001", "error"),
}  # fmt: skip


def _renamed(root, image_id, suffix):
    return plant.rename_image(root, image_id, image_id.removesuffix(".jpg") + suffix)


def _empty(root, image_id):
    path = defects.find_image(root, image_id)
    path.unlink()
    path.write_bytes(b"")
    return image_id


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_image_defect_is_reported_naming_the_image(case, sample_copy):
    image_id, _, found = planted_finding(sample_copy, PLANTED[case])
    assert image_id in found.message or image_id in (found.file or "")


@pytest.mark.parametrize(("suffix", "where"), [(".JPG", " on Linux ("), (".jpeg", ","),
                                               (".jpg ", ",")])  # fmt: skip
def test_an_image_spelt_otherwise_is_one_finding_naming_its_file(suffix, where, sample_copy):
    image_id = image_with(sample_copy, fractured=1)
    _renamed(sample_copy, image_id, suffix)
    name = image_id.removesuffix(".jpg") + suffix
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("IMG001", image_id)
    assert finding.file == f"images/Fractured/{name}" and repr(name) in finding.message
    assert f"finds no file{where}" in finding.message


def test_a_misspelt_copy_beside_the_image_is_a_stray_file(sample_copy):
    """The image is there under its own name: the other spelling is no image of the release."""
    image_id = image_with(sample_copy, fractured=0)
    path = defects.find_image(sample_copy, image_id)
    defects.replace_file(path.with_name(image_id + " "), path.read_bytes())
    assert codes(audit_rules(sample_copy)) == {"IMG006", "IMG013"}


def test_an_image_in_both_folders_is_not_also_in_the_wrong_folder(sample_copy):
    defects.copy_image_to_other_folder(sample_copy, image_with(sample_copy, fractured=0))
    assert codes(audit_rules(sample_copy)) == {"IMG004"}


def test_a_missing_class_folder_is_reported_once_not_per_image(sample_copy):
    defects.remove_part(sample_copy, "images/Fractured")
    result = audit_rules(sample_copy)
    assert codes(result) == {"LAY002"}
    assert len(result.findings) == 1


def test_png_message_names_the_real_format(sample_copy):
    image_id = defects.replace_with_png(sample_copy, image_with(sample_copy, fractured=0))
    [finding] = findings_of(audit_rules(sample_copy), "IMG005")
    assert "PNG" in finding.message and finding.details["format"] == "PNG"
    assert finding.file == f"images/Non_fractured/{image_id}"


def test_severities(sample_copy):
    defects.delete_image(sample_copy, image_with(sample_copy, fractured=1))
    _stray(sample_copy, "notes.txt")
    result = audit_rules(sample_copy)
    assert {f.rule: f.severity.value for f in result.findings} == {
        "IMG001": "error",
        "IMG006": "warning",
    }
