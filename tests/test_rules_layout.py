"""LAY rules: each missing part is one finding, and every rule that can still run does."""

from __future__ import annotations

import shutil

import pytest

from fixtures import defects
from tests.helpers import audit_sample, findings_of, image_with

PARTS = {
    "dataset.csv": ("LAY001", "dataset.csv"),
    "images/Fractured": ("LAY002", "images/Fractured"),
    "images/Non_fractured": ("LAY002", "images/Non_fractured"),
    "COCO JSON": ("LAY003", "Annotations/COCO JSON"),
    "VGG JSON": ("LAY003", "Annotations/VGG JSON"),
    "YOLO": ("LAY003", "Annotations/YOLO"),
    "PASCAL VOC": ("LAY003", "Annotations/PASCAL VOC"),
    "split": ("LAY004", "Utilities/Fracture Split"),
}


@pytest.mark.parametrize("part", PARTS)
def test_each_missing_part_is_one_finding_and_the_rest_still_runs(part, sample_copy):
    code, file = PARTS[part]
    # A second defect that a still-runnable rule must find: a PNG (IMG005), or a bad flag.
    if part.startswith("images"):
        other = defects.set_csv_value(sample_copy, image_with(sample_copy, fractured=0), "hip", 7)
        other_code = "CSV006"
    else:
        folder_of = {"images/Fractured": 0, "images/Non_fractured": 1}
        other = defects.replace_with_png(
            sample_copy, image_with(sample_copy, fractured=folder_of.get(part, 1))
        )
        other_code = "IMG005"
    defects.remove_part(sample_copy, part)
    result = audit_sample(sample_copy)
    [finding] = findings_of(result, code)
    assert finding.file == file and finding.severity.value == "error"
    assert [f.image_id for f in findings_of(result, other_code)] == [other]
    layout_codes = {f.rule for f in result.findings if f.family == "layout"}
    assert layout_codes == {code}


def test_each_missing_split_file_is_one_finding(sample_copy):
    split_dir = defects.part_path(sample_copy, "split")
    (split_dir / "valid.csv").unlink()
    (split_dir / "test.csv").unlink()
    found = findings_of(audit_sample(sample_copy), "LAY005")
    assert [f.file for f in found] == [
        "Utilities/Fracture Split/test.csv",
        "Utilities/Fracture Split/valid.csv",
    ]


def test_a_missing_annotations_folder_names_each_format(sample_copy):
    shutil.rmtree(sample_copy / "Annotations")
    assert len(findings_of(audit_sample(sample_copy), "LAY003")) == 4


def test_real_world_folder_spellings_raise_nothing(sample_copy):
    defects.rename_to_variant(sample_copy)
    assert (sample_copy / "Annotation").is_dir() and (sample_copy / "utilities").is_dir()
    assert audit_sample(sample_copy).findings == []


def test_a_release_inside_a_wrapping_folder_is_found(sample_copy):
    assert audit_sample(sample_copy.parent).findings == []


def test_two_spellings_of_one_part_is_a_warning(sample_copy):
    shutil.copytree(sample_copy / "Annotations", sample_copy / "Annotation")
    [finding] = findings_of(audit_sample(sample_copy), "LAY006")
    assert finding.severity.value == "warning"
    assert "Annotation" in finding.message and finding.file == "Annotations"


def test_a_part_linked_outside_the_root_is_not_followed(sample_copy, tmp_path):
    outside = tmp_path / "elsewhere"
    shutil.move(sample_copy / "Utilities", outside)
    (sample_copy / "Utilities").symlink_to(outside, target_is_directory=True)
    result = audit_sample(sample_copy)
    [finding] = findings_of(result, "LAY007")
    assert finding.file == "Utilities" and str(outside) in finding.message
    assert findings_of(result, "LAY004")
