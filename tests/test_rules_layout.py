"""LAY rules: each missing part is one finding, and every rule that can still run does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixtures import defects
from tests.helpers import audit_rules, audit_sample, findings_of, image_with

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


def _remove(part: str):
    def planter(root: Path) -> str:
        defects.remove_part(root, part)
        return PARTS[part][1]

    return planter


def _remove_valid_split(root: Path) -> str:
    (defects.part_path(root, "split") / "valid.csv").unlink()
    return "Utilities/Fracture Split/valid.csv"


def _second_annotations_folder(root: Path) -> str:
    shutil.copytree(root / "Annotations", root / "Annotation")
    return "Annotations"


def _utilities_linked_outside(root: Path) -> str:
    outside = root.parent / "elsewhere"
    shutil.move(root / "Utilities", outside)
    (root / "Utilities").symlink_to(outside, target_is_directory=True)
    return "Utilities"


# case -> (planter returning the file the finding names, rule, severity)
PLANTED = {
    **{f"{part} missing": (_remove(part), code, "error") for part, (code, _) in PARTS.items()},
    "valid.csv missing": (_remove_valid_split, "LAY005", "error"),
    "Annotations also as Annotation": (_second_annotations_folder, "LAY006", "warning"),
    "Utilities linked outside the root": (_utilities_linked_outside, "LAY007", "error"),
}
# The layout findings a case gives besides its own: a part not followed is missing too.
ALSO = {"Utilities linked outside the root": {"LAY004"}}


@pytest.mark.parametrize("case", PLANTED)
def test_each_layout_defect_is_one_finding_and_the_rest_still_runs(case, sample_copy):
    planter, code, severity = PLANTED[case]
    # A second defect that a still-runnable rule must find: a PNG (IMG005), or a bad flag.
    if case.startswith("images"):
        other = defects.set_csv_value(sample_copy, image_with(sample_copy, fractured=0), "hip", 7)
        other_code = "CSV006"
    else:
        other = defects.replace_with_png(sample_copy, image_with(sample_copy, fractured=1))
        other_code = "IMG005"
    file = planter(sample_copy)
    result = audit_rules(sample_copy)
    [finding] = findings_of(result, code)
    assert finding.file == file and finding.severity.value == severity
    assert [f.image_id for f in findings_of(result, other_code)] == [other]
    layout_codes = {f.rule for f in result.findings if f.family == "layout"}
    assert layout_codes == {code, *ALSO.get(case, ())}


def test_each_missing_split_file_is_one_finding(sample_copy):
    split_dir = defects.part_path(sample_copy, "split")
    (split_dir / "valid.csv").unlink()
    (split_dir / "test.csv").unlink()
    found = findings_of(audit_rules(sample_copy), "LAY005")
    assert [f.file for f in found] == [
        "Utilities/Fracture Split/test.csv",
        "Utilities/Fracture Split/valid.csv",
    ]


def test_a_missing_annotations_folder_names_each_format(sample_copy):
    shutil.rmtree(sample_copy / "Annotations")
    assert len(findings_of(audit_rules(sample_copy), "LAY003")) == 4


def test_real_world_folder_spellings_raise_nothing(sample_copy):
    defects.rename_to_variant(sample_copy)
    assert (sample_copy / "Annotation").is_dir() and (sample_copy / "utilities").is_dir()
    assert audit_sample(sample_copy).findings == []


def test_a_release_inside_a_wrapping_folder_is_found(sample_copy):
    assert audit_sample(sample_copy.parent).findings == []


def test_two_spellings_of_one_part_name_both(sample_copy):
    _second_annotations_folder(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy), "LAY006")
    assert "Annotation" in finding.message and "Annotations" in finding.message


def test_a_part_linked_outside_the_root_is_not_followed(sample_copy):
    _utilities_linked_outside(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy), "LAY007")
    assert str(sample_copy.parent / "elsewhere") in finding.message
