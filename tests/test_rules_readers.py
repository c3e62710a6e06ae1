"""What a loader could repair silently is reported (CSV013-CSV016, SPL007-SPL009, ANN020-ANN024),
and so is structure a reader trips over (ANN025-ANN029, IMG015-IMG016, LAY008-LAY009, ANN006 for
every format); the harmless variants real exports produce raise nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fixtures import defects, defects_annotations
from fixtures import defects_structure as plant
from fixtures.defects_images import split_ids
from tests.helpers import audit_rules, audit_sample, codes, findings_of, image_with

COCO_FILE = "Annotations/COCO JSON/COCO_fracture_masks.json"
VGG_FILE = "Annotations/VGG JSON/VGG_fracture_masks.json"


ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _one(root: Path) -> str:
    return image_with(root, fractured=1, fracture_count=1)


def _two(root: Path) -> str:
    return image_with(root, fractured=1, fracture_count=2)


def _negative(root: Path) -> str:
    return image_with(root, fractured=0)


def _then(planter, result):
    """Run `planter`, then return `result` (what the finding names) instead of its own."""
    def planted(root: Path):
        planter(root)
        return result

    return planted


# case -> (planter returning the image id or file the finding names, rule, severity)
PLANTED = {
    "image_id with a trailing space": (
        lambda r: plant.csv_padded_image_id(r, _negative(r)), "CSV013", "error"),
    "header name with a leading space": (plant.csv_padded_header, "CSV013", "error"),
    "image_id with a trailing tab": (
        lambda r: plant.csv_padded_image_id(r, _one(r), f"{_one(r)}\t"), "CSV013", "error"),
    "image_id with a leading no-break space": (
        lambda r: plant.csv_padded_image_id(r, _two(r), f"\u00a0{_two(r)}"), "CSV013", "error"),
    "image_id with a zero-width space": (
        lambda r: plant.csv_padded_image_id(r, _one(r), f"{_one(r)}\u200b"), "CSV013", "error"),
    "image_id with Arabic-Indic digits": (
        lambda r: plant.csv_padded_image_id(r, _two(r), _two(r).translate(ARABIC_DIGITS)),
        "CSV004", "error"),
    "header name in another case": (
        lambda r: plant.csv_header_name(r, "image_id", "Image_ID"), "CSV002", "error"),
    "header ending with a comma": (plant.csv_trailing_comma, "CSV002", "error"),
    "every row ending with a comma": (
        lambda r: plant.csv_trailing_comma(r, on_header=False, on_rows=True), "CSV012",
        "error"),
    "a row short of its last field": (lambda r: plant.csv_short_row(r, _two(r)), "CSV012",
                                      "error"),
    "dataset.csv separated by tabs": (lambda r: plant.csv_separator(r, "\t"), "CSV001",
                                      "error"),
    "header repeated among the rows": (lambda r: plant.csv_repeated_header(r, _one(r)),
                                       "CSV017", "error"),
    "fracture_count written 2.0": (
        lambda r: plant.csv_cell(r, _two(r), "fracture_count", "2.0"), "CSV014", "error"),
    "fractured written ' 1'": (
        lambda r: plant.csv_cell(r, _one(r), "fractured", " 1"), "CSV015", "warning"),
    "fracture_count written 01": (
        lambda r: plant.csv_cell(r, _one(r), "fracture_count", "01"), "CSV015", "warning"),
    "a row of empty cells": (
        lambda r: plant.csv_empty_row(r, _negative(r)), "CSV016", "error"),
    "train id with a trailing space": (
        lambda r: plant.split_padded_id(r, split_ids(r, "train")[0], "train"), "SPL007",
        "error"),
    "train id followed by a form feed": (
        lambda r: plant.split_padded_id(r, split_ids(r, "train")[1], "train",
                                        f"{split_ids(r, 'train')[1]}\x0c"), "SPL007", "error"),
    "valid id followed by U+2028": (
        lambda r: plant.split_padded_id(r, split_ids(r, "valid")[0], "valid",
                                        f"{split_ids(r, 'valid')[0]}\u2028"), "SPL007", "error"),
    "a split file with a second column": (lambda r: plant.split_second_column(r, "train"),
                                          "SPL010", "warning"),
    "split header with a trailing space": (
        lambda r: _then(lambda r: plant.split_padded_id(r, "image_id", "test"),
                        "Utilities/Fracture Split/test.csv")(r), "SPL007", "error"),
    "valid.csv with a byte-order mark": (lambda r: plant.split_with_bom(r, "valid"), "SPL008",
                                         "warning"),
    "test id followed by a second field": (
        lambda r: plant.split_extra_field(r, split_ids(r, "test")[0], "test"), "SPL009",
        "error"),
    "COCO file with a byte-order mark": (plant.coco_with_bom, "ANN020", "error"),
    "COCO area written NaN": (
        lambda r: _then(lambda r: plant.coco_nan_area(r, _one(r)), COCO_FILE)(r), "ANN020",
        "error"),
    "VGG entry key written twice": (
        lambda r: _then(lambda r: plant.vgg_repeated_entry_key(r, _one(r)), VGG_FILE)(r),
        "ANN020", "error"),
    "COCO bbox key written twice": (
        lambda r: _then(lambda r: plant.coco_repeated_key(r, _one(r)), COCO_FILE)(r), "ANN020",
        "error"),
    "YOLO file with a byte-order mark": (lambda r: plant.yolo_with_bom(r, _one(r)), "ANN020",
                                         "error"),
    "YOLO class written 0.0": (lambda r: plant.yolo_class_as_float(r, _two(r)), "ANN022",
                               "error"),
    "YOLO lines parted by U+2028": (lambda r: plant.yolo_line_separator(r, _two(r)), "ANN024",
                                    "error"),
    "YOLO comment line": (lambda r: plant.yolo_comment_line(r, _two(r)), "ANN002", "error"),
    "YOLO polygon among boxes": (lambda r: plant.yolo_polygon_line(r, _two(r)), "ANN002",
                                 "error"),
    "VGG region written as a rect": (lambda r: plant.vgg_rect(r, _one(r)), "ANN021", "error"),
    "COCO polygon replaced by an RLE mask": (lambda r: plant.coco_rle_mask(r, _one(r)),
                                             "ANN021", "error"),
    "VOC object with two bndbox": (lambda r: plant.voc_second_bndbox(r, _one(r)), "ANN021",
                                   "error"),
    "COCO bbox written as strings": (lambda r: plant.coco_bbox_as_strings(r, _one(r)), "ANN022",
                                     "error"),
    "VGG points written as strings": (lambda r: plant.vgg_points_as_strings(r, _one(r)),
                                      "ANN022", "error"),
    "VOC xmin written 12.0": (lambda r: plant.voc_decimal_corner(r, _one(r)), "ANN022", "error"),
    "COCO width written 373.0": (lambda r: plant.coco_size_as_float(r, _one(r)), "ANN023",
                                 "warning"),
    "VOC name with spaces": (lambda r: plant.voc_padded_text(r, _one(r), "name"), "ANN024",
                             "error"),
    "VOC filename with spaces": (lambda r: plant.voc_padded_text(r, _negative(r), "filename"),
                                 "ANN024", "error"),
    "YOLO line of spaces between boxes": (lambda r: plant.yolo_line_of_spaces(r, _two(r)),
                                          "ANN024", "error"),
    "classes.txt with a blank first line": (plant.yolo_classes_blank_first_line, "ANN024",
                                            "error"),
    "COCO annotation without iscrowd": (lambda r: plant.coco_without_key(r, _two(r)), "ANN002",
                                        "error"),
    "COCO annotation without area": (lambda r: plant.coco_without_key(r, _one(r), "area"),
                                     "ANN002", "error"),
    "COCO width written as a string": (lambda r: plant.coco_size_as_string(r, _two(r)),
                                       "ANN002", "error"),
    "VOC objects without difficult": (lambda r: plant.voc_without_element(r, _two(r)),
                                      "ANN002", "error"),
    "VOC objects without pose": (lambda r: plant.voc_without_element(r, _one(r), "pose"),
                                 "ANN002", "error"),
    "COCO annotation marked ignore": (lambda r: plant.coco_ignore_flag(r, _one(r)), "ANN034",
                                      "warning"),
    "COCO ids written as strings": (plant.coco_ids_as_strings, "ANN035", "warning"),
    "VGG entry keyed by another image's name": (
        lambda r: plant.vgg_key(r, _one(r), f"{_negative(r)}7356"), "ANN036", "warning"),
    "VGG entry stating another size": (lambda r: plant.vgg_size(r, _one(r)), "ANN037", "info"),
    "COCO file_name with its folder": (lambda r: plant.coco_folder_in_file_name(r, _one(r)),
                                       "ANN025", "error"),
    "COCO annotation id 0": (lambda r: plant.coco_annotation_id_zero(r, _one(r)), "ANN026",
                             "warning"),
    "COCO image listed twice": (lambda r: plant.coco_second_image_entry(r, _two(r)), "ANN027",
                                "error"),
    "COCO category listed twice": (plant.coco_repeated_category, "ANN027", "error"),
    "COCO iscrowd 1": (lambda r: plant.coco_crowd(r, _one(r)), "ANN028", "error"),
    "COCO iscrowd '0' (a string)": (lambda r: plant.coco_crowd(r, _one(r), "0"), "ANN028",
                                    "error"),
    "VOC difficult 1": (lambda r: plant.voc_difficult(r, _one(r)), "ANN028", "error"),
    "YOLO line written twice": (lambda r: plant.yolo_repeated_line(r, _one(r)), "ANN029",
                                "error"),
    "VOC file of an unknown image, not XML": (plant.voc_unreadable_for_unknown_image, "ANN006",
                                              "error"),
    "image beside its lower-case twin": (lambda r: plant.case_twin(r, _negative(r)), "IMG015",
                                         "error"),
    "image replaced by a symbolic link": (lambda r: plant.link_image(r, _negative(r)), "IMG016",
                                          "error"),
    "image replaced by a hard link": (lambda r: plant.link_image(r, _negative(r), hard=True),
                                      "IMG016", "error"),
    "images/Fractured spelled fractured": (
        lambda r: plant.rename_part(r, Path("images/Fractured"), "fractured"), "LAY008",
        "error"),
    "train.csv spelled Train.csv": (
        lambda r: plant.rename_part(r, Path("Utilities/Fracture Split/train.csv"), "Train.csv"),
        "LAY008", "error"),
    "YOLO file named .TXT": (lambda r: plant.yolo_suffix_upper_case(r, _negative(r)), "LAY008",
                             "error"),
    "COCO file named .JSON": (
        lambda r: plant.rename_part(r, Path(COCO_FILE), "COCO_fracture_masks.JSON"), "LAY008",
        "error"),
    "a stray copy of dataset.csv": (plant.stray_root_file, "LAY009", "info"),
    "a stale copy beside the COCO file": (plant.stale_json_copy, "LAY006", "warning"),
    "a stale copy beside the VGG file": (lambda r: plant.stale_json_copy(r, "vgg"), "LAY006",
                                         "warning"),
    "a .TXT copy beside a YOLO file": (lambda r: plant.label_file_twin(r, _two(r)), "LAY008",
                                       "error"),
    "a .XML copy beside a VOC file": (lambda r: plant.label_file_twin(r, _one(r), "voc"),
                                      "LAY008", "error"),
    "a sub-folder of YOLO files": (
        lambda r: _then(lambda r: (r / "Annotations/YOLO/old").mkdir(), "Annotations/YOLO/old/")(r),
        "LAY009", "info"),
}  # fmt: skip


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_defect_is_one_finding_naming_what_it_concerns(case, sample_copy):
    planter, code, severity = PLANTED[case]
    named = planter(sample_copy)
    result = audit_rules(sample_copy)
    found = findings_of(result, code)
    assert len(found) == 1, result.findings
    assert found[0].severity.value == severity
    linked = found[0].details.get("same_file_as", "")  # a hard link has no first name
    assert named in (found[0].image_id, found[0].file, linked.rsplit("/")[-1]), found[0]
    assert found[0].file, "a finding names the file to open"


@pytest.mark.parametrize(("case", "alone"), [
    ("image_id with a trailing space", {"CSV013"}),
    ("image_id with a zero-width space", {"CSV013"}),
    ("image_id with Arabic-Indic digits", {"CSV004"}),
    ("header name in another case", {"CSV002"}),
    ("header ending with a comma", {"CSV002"}),
    ("every row ending with a comma", {"CSV012"}),
    ("a row short of its last field", {"CSV012"}),
    ("header repeated among the rows", {"CSV017"}),
    ("header name with a leading space", {"CSV013"}),
    ("fractured written ' 1'", {"CSV015"}),
    ("a row of empty cells", {"CSV016"}),
    ("train id with a trailing space", {"SPL007"}),
    ("train id followed by a form feed", {"SPL007"}),
    ("valid id followed by U+2028", {"SPL007"}),
    ("a split file with a second column", {"SPL010"}),
    ("COCO file with a byte-order mark", {"ANN020"}),
    ("VGG entry key written twice", {"ANN020"}),
    ("COCO bbox key written twice", {"ANN020"}),
    ("YOLO file with a byte-order mark", {"ANN020"}),
    ("YOLO class written 0.0", {"ANN022"}),
    ("YOLO lines parted by U+2028", {"ANN024"}),
    ("YOLO comment line", {"ANN002"}),
    ("YOLO polygon among boxes", {"ANN002"}),
    ("COCO bbox written as strings", {"ANN022"}),
    ("COCO annotation without iscrowd", {"ANN002"}),
    ("COCO width written as a string", {"ANN002"}),
    ("VOC objects without difficult", {"ANN002"}),
    ("COCO annotation marked ignore", {"ANN034"}),
    ("COCO ids written as strings", {"ANN035"}),
    ("VGG entry stating another size", {"ANN037"}),
    ("VGG entry keyed by another image's name", {"ANN036"}),
    ("VOC name with spaces", {"ANN024"}),
    ("VOC filename with spaces", {"ANN024"}),
    ("COCO iscrowd 1", {"ANN028"}),
    ("VOC difficult 1", {"ANN028"}),
    ("train.csv spelled Train.csv", {"LAY008"}),
    ("YOLO file named .TXT", {"LAY008"}),
    ("COCO file named .JSON", {"LAY008"}),
    ("a stale copy beside the COCO file", {"LAY006"}),
    ("a stale copy beside the VGG file", {"LAY006"}),
    ("a .TXT copy beside a YOLO file", {"LAY008"}),
    ("a .XML copy beside a VOC file", {"LAY008"}),
])  # fmt: skip
def test_what_fracqa_repaired_is_reported_once_and_not_again_as_its_consequences(case, alone,
                                                                                 sample_copy):
    """fracqa reads through the repair, so the rest of the release is still checked and the
    defect is one finding, not also every finding a plain reader's misreading would cause."""
    PLANTED[case][0](sample_copy)
    assert codes(audit_rules(sample_copy)) == alone


@pytest.mark.parametrize("case", ["header name in another case", "header ending with a comma",
                                  "every row ending with a comma",
                                  "a row short of its last field"])  # fmt: skip
def test_a_csv_read_through_is_one_finding_with_the_statistics_too(case, sample_copy):
    """Every row is still read, so no image loses its labels and no published figure moves."""
    PLANTED[case][0](sample_copy)
    result = audit_sample(sample_copy)
    assert [f.rule for f in result.findings] == [PLANTED[case][1]], result.findings


@pytest.mark.parametrize(("case", "words"), [
    ("image_id with a zero-width space", ["U+200B", "\\u200b", "pandas.read_csv keeps it"]),
    ("image_id with Arabic-Indic digits", ["arabic-indic digits", "not ASCII"]),
    ("header name in another case", ["'Image_ID'", "only in case", "KeyError"]),
    ("header ending with a comma", ["column 14", "'Unnamed: 13'"]),
    ("every row ending with a comma", ["every row has 14 fields", "as the index",
                                       "df['image_id'] holds what the header calls 'hand'"]),
    ("a row short of its last field", ["12 fields", "oblique with NaN"]),
    ("dataset.csv separated by tabs", ["separates its fields with tabs", "KeyError"]),
    ("header repeated among the rows", ["repeats the header row", "matches no row"]),
])  # fmt: skip
def test_a_csv_finding_says_what_pandas_makes_of_it(case, words, sample_copy):
    _assert_says(case, words, sample_copy)


def _assert_says(case: str, words: list[str], root) -> None:
    """Plant PLANTED[case]: its one finding of its rule holds every one of `words`."""
    planter, code, _ = PLANTED[case]
    planter(root)
    [finding] = findings_of(audit_rules(root), code)
    for word in words:
        assert word in finding.message, finding.message


def test_rows_of_different_causes_are_one_csv012_finding_per_cause(sample_copy):
    """Two rows short of their last field are one finding naming both lines; a row with an
    extra field that is not empty keeps only its image_id, and pandas fails on the file."""
    short = [_one(sample_copy), _two(sample_copy)]
    for image_id in short:
        plant.csv_short_row(sample_copy, image_id)
    negative = _negative(sample_copy)
    plant.csv_cell(sample_copy, negative, "oblique", "0,1")
    lines = (sample_copy / "dataset.csv").read_text().splitlines()
    lines = [line.replace('"0,1"', "0,1") for line in lines]
    (sample_copy / "dataset.csv").write_text("\n".join(lines) + "\n")
    result = audit_rules(sample_copy)
    assert codes(result) == {"CSV012"}
    by_count = {f.details["count"]: f for f in findings_of(result, "CSV012")}
    assert sorted(by_count) == [1, 2] and by_count[2].image_id is None
    assert len(by_count[2].details["lines"]) == 2
    assert by_count[1].image_id == negative and "fails on the whole file" in by_count[1].message
    assert "only its image_id" in by_count[1].message


def test_a_line_of_a_no_break_space_is_a_row_for_pandas(sample_copy):
    """pandas skips lines of spaces and tabs only: a no-break space alone is a row to it."""
    path = sample_copy / "dataset.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:3], "\u00a0", *lines[3:]]) + "\n")
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "CSV016" and finding.location == "line 4"


@pytest.mark.parametrize("case", ["train id followed by a form feed",
                                  "valid id followed by U+2028"])  # fmt: skip
def test_a_split_line_ends_at_cr_and_lf_only(case, sample_copy):
    """str.splitlines() would end the line at the character and read a clean id: pandas and
    the csv module keep it in the id, which then matches no image."""
    planter, code, _ = PLANTED[case]
    image_id = planter(sample_copy)
    [finding] = audit_rules(sample_copy).findings
    assert finding.image_id == image_id and finding.details["written"] != image_id
    assert finding.details["written"].strip() == image_id
    assert repr(finding.details["written"]) in finding.message


def test_a_split_line_of_a_no_break_space_is_an_id_for_pandas(sample_copy):
    path = sample_copy / "Utilities/Fracture Split/test.csv"
    lines = path.read_text().splitlines()
    defects.replace_file(path, "\n".join([lines[0], "\u00a0", *lines[1:]]).encode() + b"\n")
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.location, finding.image_id) == ("SPL007", "line 2", None)


def test_a_padded_image_id_says_what_pandas_reads(sample_copy):
    image_id = plant.csv_padded_image_id(sample_copy, _negative(sample_copy))
    [finding] = findings_of(audit_rules(sample_copy), "CSV013")
    assert repr(f"{image_id} ") in finding.message and "pandas.read_csv" in finding.message
    assert finding.location.startswith("line ") and finding.details["written"] == f"{image_id} "


def test_padded_numbers_are_one_finding_per_column_naming_every_line(sample_copy):
    images = [image_with(sample_copy, fractured=0), _one(sample_copy), _two(sample_copy)]
    for image_id in images:
        plant.csv_cell(sample_copy, image_id, "hand", " " + defects.CsvText.read(sample_copy)
                       .rows[defects.CsvText.read(sample_copy).row_index(image_id)][1])
    [finding] = findings_of(audit_rules(sample_copy), "CSV015")
    assert finding.details["column"] == "hand" and finding.details["count"] == 3
    assert len(finding.details["lines"]) == 3 and finding.image_id is None


def test_a_repeated_vgg_key_says_which_value_json_load_dropped(sample_copy):
    image_id = _one(sample_copy)
    plant.vgg_repeated_entry_key(sample_copy, image_id)
    [finding] = findings_of(audit_rules(sample_copy), "ANN020")
    assert image_id in finding.message and "twice" in finding.message
    assert "keep the last" in finding.message and finding.location == "the top-level object"


def test_a_repeated_coco_key_is_located_at_its_annotation(sample_copy):
    plant.coco_repeated_key(sample_copy, _one(sample_copy))
    [finding] = findings_of(audit_rules(sample_copy), "ANN020")
    assert finding.location.startswith("annotations[") and "'bbox'" in finding.message


def test_nan_is_located_on_its_line(sample_copy):
    plant.coco_nan_area(sample_copy, _one(sample_copy))
    [finding] = findings_of(audit_rules(sample_copy), "ANN020")
    assert "NaN" in finding.message and finding.location == "line 1"


def test_a_yolo_byte_order_mark_says_the_trainer_drops_the_file(sample_copy):
    image_id = plant.yolo_with_bom(sample_copy, _one(sample_copy))
    [finding] = findings_of(audit_rules(sample_copy), "ANN020")
    assert finding.image_id == image_id and "\\ufeff0" in finding.message


@pytest.mark.parametrize(("case", "words"), [
    ("YOLO class written 0.0", ["'0.0'", "and 1 more line", "darknet",
                                "shifted values from box 1 of 2"]),
    ("YOLO lines parted by U+2028", ["U+2028 line separator", "darknet",
                                     "stops reading after 1 of the file's 2 boxes"]),
    ("YOLO comment line", ["line 1 is a comment", "ultralytics", "as corrupt",
                           "darknet stops reading after 0 of the file's 2 boxes"]),
    ("YOLO polygon among boxes", ["line 1 is a polygon of 4 points",
                                  "every line as a polygon", "box line 2 becomes"]),
])  # fmt: skip
def test_a_yolo_finding_says_what_the_trainers_make_of_the_file(case, words, sample_copy):
    _assert_says(case, words, sample_copy)


def test_lines_that_are_no_box_are_one_finding_for_the_file(sample_copy):
    """Every line of the file with a sixth field (predictions exported as labels): one
    finding naming every line, since ultralytics drops the file whole."""
    image_id = _two(sample_copy)
    path = defects_annotations.yolo_path(sample_copy, image_id)
    lines = path.read_text().splitlines()
    defects.replace_file(path, "".join(f"{line} 0.91\n" for line in lines).encode())
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN002", image_id)
    assert finding.details["lines"] == [1, 2] and "as corrupt" in finding.message


@pytest.mark.parametrize("separator", ["\x0c", "\x0b", "\r\n\x0c"])
def test_a_form_feed_or_vertical_tab_between_yolo_boxes_is_harmless(separator, sample_copy):
    """Both ultralytics (str.splitlines) and darknet (fscanf) take them as white space between
    two boxes: nothing to report."""
    plant.yolo_line_separator(sample_copy, _two(sample_copy), separator)
    assert audit_rules(sample_copy).findings == []


def test_a_vertical_tab_inside_a_yolo_box_breaks_it_for_ultralytics_only(sample_copy):
    """str.splitlines() ends the line in the middle of the box (ultralytics drops the file);
    darknet reads a space: one finding, and the box still counts once."""
    image_id = _one(sample_copy)
    path = defects_annotations.yolo_path(sample_copy, image_id)
    defects.replace_file(path, path.read_bytes().replace(b" ", b"\x0b", 1))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN024", image_id)
    assert "U+000B" in finding.message and "in the middle of a box" in finding.message
    assert "darknet reads it as a space" in finding.message


def test_annotations_coco_eval_cannot_evaluate_are_one_finding_for_the_file(sample_copy):
    images = [_one(sample_copy), _two(sample_copy)]
    plant.coco_without_key(sample_copy, images[0], "iscrowd")
    plant.coco_without_key(sample_copy, images[1], "area")
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "ANN002" and finding.file == COCO_FILE
    assert finding.details["count"] == 2 and sorted(finding.details["images"]) == sorted(images)
    assert "no 'area' or no 'iscrowd'" in finding.message and "COCOeval" in finding.message


def test_coco_ids_written_as_strings_still_match_each_other(sample_copy):
    """pycocotools indexes them as written: every annotation still finds its image, so no
    annotation dangles and no image is left without its instances."""
    plant.coco_ids_as_strings(sample_copy)
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "ANN035" and finding.details["count"] > 40
    assert "images.id, annotations.id, annotations.image_id, categories.id" in finding.message


def test_one_coco_image_id_written_as_a_string_leaves_its_annotations_dangling(sample_copy):
    image_id = _two(sample_copy)
    document = defects_annotations.read_coco(sample_copy)
    entry = defects_annotations.coco_image(document, image_id)
    entry["id"] = str(entry["id"])
    defects_annotations.write_coco(sample_copy, document)
    result = audit_rules(sample_copy)
    dangling = findings_of(result, "ANN004")
    assert len(dangling) == 2 and f"it lists '{entry['id']}'" in dangling[0].message
    assert findings_of(result, "ANN035")[0].image_id == image_id


def test_a_coco_size_written_as_a_string_keeps_its_entry(sample_copy):
    """The entry is still read (with the number): its annotations do not dangle, the image is
    not left without a COCO entry, and its size is not reported again as missing."""
    image_id = plant.coco_size_as_string(sample_copy, _two(sample_copy), "height")
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN002", image_id)
    assert "'height' written as a string" in finding.message


def test_a_coco_size_that_is_no_number_is_one_finding(sample_copy):
    image_id = _two(sample_copy)
    document = defects_annotations.read_coco(sample_copy)
    defects_annotations.coco_image(document, image_id)["width"] = None
    defects_annotations.write_coco(sample_copy, document)
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN002", image_id)


@pytest.mark.parametrize("value", [0, False])
def test_a_coco_ignore_flag_of_0_is_what_detectron2_accepts(value, sample_copy):
    plant.coco_ignore_flag(sample_copy, _one(sample_copy), value)
    assert audit_rules(sample_copy).findings == []


def test_voc_objects_parse_rec_cannot_read_are_one_finding_per_file(sample_copy):
    image_id = _two(sample_copy)
    plant.voc_without_element(sample_copy, image_id, "pose")
    plant.voc_without_element(sample_copy, image_id, "truncated")
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN002", image_id)
    assert finding.details["lacking"] == {"pose": [1, 2], "truncated": [1, 2]}
    assert "parse_rec" in finding.message


def test_swapped_vgg_keys_name_both_images(sample_copy):
    images = [_one(sample_copy), _two(sample_copy)]
    plant.vgg_swapped_keys(sample_copy, *images)
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "ANN036" and finding.details["count"] == 2
    assert {e["key_names"] for e in finding.details["entries"]} == set(images)
    assert {e["filename"] for e in finding.details["entries"]} == set(images)


def test_a_vgg_filename_with_its_folder_is_not_keyed_by_another_image(sample_copy):
    image_id = _one(sample_copy)
    document = defects_annotations.read_vgg(sample_copy)
    entry = defects_annotations.vgg_entry(document, image_id)[1]
    entry["filename"] = f"images/Fractured/{image_id}"
    defects_annotations.write_vgg(sample_copy, document)
    [finding] = audit_rules(sample_copy).findings  # not also "no VGG entry" (ANN010)
    assert (finding.rule, finding.image_id) == ("ANN025", image_id)
    assert "a reader joining it to the image folder finds no file" in finding.message
    assert codes(audit_rules(sample_copy, ["ANN010"])) == {"ANN010"}  # alone, it is missing


def test_vgg_entries_keyed_by_file_name_alone_are_their_own(sample_copy):
    """makesense.ai keys entries by file name alone: nothing to report."""
    plant.vgg_regions_as_object(sample_copy)
    assert audit_rules(sample_copy).findings == []


def test_closed_polygons_are_the_same_outline(sample_copy):
    """A last vertex repeating the first, in VGG or in COCO, is the outline every reader
    closes itself: no polygon mismatch, no duplicate missed."""
    plant.harmless_vgg_closed_polygon(sample_copy, _one(sample_copy))
    plant.harmless_coco_closed_polygon(sample_copy, _two(sample_copy))
    assert audit_rules(sample_copy).findings == []


def test_a_folder_in_a_coco_file_name_is_ann025_not_an_unknown_image(sample_copy):
    image_id = plant.coco_folder_in_file_name(sample_copy, _one(sample_copy))
    result = audit_rules(sample_copy)
    [finding] = findings_of(result, "ANN025")
    assert finding.image_id == image_id
    assert finding.details["written"] == f"images/Fractured/{image_id}"
    assert not findings_of(result, "ANN006")


def test_a_file_name_in_the_current_folder_is_found_by_a_path_join_not_by_name(sample_copy):
    image_id = _one(sample_copy)
    document = plant.read_coco(sample_copy)
    plant.coco_image(document, image_id)["file_name"] = f"./{image_id}"
    plant.write_coco(sample_copy, document)
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "ANN025" and "still finds the file" in finding.message
    assert f"no join by file name finds {image_id}'s entry" in finding.message


@pytest.mark.parametrize(("write", "how"), [
    (str.lower, "in another case"),
    (lambda image_id: image_id + " ", "with white space around it"),
    (lambda image_id: image_id.replace(".jpg", ".JPG"), "with the suffix .JPG"),
])  # fmt: skip
def test_a_coco_file_name_spelt_otherwise_is_one_finding_naming_the_image(write, how,
                                                                          sample_copy):  # fmt: skip
    """Not also "no COCO entry" for the image (ANN010): one cause, one finding."""
    image_id = _one(sample_copy)
    document = plant.read_coco(sample_copy)
    plant.coco_image(document, image_id)["file_name"] = write(image_id)
    plant.write_coco(sample_copy, document)
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN006", image_id)
    assert f"which is {image_id} written {how}" in finding.message


def test_a_yolo_file_named_after_the_image_file_is_one_finding(sample_copy):
    image_id = _one(sample_copy)
    path = defects_annotations.yolo_path(sample_copy, image_id)
    path.rename(path.with_name(f"{image_id}.txt"))  # IMG0000307.jpg.txt
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("ANN006", image_id)
    assert "written with its suffix twice" in finding.message


def test_a_path_out_of_the_release_stays_an_unknown_image(sample_copy):
    document = plant.read_coco(sample_copy)
    plant.coco_image(document, _one(sample_copy))["file_name"] = "../../etc/passwd"
    plant.write_coco(sample_copy, document)
    result = audit_rules(sample_copy)
    assert findings_of(result, "ANN006") and not findings_of(result, "ANN025")


def test_unreadable_voc_file_of_an_unknown_image_is_an_unknown_image_too(sample_copy):
    image_id = plant.voc_unreadable_for_unknown_image(sample_copy)
    result = audit_rules(sample_copy)
    assert [f.image_id for f in findings_of(result, "ANN006")] == [image_id]
    assert [f.image_id for f in findings_of(result, "ANN001")] == [image_id]


def test_a_duplicated_yolo_line_names_both_lines(sample_copy):
    image_id = plant.yolo_repeated_line(sample_copy, _one(sample_copy))
    [finding] = findings_of(audit_rules(sample_copy), "ANN029")
    assert finding.image_id == image_id and finding.details["locations"] == ["line 1", "line 2"]


@pytest.mark.parametrize("hard", [False, True], ids=["symbolic", "hard"])
def test_a_linked_image_names_both_names_of_the_file(sample_copy, hard):
    source = _negative(sample_copy)
    linked = plant.link_image(sample_copy, source, hard=hard)
    [finding] = findings_of(audit_rules(sample_copy), "IMG016")
    names = {finding.image_id, finding.details["same_file_as"].rsplit("/")[-1]}
    assert names == {source, linked}
    if not hard:
        assert finding.image_id == linked


def test_a_label_file_with_an_upper_case_suffix_is_read_and_reported(sample_copy):
    """fracqa reads it (so that its instances still count), a Linux trainer does not."""
    image_id = plant.yolo_suffix_upper_case(sample_copy, _two(sample_copy))
    result = audit_rules(sample_copy)
    assert codes(result) == {"LAY008"}
    [finding] = findings_of(result, "LAY008")
    assert finding.image_id == image_id and finding.file.endswith(".TXT")


def test_a_stale_json_copy_that_differs_is_not_audited(sample_copy):
    """Readers open the documented file: a stale copy with other annotations is one finding
    on the copy, and nothing it holds is reported (or counted) against the release."""
    document = defects_annotations.read_coco(sample_copy)
    document["annotations"] = document["annotations"][:3]
    stale = sample_copy / COCO_FILE.replace(".json", " (1).json")
    stale.write_text(json.dumps(document))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.file) == ("LAY006", COCO_FILE.replace(".json", " (1).json"))
    assert "COCO_fracture_masks.json alone" in finding.message


def test_json_files_none_of_them_documented_are_all_read(sample_copy):
    """Without the documented file fracqa cannot tell which one readers open: it reads them
    all, and says so."""
    path = sample_copy / VGG_FILE
    path.rename(path.with_name("via_project.json"))
    shutil.copyfile(path.with_name("via_project.json"), path.with_name("via_project (1).json"))
    result = audit_rules(sample_copy)
    assert "none is VGG_fracture_masks.json" in findings_of(result, "LAY006")[0].message
    assert findings_of(result, "ANN029")  # both files read: every instance twice


def test_a_label_file_beside_its_upper_case_twin_is_read_once(sample_copy):
    image_id = plant.label_file_twin(sample_copy, _two(sample_copy))
    [finding] = audit_rules(sample_copy).findings
    assert (finding.rule, finding.image_id) == ("LAY008", image_id)
    assert finding.file.endswith(".TXT") and "never sees this copy" in finding.message


def test_a_case_variant_folder_is_read_and_reported(sample_copy):
    plant.rename_part(sample_copy, Path("images/Fractured"), "fractured")
    result = audit_rules(sample_copy)
    assert codes(result) == {"LAY008"}
    assert "images/Fractured" in findings_of(result, "LAY008")[0].message


def _harmless(root: Path) -> None:
    """Every harmless variant at once: what real exports of the release write."""
    defects.rewrite_csv_with_bom_crlf(root)
    lines = (root / "dataset.csv").read_bytes().split(b"\r\n")
    lines.insert(5, b"")  # a blank line, which pandas skips as fracqa does
    defects.replace_file(root / "dataset.csv", b"\r\n".join(lines) + b"\r\n")
    plant.vgg_regions_as_object(root)
    plant.harmless_yolo_layout(root, _two(root))
    plant.harmless_voc_declaration(root, _one(root))
    plant.harmless_split_layout(root, "valid")
    defects.rename_to_variant(root)  # Annotation/ and utilities/


def test_harmless_variants_raise_nothing(sample_copy):
    _harmless(sample_copy)
    result = audit_rules(sample_copy)
    assert result.findings == []
