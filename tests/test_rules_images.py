"""IMG rules: every labelled image is on disk once, in the folder of its label, and a JPEG."""

from __future__ import annotations

import pytest

from fixtures import defects
from fracqa.runner import run_audit
from tests.helpers import codes, findings_of, image_with


def _stray(root, name="Thumbs.db"):
    (root / "images" / "Fractured" / name).write_bytes(b"cache")
    return name


PLANTED = {
    "image deleted": (lambda r: defects.delete_image(r, image_with(r, fractured=1)), "IMG001"),
    "fractured image in Non_fractured": (
        lambda r: defects.move_image_to_other_folder(r, image_with(r, fractured=1)),
        "IMG002",
    ),
    "non-fractured image in Fractured": (
        lambda r: defects.move_image_to_other_folder(r, image_with(r, fractured=0)),
        "IMG002",
    ),
    "orphan file": (lambda r: defects.add_orphan_image(r, "IMG0009999.jpg"), "IMG003"),
    "row removed": (lambda r: defects.remove_csv_row(r, image_with(r, fractured=0)), "IMG003"),
    "in both folders": (
        lambda r: defects.copy_image_to_other_folder(r, image_with(r, fractured=1)),
        "IMG004",
    ),
    "PNG named .jpg": (lambda r: defects.replace_with_png(r, image_with(r, fractured=1)), "IMG005"),
    "empty file": (lambda r: _empty(r, image_with(r, fractured=0)), "IMG008"),
    "stray file": (_stray, "IMG006"),
}


def _empty(root, image_id):
    path = defects.find_image(root, image_id)
    path.unlink()
    path.write_bytes(b"")
    return image_id


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_image_defect_is_reported_naming_the_image(case, replica_copy):
    plant, code = PLANTED[case]
    image_id = plant(replica_copy)
    result = run_audit(replica_copy)
    found = findings_of(result, code)
    assert [f.image_id for f in found] == [image_id], result.findings
    assert image_id in found[0].message or image_id in (found[0].file or "")


def test_an_image_in_both_folders_is_not_also_in_the_wrong_folder(replica_copy):
    defects.copy_image_to_other_folder(replica_copy, image_with(replica_copy, fractured=0))
    assert codes(run_audit(replica_copy)) == {"IMG004"}


def test_a_missing_class_folder_is_reported_once_not_per_image(replica_copy):
    defects.remove_part(replica_copy, "images/Fractured")
    result = run_audit(replica_copy)
    assert codes(result) == {"LAY002"}
    assert len(result.findings) == 1


def test_png_message_names_the_real_format(replica_copy):
    image_id = defects.replace_with_png(replica_copy, image_with(replica_copy, fractured=0))
    [finding] = findings_of(run_audit(replica_copy), "IMG005")
    assert "PNG" in finding.message and finding.details["format"] == "PNG"
    assert finding.file == f"images/Non_fractured/{image_id}"


def test_severities(replica_copy):
    defects.delete_image(replica_copy, image_with(replica_copy, fractured=1))
    _stray(replica_copy, "notes.txt")
    result = run_audit(replica_copy)
    assert {f.rule: f.severity.value for f in result.findings} == {
        "IMG001": "error",
        "IMG006": "warning",
    }
