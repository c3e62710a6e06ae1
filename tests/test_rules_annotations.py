"""ANN rules and CSV003: every annotation defect planted in a copy of the sample release is
reported naming the image; the release's own rounding and absent negative files raise nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures import defects
from fixtures import defects_annotations as plant
from fixtures import defects_plausibility as plausible
from fracqa.cli import main
from fracqa.config import Settings
from fracqa.runner import run_audit
from tests.helpers import (
    NO_STATISTICS,
    SAMPLE_EXPECTATIONS,
    audit_rules,
    codes,
    findings_of,
    image_with,
)

COCO_FILE = "Annotations/COCO JSON/COCO_fracture_masks.json"
VGG_FILE = "Annotations/VGG JSON/VGG_fracture_masks.json"
MULTI = "IMG0000307.jpg"  # fractured, 3 instances
FOUR = "IMG0002589.jpg"  # fractured, 4 instances, one near the right edge


def _one(root: Path) -> str:
    """A fractured image with one instance, not square (so its size can be swapped)."""
    return image_with(root, fractured=1, fracture_count=1)


def _several(root: Path) -> str:
    return image_with(root, fractured=1, fracture_count=2)


def _negative(root: Path) -> str:
    return image_with(root, fractured=0)


def _edit_coco(root: Path, edit) -> None:
    document = plant.read_coco(root)
    edit(document)
    plant.write_coco(root, document)


def _coco_without_bbox(root: Path) -> str:
    image_id = _one(root)
    _edit_coco(root, lambda d: plant.coco_annotations(d, image_id)[0].pop("bbox"))
    return image_id


def _rename_category(root: Path) -> None:
    _edit_coco(root, lambda d: d["categories"][0].update(name="fracture"))


def _escaping_file_name(root: Path) -> None:
    image_id = _one(root)
    _edit_coco(root, lambda d: plant.coco_image(d, image_id).update(
        file_name="../../../../etc/passwd"))  # fmt: skip


def _yolo_for_unknown_image(root: Path) -> str:
    (plant.yolo_path(root, "IMG0099999.jpg")).write_text("0 0.5 0.5 0.1 0.1\n")
    return "IMG0099999.jpg"


def _yolo_text_value(root: Path) -> str:
    image_id = _one(root)
    lines = plant.read_yolo(root, image_id)
    lines[0][2] = "nan"
    plant.write_yolo(root, image_id, lines)
    return image_id


def _voc_entity_bomb(root: Path) -> str:
    image_id = _one(root)
    entities = "".join(f'<!ENTITY e{i} "&e{i - 1};&e{i - 1};">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE annotation [<!ENTITY e0 "laugh">{entities}]>'
            "<annotation><filename>&e9;</filename></annotation>")  # fmt: skip
    defects.replace_file(plant.voc_path(root, image_id), bomb.encode())
    return image_id


def _remove_classes_txt(root: Path) -> None:
    (plant.yolo_path(root, "classes.jpg").parent / "classes.txt").unlink()


# case -> (planter returning the image it names (None: no single image), rule, severity)
PLANTED = {
    "instance removed from COCO": (lambda r: plant.remove_instance(r, _several(r), "coco"),
                                   "CSV003", "error"),
    "instance removed from VGG": (lambda r: plant.remove_instance(r, _several(r), "vgg"),
                                  "CSV003", "error"),
    "instance removed from YOLO": (lambda r: plant.remove_instance(r, _several(r), "yolo"),
                                   "CSV003", "error"),
    "VOC object removed": (lambda r: plant.remove_voc_object(r, _one(r)), "CSV003", "error"),
    "COCO bbox shifted 40 px": (lambda r: plant.shift_coco_bbox(r, _one(r)), "ANN016", "error"),
    "2-point polygon": (lambda r: plant.coco_two_point_polygon(r, _one(r)), "ANN011", "error"),
    "bow-tie polygon": (lambda r: plant.coco_bowtie_polygon(r, _one(r)), "ANN012", "error"),
    "vertex outside the image": (lambda r: plant.coco_vertex_outside(r, _one(r)), "ANN016",
                                 "error"),
    "instance across the right edge in every format": (
        lambda r: plausible.across_right_edge(r, _one(r)), "ANN013", "error"),
    "COCO width and height swapped": (lambda r: plant.swap_coco_size(r, _one(r)), "ANN007",
                                      "error"),
    "COCO annotation on a non-fractured image": (
        lambda r: plant.add_coco_annotation_to(r, _negative(r)), "ANN009", "error"),
    "annotation pointing to a missing image id": (plant.coco_annotation_missing_image, "ANN004",
                                                  "error"),
    "duplicated annotation id": (lambda r: plant.duplicate_coco_annotation_id(r, _one(r)),
                                 "ANN005", "error"),
    "unknown category id": (lambda r: plant.unknown_coco_category(r, _one(r)), "ANN003", "error"),
    "COCO categories renamed": (_rename_category, "ANN003", "error"),
    "COCO annotation without bbox": (_coco_without_bbox, "ANN002", "error"),
    "COCO file_name leaving the root": (_escaping_file_name, "ANN006", "error"),
    "YOLO file of a fractured image deleted": (lambda r: plant.delete_yolo_file(r, _one(r)),
                                               "ANN010", "error"),
    "YOLO box moved by 0.12": (lambda r: plant.move_yolo_box(r, _one(r)), "ANN018", "error"),
    "YOLO width of 1.3": (lambda r: plant.set_yolo_width(r, _one(r)), "ANN015", "error"),
    "YOLO line with 3 fields": (lambda r: plant.yolo_line_with_fields(r, _one(r)), "ANN002",
                                "error"),
    "YOLO value nan": (_yolo_text_value, "ANN002", "error"),
    "YOLO class 3": (lambda r: plant.set_yolo_class(r, _one(r)), "ANN003", "error"),
    "YOLO classes.txt missing": (_remove_classes_txt, "ANN003", "error"),
    "YOLO box on a non-fractured image": (lambda r: plant.add_yolo_box(r, _negative(r)),
                                          "ANN009", "error"),
    "YOLO file for no image": (_yolo_for_unknown_image, "ANN006", "error"),
    "swapped VOC corners": (lambda r: plant.swap_voc_corners(r, _one(r)), "ANN014", "error"),
    "wrong VOC width": (lambda r: plant.set_voc_width(r, _one(r), 999), "ANN007", "error"),
    "VOC filename naming another image": (
        lambda r: plant.voc_filename(r, _one(r), _negative(r)), "ANN008", "error"),
    "VOC object named otherwise": (lambda r: plant.voc_object_name(r, _one(r)), "ANN003",
                                   "error"),
    "VOC object on a non-fractured image": (lambda r: plant.add_voc_object(r, _negative(r)),
                                            "ANN009", "error"),
    "unparseable VOC file": (lambda r: plant.corrupt_voc(r, _one(r)), "ANN001", "error"),
    "VOC entity bomb": (_voc_entity_bomb, "ANN001", "error"),
    "VGG polygon moved 30 px": (lambda r: plant.move_vgg_polygon(r, _one(r)), "ANN019", "error"),
    "YOLO cx and cy swapped on every line": (lambda r: plant.swap_yolo_centres(r, MULTI),
                                             "ANN018", "error"),
    "YOLO file normalised by height x width": (lambda r: plant.normalise_yolo_by(r, MULTI),
                                               "ANN018", "error"),
    "every box of a VOC file shifted 20 px": (lambda r: plant.shift_voc_boxes(r, FOUR),
                                              "ANN018", "error"),
    "one VOC file written 1-based": (lambda r: plant.one_based_voc(r, MULTI), "ANN038", "info"),
    "one COCO bbox written [x1, y1, x2, y2]": (
        lambda r: plausible.coco_bbox_as_corners(r, _one(r)), "ANN016", "error"),
    "image missing from the VGG file": (lambda r: plant.remove_from_vgg(r, _one(r)), "ANN010",
                                        "error"),
    "COCO area three times too large": (lambda r: plant.scale_coco_area(r, _one(r)), "ANN017",
                                        "warning"),
}  # fmt: skip


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_annotation_defect_is_reported_naming_the_image(case, sample_copy):
    planter, code, severity = PLANTED[case]
    image_id = planter(sample_copy)
    result = audit_rules(sample_copy)
    assert not [f for f in result.findings if "could not finish" in f.message]
    found = findings_of(result, code)
    assert len(found) == 1, result.findings
    assert found[0].severity.value == severity
    if image_id:
        assert found[0].image_id == image_id
    assert found[0].file, "a finding names the file to open"
    assert result.gates("error") == (severity == "error")


def test_box_disagreement_names_the_odd_file_and_every_box(sample_copy):
    image_id = plant.move_yolo_box(sample_copy, _one(sample_copy))
    [finding] = findings_of(audit_rules(sample_copy), "ANN018")
    # Three formats (COCO, VOC, and VGG's polygon bounds) outvote YOLO: the YOLO file is named.
    assert finding.file == f"Annotations/YOLO/{image_id[:-4]}.txt"
    assert finding.location == "line 1" and finding.image_id == image_id
    assert finding.details["odd"] == ["yolo"]
    assert finding.details["majority"] == ["coco", "vgg", "voc"]
    votes = {vote["format"]: vote for vote in finding.details["votes"]}
    assert set(votes) == {"coco", "vgg", "yolo", "voc"}
    assert finding.details["box"] == votes["yolo"]["box"] != votes["coco"]["box"]
    assert finding.details["consensus"] == votes["coco"]["box"] and finding.details["iou"] < 0.9
    assert finding.details["files"][0] == finding.file
    assert set(finding.details["files"]) == {v["file"] for v in votes.values()}
    assert "disagrees with COCO, VGG and VOC" in finding.message


def test_a_moved_coco_annotation_is_blamed_on_coco_once(sample_copy):
    """The COCO bbox and polygon moved together: COCO is outvoted by VGG, YOLO and VOC, and
    the VGG polygon (which no longer matches COCO's) is not reported against the VGG file."""
    image_id = _one(sample_copy)
    plant.shift_coco_bbox(sample_copy, image_id)
    document = plant.read_coco(sample_copy)
    annotation = plant.coco_annotations(document, image_id)[0]
    ring = annotation["segmentation"][0]
    annotation["segmentation"] = [[v + 40 if i % 2 == 0 else v for i, v in enumerate(ring)]]
    plant.write_coco(sample_copy, document)
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN018", image_id)
    assert finding.file == "Annotations/COCO JSON/COCO_fracture_masks.json"
    assert finding.details["odd"] == ["coco"]
    assert "disagrees with VGG, YOLO and VOC" in finding.message


def test_a_moved_coco_bbox_alone_is_left_to_ann016(sample_copy):
    image_id = plant.shift_coco_bbox(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN016", image_id)


def test_two_formats_against_two_is_said_to_have_no_majority(sample_copy):
    image_id = plausible.move_yolo_and_voc(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN018", image_id)
    assert finding.details["majority"] is None and "no majority" in finding.message
    assert finding.file == f"Annotations/YOLO/{image_id[:-4]}.txt"  # the first to depart
    assert "COCO and VGG have" in finding.message and "YOLO and VOC have" in finding.message


def test_a_moved_coco_polygon_is_blamed_on_coco_not_on_vgg(sample_copy):
    image_id = plausible.move_coco_polygon(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings  # not also ANN019: one cause
    assert (finding.rule, finding.image_id) == ("ANN016", image_id)
    assert finding.file == "Annotations/COCO JSON/COCO_fracture_masks.json"
    assert "VGG, YOLO and VOC agree with the bbox: the polygon is wrong" in finding.message
    assert finding.details["wrong"] == "polygon" and finding.details["carriers"] == []


def test_every_coco_bbox_as_corners_is_one_finding_for_the_file(sample_copy):
    plausible.coco_bbox_as_corners(sample_copy)
    [finding] = audit_rules(sample_copy).findings  # was 24 ANN016 and 21 ANN013
    assert finding.rule == "ANN016" and finding.image_id is None
    assert finding.file == "Annotations/COCO JSON/COCO_fracture_masks.json"
    assert ("COCO bbox is written [x1, y1, x2, y2], not [x, y, width, height], in 24 of 24 "
            "annotations") in finding.message
    assert "VGG, YOLO and VOC agree with the polygons" in finding.message
    assert finding.details["pattern"] == "x1y1x2y2" and finding.details["count"] == 24


def test_every_coco_area_in_0_1_units_is_one_finding_for_the_file(sample_copy):
    plausible.normalise_coco_areas(sample_copy)
    [finding] = audit_rules(sample_copy).findings  # was 24 ANN017, each "(0.00x)"
    assert finding.rule == "ANN017" and finding.details["count"] == 24
    assert "COCO area is its polygon's area divided by its image's (0-1 units)" in finding.message


def test_a_wrong_bbox_carried_down_the_chain_lists_every_file_that_carries_it(sample_copy):
    image_id = plausible.move_coco_bbox_down_the_chain(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN016", image_id)
    assert finding.details["wrong"] == "bbox" and finding.details["presumed"]
    assert [c["format"] for c in finding.details["carriers"]] == ["yolo", "voc"]
    assert f"Annotations/YOLO/{image_id[:-4]}.txt" in finding.details["files"]
    assert f"Annotations/PASCAL VOC/{image_id[:-4]}.xml" in finding.details["files"]
    assert ("VGG agrees with the polygon and YOLO and VOC with the bbox (converted from it): "
            "the formats split along the conversion chain") in finding.message


def test_polygons_transposed_in_coco_and_vgg_are_one_finding_naming_both(sample_copy):
    """The COCO bbox, YOLO and VOC are right: fixing the bbox from the polygon, ANN016's old
    advice, would have moved it onto the wrong outline."""
    image_id = plausible.transpose_polygons(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN016", image_id)
    assert finding.details["wrong"] == "polygon" and finding.details["pattern"] == "yx"
    assert "YOLO and VOC agree with the bbox: the polygon is wrong" in finding.message
    assert "VGG (a copy of the polygon) carries the same error" in finding.message
    assert "Annotations/VGG JSON/VGG_fracture_masks.json" in finding.details["files"]


@pytest.mark.parametrize("planter, pattern", [
    (lambda r, i: plausible.transpose_polygons(r, i, formats=("coco",)), "yx"),
    (plausible.normalise_coco_polygon, "normalised"),
    (lambda r, i: plausible.add_stray_part(r, i, away=20), "stray-part"),
    (plausible.move_coco_polygon, None),
], ids=["transposed", "0-1 units", "stray part", "moved"])  # fmt: skip
def test_a_wrong_coco_polygon_is_one_finding_on_coco(sample_copy, planter, pattern):
    """Not also ANN019 against VGG, ANN017 for its area or ANN033 for its mask."""
    image_id = planter(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN016", image_id)
    assert finding.file == "Annotations/COCO JSON/COCO_fracture_masks.json"
    assert finding.details["wrong"] == "polygon" and finding.details["pattern"] == pattern
    assert "VGG, YOLO and VOC agree with the bbox: the polygon is wrong" in finding.message


def test_a_bowtie_in_coco_only_is_one_finding_on_coco_pointing_at_vgg(sample_copy):
    """Not also ANN019 blaming the VGG file, which holds the right outline."""
    image_id = plant.coco_bowtie_polygon(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id, finding.file) == ("ANN012", image_id, COCO_FILE)
    assert "polygon crosses itself at (" in finding.message and "a bow-tie" in finding.message
    assert "its signed area (the shoelace formula's, a COCO `area`'s) is 0.0 px²" in (
        finding.message)  # not "encloses no area": its lobes fill half its box
    assert finding.details["filled_area"] > 0 and finding.details["signed_area"] == 0
    assert "VGG's copy (entry " in finding.message and "is a valid outline" in finding.message


def test_a_bowtie_in_coco_and_vgg_is_one_finding_naming_both(sample_copy):
    image_id = plant.coco_bowtie_polygon(sample_copy, _one(sample_copy), vgg=True)
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id, finding.file) == ("ANN012", image_id, COCO_FILE)
    assert finding.details["formats"] == ["coco", "vgg"]
    assert finding.details["files"] == [COCO_FILE, VGG_FILE]
    assert "VGG's copy (entry " in finding.message and "is the same outline" in finding.message


def test_a_two_point_coco_polygon_is_one_finding_saying_what_pycocotools_does(sample_copy):
    image_id = plant.coco_two_point_polygon(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN011", image_id)
    assert "pycocotools takes a polygon of 4 numbers for a box" in finding.message


def test_a_polygon_written_as_pairs_is_named_so(sample_copy):
    image_id = plant.coco_polygon_as_pairs(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings  # not "a polygon of 1 point(s)" and ANN019
    assert (finding.rule, finding.image_id) == ("ANN011", image_id)
    assert "writes its polygon as" in finding.message and "[x, y] pairs" in finding.message
    assert "flattened, it is VGG's outline" in finding.message


def test_a_moved_vgg_polygon_is_blamed_on_vgg_once(sample_copy):
    image_id = plant.move_vgg_polygon(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN019", image_id)
    assert finding.file == "Annotations/VGG JSON/VGG_fracture_masks.json"
    assert "its bounds alone depart from the boxes of COCO, YOLO and VOC" in finding.message


@pytest.mark.parametrize("every_corner", [False, True], ids=["devkit", "every corner"])
def test_voc_written_1_based_throughout_is_one_note(sample_copy, every_corner):
    """The VOC devkit's 1-based corners (xmin and ymin one pixel more; or every corner) in
    every VOC file: one info naming the convention, and the boxes agree once it is taken
    off (17 of the sample's 24 were ANN018 errors)."""
    plant.one_based_voc(sample_copy, every_corner=every_corner)
    result = audit_rules(sample_copy)
    [finding] = result.findings
    assert (finding.rule, finding.severity.value) == ("ANN038", "info")
    assert finding.file == "Annotations/PASCAL VOC" and finding.details["format"] == "voc"
    assert finding.details["offset"] == ([1, 1, 1, 1] if every_corner else [1, 1, 0, 0])
    assert finding.details["agreeing"] == finding.details["objects"] == 24
    assert "1-based" in finding.message and not result.gates("warning")


def test_a_replica_whose_voc_is_1_based_is_one_note(replica_copy):
    """On the 922 real boxes, the devkit's convention made 662 ANN018 errors."""
    plant.one_based_voc(replica_copy)
    result = run_audit(replica_copy, select=["ANN013", "ANN018", "ANN038"],
                       settings=Settings(workers=2))  # fmt: skip
    [finding] = result.findings
    assert finding.rule == "ANN038" and finding.details["offset"] == [1, 1, 0, 0]
    assert finding.details["agreeing"] == finding.details["objects"] == 922


def test_a_shifted_voc_file_is_one_finding_naming_the_shift(sample_copy):
    plant.shift_voc_boxes(sample_copy, FOUR)
    [finding] = audit_rules(sample_copy).findings  # no ANN013 for the box pushed off the edge
    assert (finding.rule, finding.image_id) == ("ANN018", FOUR)
    assert "every box is shifted by (+20, +0) px (all 4 objects)" in finding.message
    assert finding.details["pattern"] == "shift" and len(finding.details["instances"]) == 4


def test_swapped_yolo_centres_are_one_finding_and_pair_with_the_right_objects(sample_copy):
    plant.swap_yolo_centres(sample_copy, MULTI)
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.file) == ("ANN018", "Annotations/YOLO/IMG0000307.txt")
    assert "cx and cy are swapped (all 3 lines)" in finding.message
    assert "agree with COCO, VGG and VOC" in finding.message


def test_swapped_yolo_centres_carried_into_voc_are_one_finding_on_yolo(sample_copy):
    plant.swap_yolo_centres(sample_copy, MULTI)
    plant.voc_from_yolo(sample_copy, MULTI)
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.file) == ("ANN018", "Annotations/YOLO/IMG0000307.txt")
    assert ("cx and cy are swapped (all 3 lines): read so, its boxes agree with COCO and VGG; "
            in finding.message)
    assert ("VOC (Annotations/PASCAL VOC/IMG0000307.xml, converted from it) carries the same "
            "error") in finding.message
    assert finding.details["files"] == ["Annotations/YOLO/IMG0000307.txt",
                                        "Annotations/PASCAL VOC/IMG0000307.xml"]


def test_a_yolo_file_written_in_pixels_is_one_finding(sample_copy):
    """Every line in pixels: one ANN015 for the file, not a value per line, a box off the image
    per line (ANN013) and a disagreement per line (ANN018); run without ANN015, ANN018 names
    the reading that makes the file agree with the other formats."""
    plant.yolo_in_pixels(sample_copy, MULTI)
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.file) == ("ANN015", "Annotations/YOLO/IMG0000307.txt")
    assert "every one of its 3 lines has values above 1, pixels rather than fractions" in (
        finding.message)
    [reading] = audit_rules(sample_copy, ["ANN018"]).findings
    assert "its values are pixels, not fractions of the image's width and height (all 3 " \
        "lines): read so, its boxes agree with COCO, VGG and VOC" in reading.message


def test_a_yolo_file_normalised_by_another_image_size_says_so(sample_copy):
    plant.normalise_yolo_by(sample_copy, MULTI, (2304, 2880))
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "ANN018" and finding.details["normalised_by"] == [2304, 2880]
    assert "normalised by 2304x2880 (another image size of the release)" in finding.message


def test_count_mismatch_names_the_format_and_both_numbers(sample_copy):
    image_id = plant.remove_instance(sample_copy, _several(sample_copy), "vgg")
    [finding] = findings_of(audit_rules(sample_copy), "CSV003")
    assert finding.message == (
        "fracture_count is 2 but VGG has 1 instance (COCO, YOLO and VOC have 2)")
    assert finding.details["csv"] == 2 and finding.details["vgg"] == 1
    assert finding.details["disagreeing"] == ["vgg"] and finding.image_id == image_id
    # fracture_count and three formats agree: the VGG file is the one to fix.
    assert finding.file == "Annotations/VGG JSON/VGG_fracture_masks.json"
    assert finding.location.startswith("entry ") and finding.details["csv_line"] > 1


def test_a_wrong_fracture_count_is_one_finding_listing_every_format(sample_copy):
    image_id = plausible.fracture_count_plus(sample_copy, _several(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("CSV003", image_id)
    assert finding.message == "fracture_count is 3 but COCO, VGG, YOLO and VOC have 2 instances"
    assert finding.file == "dataset.csv" and finding.location.startswith("line ")
    assert finding.details["disagreeing"] == ["coco", "vgg", "yolo", "voc"]
    assert finding.details["majority"] == 2


def test_a_count_lost_in_yolo_and_voc_is_one_finding_on_yolo(sample_copy):
    image_id = _several(sample_copy)
    plant.remove_instance(sample_copy, image_id, "yolo")
    plant.remove_instance(sample_copy, image_id, "voc")
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("CSV003", image_id)
    assert finding.file == f"Annotations/YOLO/{image_id[:-4]}.txt"
    assert finding.message == (
        "fracture_count is 2 but YOLO and VOC have 1 instance (COCO and VGG have 2)")
    assert f"Annotations/PASCAL VOC/{image_id[:-4]}.xml" in finding.details["files"]


def test_counts_without_a_majority_are_blamed_on_dataset_csv(sample_copy):
    image_id = _several(sample_copy)
    plant.remove_instance(sample_copy, image_id, "vgg")
    plant.remove_instance(sample_copy, image_id, "yolo")
    plant.add_voc_object(sample_copy, image_id)
    [finding] = findings_of(audit_rules(sample_copy), "CSV003")
    # 2 (dataset.csv, COCO), 1 (VGG, YOLO), 3 (VOC): no count has a majority.
    assert finding.file == "dataset.csv" and finding.details["majority"] is None
    assert finding.image_id == image_id and "no majority" in finding.message


def test_truncated_coco_is_one_finding_and_every_other_rule_runs(sample_copy, capsys):
    plant.truncate_coco_file(sample_copy)
    moved = plant.move_yolo_box(sample_copy, _one(sample_copy))
    result = audit_rules(sample_copy)
    [unreadable] = findings_of(result, "ANN001")
    assert unreadable.file == "Annotations/COCO JSON/COCO_fracture_masks.json"
    assert "not valid JSON" in unreadable.message
    # YOLO is now compared with VOC, and the drift is still found.
    [drift] = findings_of(result, "ANN018")
    assert drift.image_id == moved and drift.file == f"Annotations/YOLO/{moved[:-4]}.txt"
    assert drift.details["majority"] == ["vgg", "voc"]  # VGG's bounds vote with VOC
    assert f"Annotations/PASCAL VOC/{moved[:-4]}.xml" in drift.details["files"]
    assert codes(result) == {"ANN001", "ANN018"}
    cli = ["audit", str(sample_copy), "--expect", str(SAMPLE_EXPECTATIONS), "--workers", "1"]
    assert main([*cli, "--ignore", ",".join(NO_STATISTICS)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_an_escaping_file_name_is_reported_and_never_read(sample_copy):
    _escaping_file_name(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy), "ANN006")
    assert "../../../../etc/passwd" in finding.message


def test_one_pixel_of_voc_rounding_raises_nothing(sample_copy):
    plant.round_voc_box(sample_copy, _one(sample_copy))
    assert audit_rules(sample_copy).findings == []


@pytest.mark.parametrize("fmt", ["coco", "vgg"])
@pytest.mark.parametrize("how", ["reversed", "rotated", "closed"])
def test_the_same_outline_written_otherwise_in_one_format_raises_nothing(sample_copy, fmt, how):
    """Every polygon of COCO (or of VGG) with the other winding, another starting vertex or
    its first vertex repeated at the end: the same outlines as the other file's."""
    plant.redraw_polygons(sample_copy, fmt, how)
    assert audit_rules(sample_copy).findings == []


def test_one_closed_polygon_is_the_same_outline(sample_copy):
    plant.redraw_polygons(sample_copy, "coco", "closed", _one(sample_copy))
    assert audit_rules(sample_copy).findings == []


def test_no_yolo_or_voc_files_for_non_fractured_images_raises_nothing(sample_copy):
    plant.delete_non_fractured_yolo_voc(sample_copy)
    yolo_files = list(plant.yolo_path(sample_copy, "x.jpg").parent.glob("*.txt"))
    assert len(yolo_files) == 16 + 1  # the fractured images' files and classes.txt
    assert audit_rules(sample_copy).findings == []


def test_a_missing_format_folder_is_reported_once(sample_copy):
    defects.remove_part(sample_copy, "VGG JSON")
    result = audit_rules(sample_copy)
    assert codes(result) == {"LAY003"}


def test_vgg_project_wrapper_is_accepted(sample_copy):
    path = plant.vgg_path(sample_copy)
    document = json.loads(path.read_text())
    defects.replace_file(path, json.dumps({"_via_img_metadata": document}).encode())
    assert audit_rules(sample_copy).findings == []
