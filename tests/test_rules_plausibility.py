"""ANN030-ANN033: instances implausible against the release's own distribution, objects written
twice, and masks pycocotools rasterises to something else; each planted in a copy of the
sample (and one in the full-size replica, whose distribution is the real release's), reported
once with the distribution as evidence; harmless variants raise nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import defects_annotations as plant
from fixtures import defects_plausibility as plausible
from fracqa.config import Settings
from fracqa.runner import run_audit
from tests.helpers import audit_rules, codes, findings_of, image_with

COCO_FILE = "Annotations/COCO JSON/COCO_fracture_masks.json"
VGG_FILE = "Annotations/VGG JSON/VGG_fracture_masks.json"


def _one(root: Path) -> str:
    return image_with(root, fractured=1, fracture_count=1)


def _several(root: Path) -> str:
    return image_with(root, fractured=1, fracture_count=2)


def _widest(root: Path) -> str:
    """The image whose first instance is the widest (a line across it fills little of it)."""
    document = plant.read_coco(root)
    names = {image["id"]: image["file_name"] for image in document["images"]}
    first: dict[str, float] = {}
    for annotation in document["annotations"]:
        first.setdefault(names[annotation["image_id"]], annotation["bbox"][2])
    return max(first, key=first.get)


# case -> (planter returning the image it names, rule, severity)
PLANTED = {
    "instance over the whole image": (lambda r: plausible.cover_whole_image(r, _one(r)),
                                      "ANN030", "warning"),
    "instance over 30 % of the image": (lambda r: plausible.cover_share(r, _one(r), 0.3),
                                        "ANN030", "warning"),
    "instance shrunk to a 2 px speck": (lambda r: plausible.shrink_to_speck(r, _one(r)),
                                        "ANN030", "warning"),
    "box 120 px long and 1 px high": (lambda r: plausible.flatten_to_line(r, _one(r)), "ANN031",
                                      "warning"),
    "outline drawn as a 1 px line": (lambda r: plausible.outline_as_line(r, _one(r)), "ANN031",
                                     "warning"),
    "object written again half a pixel away in every format": (
        lambda r: plausible.duplicate_instance(r, _one(r), dx=0.5), "ANN032", "warning"),
    "object written again 3 px away in YOLO only": (
        lambda r: plausible.duplicate_instance(r, _one(r), formats=("yolo",), dx=3,
                                               counted=False), "ANN032", "warning"),
    "VGG region pasted again 3 px away": (
        lambda r: plausible.duplicate_instance(r, _one(r), formats=("vgg",), dx=3,
                                               counted=False), "ANN032", "warning"),
    "a smaller copy nested inside, in every format": (
        lambda r: plausible.duplicate_instance(r, _one(r), scale=0.6), "ANN032", "warning"),
    "COCO annotation in normalised coordinates": (
        lambda r: plausible.normalise_coco_annotation(r, _one(r)), "ANN018", "error"),
    "outline between two rows of pixel centres": (
        lambda r: plausible.sliver_between_rows(r, _one(r)), "ANN033", "warning"),
    "outline too thin to rasterise": (
        lambda r: plausible.outline_as_line(r, _one(r), thickness=0.05), "ANN033", "warning"),
    "empty run-length mask": (lambda r: plausible.coco_run_length(r, _one(r)), "ANN033",
                              "warning"),
    "run-length mask away from its box": (
        lambda r: plausible.coco_run_length(r, _one(r), kind="elsewhere"), "ANN033", "warning"),
    "run-length mask of another size": (
        lambda r: plausible.coco_run_length(r, _one(r), kind="smaller"), "ANN033", "warning"),
    "run-length mask that does not decode": (
        lambda r: plausible.coco_run_length(r, _one(r), kind="broken"), "ANN002", "error"),
    "YOLO and VOC moved together": (lambda r: plausible.move_yolo_and_voc(r, _one(r)),
                                    "ANN018", "error"),
    "COCO polygon moved, its bbox not": (lambda r: plausible.move_coco_polygon(r, _one(r)),
                                         "ANN016", "error"),
    "fracture_count one too many": (lambda r: plausible.fracture_count_plus(r, _several(r)),
                                    "CSV003", "error"),
}  # fmt: skip


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_plausibility_defect_is_reported_once_naming_the_image(case, sample_copy):
    planter, code, severity = PLANTED[case]
    image_id = planter(sample_copy)
    result = audit_rules(sample_copy)
    assert not [f for f in result.findings if "could not finish" in f.message]
    [found] = findings_of(result, code)
    assert found.severity.value == severity and found.image_id == image_id
    assert found.file, "a finding names the file to open"


def test_an_implausible_size_shows_the_release_distribution(sample_copy):
    image_id = plausible.cover_whole_image(sample_copy, _one(sample_copy))
    result = audit_rules(sample_copy)
    [finding] = result.findings  # one object, one finding, though all four formats hold it
    assert (finding.rule, finding.image_id, finding.file) == ("ANN030", image_id, COCO_FILE)
    assert finding.details["formats"] == ["coco", "vgg", "yolo", "voc"]
    assert len(finding.details["files"]) == 4
    release = finding.details["release"]
    assert release["instances"] == 24 and release["percentile"] == 100.0
    assert release["limits_pct"][1] >= 10.0 and finding.details["share_pct"] > 95
    assert release["share_pct"]["median"] < 1 and release["robust_deviations"] > 4.5
    assert "covers 97" in finding.message or "covers 98" in finding.message
    assert "the release's other instances cover" in finding.message
    assert not result.gates("error")


def test_a_speck_is_implausibly_small(sample_copy):
    plausible.shrink_to_speck(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "ANN030" and "under 0.01 % is implausible" in finding.message
    assert finding.details["release"]["percentile"] == round(100 / 24, 1)  # the smallest


def test_an_elongated_box_and_a_line_outline_are_implausible_shapes(sample_copy):
    line = plausible.flatten_to_line(sample_copy, _one(sample_copy))
    thin = plausible.outline_as_line(sample_copy, _widest(sample_copy))
    result = audit_rules(sample_copy)
    by_image = {f.image_id: f for f in findings_of(result, "ANN031")}
    assert set(by_image) == {line, thin} and codes(result) == {"ANN031"}
    assert by_image[line].details["aspect"]["width_to_height"] == 120
    assert "120:1" in by_image[line].message
    assert by_image[thin].details["fill"]["fill_pct"] < 5
    assert "a line or a sliver" in by_image[thin].message
    assert by_image[thin].details["fill"]["release_fill_pct"]["median"] > 30


def test_an_object_written_twice_everywhere_is_one_finding(sample_copy):
    image_id = plausible.duplicate_instance(sample_copy, _one(sample_copy), dx=0.5)
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id, finding.file) == ("ANN032", image_id, COCO_FILE)
    assert finding.details["formats"] == ["coco", "vgg", "yolo", "voc"]
    assert finding.details["iou"] >= 0.95 and finding.details["measured_on"] == "outlines"
    assert "written twice" in finding.message
    assert finding.details["first"]["location"] != finding.location
    assert finding.details["release"]["largest_other_iou"] < 0.5


def test_an_exact_copy_is_duplicate_instance_in_each_format_not_an_overlap(sample_copy):
    image_id = plausible.duplicate_instance(sample_copy, _one(sample_copy), formats=("vgg",),
                                            counted=False)  # fmt: skip
    result = audit_rules(sample_copy)
    [copy] = findings_of(result, "ANN029")
    assert (copy.image_id, copy.file) == (image_id, VGG_FILE)
    assert not findings_of(result, "ANN032")


def test_a_duplicate_in_one_format_is_blamed_on_that_format(sample_copy):
    image_id = plausible.duplicate_instance(sample_copy, _one(sample_copy), formats=("yolo",),
                                            dx=3, counted=False)  # fmt: skip
    [duplicate] = audit_rules(sample_copy).findings  # not also CSV003 on the same file
    assert duplicate.rule == "ANN032" and duplicate.file == f"Annotations/YOLO/{image_id[:-4]}.txt"
    assert duplicate.location == "line 2" and duplicate.details["formats"] == ["yolo"]
    assert duplicate.message.endswith(
        "fracture_count is 1, as COCO, VGG and VOC have: without the overlapping instance, "
        "YOLO agrees with it")


@pytest.mark.parametrize("dx", [0, 3], ids=["exact", "3 px off"])
def test_an_object_written_twice_everywhere_but_counted_once_is_one_finding(sample_copy, dx):
    """The exporter wrote the object twice in every format; dataset.csv counts it once and is
    right: no CSV003 telling to raise fracture_count, and one finding naming every format (an
    exact copy's with what each format's readers do with it)."""
    image_id = plausible.duplicate_instance(sample_copy, _one(sample_copy), dx=dx,
                                            counted=False)  # fmt: skip
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id, finding.file) == (
        ("ANN029" if dx == 0 else "ANN032"), image_id, COCO_FILE)
    assert finding.details["formats"] == ["coco", "vgg", "yolo", "voc"]
    assert "fracture_count is 1: without the copies, COCO, VGG, YOLO and VOC agree with it" in (
        finding.message) or "without the overlapping instances" in finding.message
    if dx == 0:
        assert "ultralytics drops the repeated YOLO line" in finding.message
        assert "pycocotools and COCOeval load both COCO annotations" in finding.message
        assert finding.message.count("ultralytics") == 1


def test_a_stray_two_point_instance_is_one_finding_not_a_count(sample_copy):
    """A stray click written as a two-point polygon in COCO and VGG and converted into YOLO
    and VOC boxes: the formats count one instance more than dataset.csv, because of it."""
    image_id = plausible.add_stray_click(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings  # not CSV003 blaming dataset.csv
    assert (finding.rule, finding.image_id, finding.file) == ("ANN011", image_id, COCO_FILE)
    assert "without this instance, COCO, VGG, YOLO and VOC agree with it" in finding.message
    assert "it is an extra instance" in finding.message
    assert f"Annotations/YOLO/{image_id[:-4]}.txt" in finding.details["files"]
    assert finding.details["formats"] == ["coco", "vgg"]


def test_a_pasted_polygon_slightly_moved_is_a_heavy_overlap(sample_copy):
    plausible.duplicate_instance(sample_copy, _one(sample_copy), formats=("vgg",), dx=3,
                                 counted=False)  # fmt: skip
    [finding] = findings_of(audit_rules(sample_copy), "ANN032")
    assert finding.file == VGG_FILE and "heavily overlapping" in finding.message
    assert 0.5 <= finding.details["iou"] < 0.95


def test_an_outline_nested_in_its_copy_is_a_heavy_overlap(sample_copy):
    image_id = plausible.duplicate_instance(sample_copy, _one(sample_copy), scale=0.6)
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id, finding.file) == ("ANN032", image_id, COCO_FILE)
    assert finding.details["iou"] < 0.5 and finding.details["inside"] > 0.9
    assert "lies inside the other" in finding.message


def test_an_empty_mask_says_what_pycocotools_makes_of_it(sample_copy):
    """A strip 0.3 px high between two rows of pixel centres, in every format: one finding
    (not also its elongation, its tiny share of the image, or VOC's box of no height, which
    only rounds what it was given)."""
    image_id = plausible.sliver_between_rows(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id, finding.file) == ("ANN033", image_id, COCO_FILE)
    assert finding.details["mask_area"] == 0 and finding.details["polygon_area"] > 0
    assert "empty mask" in finding.message and "its box is also 400:1" in finding.message
    assert finding.details["release"]["mask_to_polygon_area"]["median"] == pytest.approx(1, 0.05)


def test_a_coco_annotation_in_normalised_units_is_one_finding(sample_copy):
    """Its polygon, bbox and area in 0-1 units: its box is outvoted, and its mask (empty at
    the image's size) is not reported again."""
    image_id = plausible.normalise_coco_annotation(sample_copy, _one(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id, finding.file) == ("ANN018", image_id, COCO_FILE)
    assert finding.details["odd"] == ["coco"] and finding.details["pattern"] == "normalised"
    assert "are in 0-1 units" in finding.message


def test_an_outline_too_thin_to_rasterise_is_a_mask_finding_only(sample_copy):
    image_id = plausible.outline_as_line(sample_copy, _one(sample_copy), thickness=0.05)
    [finding] = audit_rules(sample_copy).findings  # not also a line-shaped outline (ANN031)
    assert (finding.rule, finding.image_id, finding.file) == ("ANN033", image_id, COCO_FILE)
    x0, y0, x1, y1 = finding.details["box"]
    assert finding.details["mask_area"] < 0.05 * (x1 - x0) * (y1 - y0)
    assert "the mask and the box mark different places" in finding.message


def test_run_length_masks_are_rasterised_too(sample_copy):
    elsewhere = plausible.coco_run_length(sample_copy, _one(sample_copy), kind="elsewhere")
    smaller = plausible.coco_run_length(sample_copy, _several(sample_copy), kind="smaller")
    result = audit_rules(sample_copy)
    by_image = {f.image_id: f for f in findings_of(result, "ANN033")}
    assert set(by_image) == {elsewhere, smaller}
    assert codes(result) == {"ANN033", "ANN021"}  # ANN021: RLE where the release has polygons
    assert "bounds" in by_image[elsewhere].message and by_image[elsewhere].details["mask_area"]
    assert by_image[smaller].details["rle_size"] == [227, 186]


# ------------------------------------------------------------------------ harmless variants


def test_two_crossing_fracture_lines_are_not_duplicates(sample_copy):
    plausible.crossing_lines(sample_copy, _several(sample_copy))
    assert audit_rules(sample_copy).findings == []


def test_real_sizes_and_shapes_raise_nothing(sample_copy):
    """A box of 8x9 px (the release has eleven under 10 px), one over 9 % of its image, one
    7 times as tall as wide and one 2 px from another's copy but clear of it."""
    one, several = _one(sample_copy), _several(sample_copy)
    x0, y0, _, _ = plausible.instance_bounds(sample_copy, one)
    plausible.set_instance(sample_copy, one, 0, plausible.octagon(x0, y0, x0 + 8, y0 + 9))
    plausible.cover_share(sample_copy, several, 0.09)
    x0, y0, _, _ = plausible.instance_bounds(sample_copy, several, 1)
    plausible.set_instance(sample_copy, several, 1,
                           plausible.octagon(x0, y0, x0 + 10, y0 + 70, 0.1))  # fmt: skip
    assert audit_rules(sample_copy).findings == []


def test_voc_rounded_one_pixel_and_vgg_one_pixel_off_raise_nothing(sample_copy):
    """The release's own rounding in opposite directions: VOC one pixel one way, the VGG
    polygon's extent one pixel the other; every format still agrees on the box."""
    image_id = _one(sample_copy)
    plant.round_voc_box(sample_copy, image_id)
    plant.move_vgg_polygon(sample_copy, image_id, dx=-1)
    assert audit_rules(sample_copy).findings == []


def test_a_replica_judges_by_the_real_distribution(replica_copy):
    """The 922 real box sizes: a box over a fifth of its image is far outside them."""
    image_id = plausible.cover_share(replica_copy, "IMG0000019.jpg", 0.2)
    result = run_audit(replica_copy, select=["ANN030", "ANN031", "ANN032"],
                       settings=Settings(workers=2))  # fmt: skip
    [finding] = result.findings
    assert (finding.rule, finding.image_id) == ("ANN030", image_id)
    release = finding.details["release"]
    assert release["instances"] == 922 and 3 < release["share_pct"]["99%"] < 6.5
    assert 10 <= release["limits_pct"][1] < 20 and release["percentile"] == 100.0

