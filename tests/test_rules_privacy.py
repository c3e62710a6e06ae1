"""PRV rules: identifiers in every metadata container a JPEG can carry, embedded images, names
and text around the images, burned-in text (OCR); and no report ever shows a value found."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from fixtures import defects_privacy as plant
from fixtures.defects_images import truncate_image
from fracqa.catalogue import select_rules
from fracqa.identifiers import find_identifiers, identifying, mask
from fracqa.load.image_scan import read_image
from fracqa.reports import console, github, html, json_report, junit, sarif
from tests.helpers import (
    NO_STATISTICS,
    SAMPLE_SETTINGS,
    audit_rules,
    audit_sample,
    findings_of,
    image_with,
)

OCR = replace(SAMPLE_SETTINGS, ocr=True)


def _large(root):
    """A large (2304 px and more) fractured image of the sample: text drawn on it is legible."""
    return image_with(root, fractured=1, hardware=0, leg=1)


# case -> (planter returning the image it names, rule, severity)
PLANTED = {
    "COM comment with a DICOM name": (lambda r: plant.comment(r, image_with(r, fractured=0)),
                                      "PRV001", "error"),
    "EXIF IFD0 Artist": (lambda r: plant.exif_ifd0(r, image_with(r, fractured=0)), "PRV001",
                         "error"),
    "EXIF IFD0 ImageDescription with a record number": (
        lambda r: plant.exif_image_description(r, image_with(r, fractured=0)), "PRV001", "error"),
    "EXIF IFD0 XPAuthor": (lambda r: plant.exif_xp_author(r, image_with(r, fractured=0)),
                           "PRV001", "error"),
    "Exif IFD date and serial number": (
        lambda r: plant.exif_sub_ifd(r, image_with(r, fractured=0)), "PRV001", "error"),
    "Exif UserComment": (lambda r: plant.exif_user_comment(r, image_with(r, fractured=0)),
                         "PRV001", "error"),
    "Exif MakerNote": (lambda r: plant.exif_maker_note(r, image_with(r, fractured=0)), "PRV001",
                       "error"),
    "GPS IFD": (lambda r: plant.exif_gps(r, image_with(r, fractured=0)), "PRV001", "error"),
    "Interop IFD": (lambda r: plant.exif_interop(r, image_with(r, fractured=0)), "PRV001",
                    "error"),
    "IFD1 (thumbnail directory)": (
        lambda r: plant.exif_thumbnail_text(r, image_with(r, fractured=0)), "PRV001", "error"),
    "XMP packet": (lambda r: plant.xmp(r, image_with(r, fractured=0)), "PRV001", "error"),
    "IPTC in Photoshop APP13": (lambda r: plant.iptc(r, image_with(r, fractured=0)), "PRV001",
                                "error"),
    "ICC profile description": (lambda r: plant.icc(r, image_with(r, fractured=0)), "PRV001",
                                "error"),
    "vendor APP11 segment with DICOM attributes": (
        lambda r: plant.vendor_segment(r, image_with(r, fractured=0)), "PRV001", "error"),
    "text after the end of the image": (
        lambda r: plant.trailing_text(r, image_with(r, fractured=0)), "PRV001", "error"),
    "thumbnail of another picture": (
        lambda r: plant.thumbnail_of_another_picture(r, image_with(r, fractured=0)), "PRV002",
        "error"),
    "another picture appended": (lambda r: plant.appended_frame(r, image_with(r, fractured=0)),
                                 "PRV002", "error"),
    "thumbnail of itself": (lambda r: plant.thumbnail_of_itself(r, image_with(r, fractured=0)),
                            "PRV003", "warning"),
    "metadata summary": (lambda r: plant.exif_gps(r, image_with(r, fractured=0)) and None,
                         "PRV004", "info"),
    "name and birth date as file name": (
        lambda r: plant.rename_image(r, image_with(r, fractured=0)), "PRV010", "error"),
    "telephone number in a dataset.csv cell": (
        lambda r: plant.csv_note(r, image_with(r, fractured=0)), "PRV011", "error"),
    "VOC <owner><name>": (lambda r: plant.voc_owner(r, image_with(r, fractured=1)), "PRV012",
                          "error"),
    "VOC <path> in a home folder": (lambda r: plant.voc_path(r, image_with(r, fractured=1)),
                                    "PRV012", "error"),
    "COCO date_captured": (lambda r: plant.coco_date_captured(r, image_with(r, fractured=1)),
                           "PRV012", "error"),
    "COCO info e-mail": (lambda r: plant.coco_info_email(r), "PRV012", "error"),
    "VGG region attribute patient": (
        lambda r: plant.vgg_region_note(r, image_with(r, fractured=1)), "PRV012", "error"),
    "record number in a split file": (
        lambda r: plant.split_entry(r, image_with(r, fractured=1)), "PRV013", "error"),
    "name and birth date burned in": (lambda r: plant.burn_in_name(r, _large(r)), "PRV020",
                                      "warning"),
    "free text burned in": (lambda r: _burn_free_text(r, _large(r)), "PRV021", "info"),
}  # fmt: skip
OCR_RULES = ("PRV020", "PRV021")
# the image a finding names, where it is not the planter's return value
NAMED = {"PRV010": None, "PRV004": None, "PRV013": None}


def _burn_free_text(root, image_id: str) -> str:
    from PIL import ImageDraw

    from fixtures.defects_image_view import _pixels, _save

    image = _pixels(root, image_id)
    size = max(14, image.height // 40)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size * 14, size * 2), fill=(0, 0, 0) if image.mode == "RGB" else 0)
    draw.text((size // 2, size // 3), "Orthopaedics ward", fill="white", font=plant._font(size))
    return _save(root, image_id, image)


def _audit(root, code: str, **kwargs):
    if code in OCR_RULES:
        return audit_sample(root, select=["PRV"], settings=OCR, **kwargs)
    return audit_sample(root, select=["PRV"], **kwargs)


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_identifier_is_reported_masked(case, sample_copy):
    planter, code, severity = PLANTED[case]
    image_id = planter(sample_copy)
    result = _audit(sample_copy, code)
    found = findings_of(result, code)
    assert found, result.findings
    assert found[0].severity.value == severity
    if code in ("PRV001", "PRV002", "PRV003", "PRV020", "PRV021", "PRV012") and image_id:
        assert {f.image_id for f in found} == {image_id}, found
    text = json.dumps([f.as_dict() for f in result.findings])
    for secret in plant.SECRETS:
        assert secret not in text, (case, secret)


def test_each_metadata_finding_names_container_and_field_and_masks_the_value(sample_copy):
    image_id = plant.exif_sub_ifd(sample_copy, image_with(sample_copy, fractured=0))
    found = findings_of(audit_rules(sample_copy, ["PRV001"]), "PRV001")
    assert {(f.image_id, f.details["container"], f.details["field"]) for f in found} == {
        (image_id, "EXIF Exif", "DateTimeOriginal"), (image_id, "EXIF Exif", "BodySerialNumber")}
    masks = sorted(m for f in found for m in f.details["masked"])
    assert masks == ["<date: 1…, 19 chars>", "<device serial number: Q…, 10 chars>"]


def test_every_report_hides_every_planted_value(sample_copy):
    """Identifiers planted everywhere at once, in one audit; the console, JSON, HTML, JUnit,
    SARIF and GitHub outputs show none of them, though other rules (unlabelled image, unknown
    split entry, ...) name the same files. (The command line writes what these render.)"""
    ids = iter(sorted(p.name for p in (sample_copy / "images" / "Non_fractured").iterdir()))
    for planter in (plant.comment, plant.exif_ifd0, plant.xmp, plant.iptc, plant.icc,
                    plant.vendor_segment, plant.trailing_text, plant.exif_maker_note,
                    plant.rename_image, plant.csv_note):  # fmt: skip
        planter(sample_copy, next(ids))
    fractured = iter(sorted(p.name for p in (sample_copy / "images" / "Fractured").iterdir()))
    plant.voc_owner(sample_copy, next(fractured))
    plant.split_entry(sample_copy, next(fractured))
    plant.coco_info_email(sample_copy)
    plant.burn_in_name(sample_copy, _large(sample_copy))
    result = audit_sample(sample_copy, ignore=NO_STATISTICS, evidence=True, settings=OCR)
    texts = {"console": console.render(result, True, None), "github": github.render(result),
             "json": json_report.render(result), "html": html.render(result),
             "junit": junit.render(result).decode("utf-8"), "sarif": sarif.render(result)}
    codes = {f.rule for f in result.findings}
    assert {"PRV001", "PRV004", "PRV010", "PRV011", "PRV012", "PRV013"} <= codes
    assert len(codes) > 10  # the other rules' findings name the same files and values
    assert "PRV020" in codes
    assert 'class="text-region"' in texts["html"]
    _assert_text_blacked_out(result, _large(sample_copy))
    for kind, text in texts.items():
        for secret in plant.SECRETS:
            assert secret not in text, (kind, secret)
            assert secret.replace("^", "%5E") not in text, (kind, secret)


def _assert_text_blacked_out(result, image_id: str) -> None:
    """The HTML report's thumbnail of an image with burned-in text is black where the text is."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    evidence = result.evidence[image_id]
    data = base64.b64decode(evidence["thumbnail"].split(",", 1)[1])
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=float)
    scale = pixels.shape[1] / evidence["width"]
    assert evidence["text_regions"]
    for region in evidence["text_regions"]:
        x0, y0, x1, y1 = (round(v * scale) for v in region["box"])
        assert pixels[y0:y1 + 1, x0:x1 + 1].max() < 40, region


def test_the_summary_lists_fields_and_counts_not_values(sample_copy):
    first, second = sorted(p.name for p in (sample_copy / "images" / "Non_fractured").iterdir())[:2]
    plant.exif_gps(sample_copy, first)
    plant.exif_gps(sample_copy, second)
    plant.comment(sample_copy, second)
    [summary] = findings_of(audit_sample(sample_copy, ["PRV004"]), "PRV004")
    assert summary.details["images"] == 2
    assert summary.details["fields"]["EXIF GPS GPSLatitude"] == 2
    assert summary.details["fields"]["COM comment"] == 1


def test_release_names_and_dates_are_not_identifiers():
    for text in ("IMG0000001.jpg", "images/Non_fractured/IMG0000199.jpg", "Non_fractured",
                 "FracAtlas", "fractured", "2023", "1.0", "sRGB IEC61966-2.1", "AP", "LAT",
                 "IMG0000307.jpg7356", "FracAtlas-shaped synthetic fixture (fracqa)"):  # fmt: skip
        assert find_identifiers(text) == [], text
    # COCO info describes the dataset: its release date is no patient date (PRV012 reads it
    # with patterns only), a capture date of an image entry is
    assert identifying(None, "2023/05/12")[0][0] == "date"
    assert identifying("info.date_created", "2023") == ()


def test_mask_shows_kind_first_character_and_length_only():
    assert mask(plant.NAME, "person name") == "<person name: J…, 13 chars>"


def test_a_clean_file_has_no_metadata_record_to_pay_for(sample_root):
    path = next((sample_root / "images" / "Fractured").iterdir())
    header = read_image(str(path), decode=False)["header"]
    assert "metadata" not in header and "embedded" not in header


def test_ocr_rules_run_only_with_ocr():
    assert not [r for r in select_rules(["PRV"]) if r.code in OCR_RULES]
    assert {r.code for r in select_rules(["PRV"], ocr=True)} >= set(OCR_RULES)


def test_ocr_without_tesseract_is_one_line_and_exit_2(sample_root, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    done = subprocess.run([sys.executable, "-m", "fracqa.cli", "audit", str(sample_root), "--ocr",
                           "--select", "PRV"], capture_output=True, text=True, check=False,
                          env={"PATH": str(empty), "HOME": str(tmp_path)})  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "Tesseract" in done.stderr and "apt-get install tesseract-ocr" in done.stderr


def test_sample_with_markers_views_scale_and_logo_stays_silent_with_ocr(sample_copy):
    images = sorted(p.name for p in (sample_copy / "images" / "Fractured").iterdir())[:4]
    plant.mark_images(sample_copy, images)
    result = audit_sample(sample_copy, select=["PRV"], settings=OCR)
    assert result.findings == []
    assert {r.code for r in result.rules_run} >= set(OCR_RULES)


def test_only_an_image_whose_text_cannot_be_read_is_reported_so(sample_copy):
    """A truncated image's text cannot be read, which is said once; the other images, whose
    text fields are empty, are not failures (an empty field read as NaN once reported them
    all)."""
    image_id = sorted(p.name for p in (sample_copy / "images" / "Non_fractured").iterdir())[0]
    truncate_image(sample_copy, image_id)
    result = audit_sample(sample_copy, select=["PRV020", "PRV021"], settings=OCR)
    assert [(f.rule, f.image_id) for f in result.findings] == [("PRV020", image_id)]
    assert "could not be read" in result.findings[0].message
