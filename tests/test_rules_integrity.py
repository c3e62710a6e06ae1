"""IMG integrity rules: undecodable, empty, resized, oversized and linked-out images."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from fixtures import defects
from fixtures import defects_images as plant
from fracqa.config import Settings
from tests.helpers import (
    SAMPLE_EXPECTATIONS,
    audit_rules,
    audit_sample,
    codes,
    findings_of,
    image_with,
    planted_finding,
)


def _forged_header(root, image_id, width=20000, height=20000) -> str:
    """A JPEG whose frame header claims width x height pixels."""
    path = defects.find_image(root, image_id)
    data = bytearray(path.read_bytes())
    frame = data.find(b"\xff\xc0")
    data[frame + 5:frame + 9] = struct.pack(">HH", height, width)
    defects.replace_file(path, bytes(data))
    return image_id


def _linked_outside(root: Path, image_id: str) -> str:
    """Replace the image by a link to a file outside the release."""
    outside = root.parent / "outside.jpg"
    outside.write_bytes(b"not even an image")
    path = defects.find_image(root, image_id)
    path.unlink()
    path.symlink_to(outside)
    return image_id


# case -> (planter returning the image it names, rule, severity); an empty image (IMG008) is
# planted in tests/test_rules_images.py and in test_an_empty_file_is_one_finding below.
PLANTED = {
    "JPEG cut in half": (lambda r: plant.truncate_image(r, image_with(r, fractured=1)), "IMG007",
                         "error"),
    "annotated image resized to half": (
        lambda r: plant.resize_image(r, image_with(r, fractured=1)), "IMG009", "error"),
    "header claiming 20000 x 20000 pixels": (
        lambda r: _forged_header(r, image_with(r, fractured=0)), "IMG010", "error"),
    "image linked outside the root": (lambda r: _linked_outside(r, image_with(r, fractured=0)),
                                      "IMG014", "error"),
}  # fmt: skip


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_integrity_defect_is_reported_naming_the_image(case, sample_copy):
    image_id, _, found = planted_finding(sample_copy, PLANTED[case])
    assert image_id in (found.file or "")


def test_a_jpeg_cut_in_half_says_it_is_truncated(sample_copy):
    plant.truncate_image(sample_copy, image_with(sample_copy, fractured=1))
    [finding] = findings_of(audit_rules(sample_copy), "IMG007")
    assert "truncated" in finding.message


def test_an_empty_file_is_one_finding(sample_copy):
    image_id = plant.empty_image(sample_copy, image_with(sample_copy, fractured=0))
    result = audit_rules(sample_copy)
    assert [(f.rule, f.image_id) for f in result.findings] == [("IMG008", image_id)]


def test_an_annotated_image_resized_to_half_is_reported_once(sample_copy):
    image_id = plant.resize_image(sample_copy, image_with(sample_copy, fractured=1))
    result = audit_rules(sample_copy)
    [finding] = findings_of(result, "IMG009")
    assert finding.image_id == image_id
    width, height = finding.details["annotated"]
    assert finding.details["real"] == [int(width) // 2, int(height) // 2]
    assert codes(result) == {"IMG009"}  # not also per format, box or vertex


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(sample_copy):
    image_id = _forged_header(sample_copy, image_with(sample_copy, fractured=0))
    result = audit_sample(sample_copy, select=["IMG"])
    [finding] = findings_of(result, "IMG010")
    assert finding.image_id == image_id and "not decoded" in finding.message
    assert finding.details == {"width": 20000, "height": 20000}
    assert not findings_of(result, "IMG007")


def test_the_pixel_limit_is_a_setting(sample_copy):
    settings = Settings(pixel_limit=1_000_000, workers=1, expectations=SAMPLE_EXPECTATIONS)
    result = audit_sample(sample_copy, select=["IMG010"], settings=settings)
    refused = {f.image_id for f in findings_of(result, "IMG010")}
    assert refused and all("2304x2880" in f.message or "2880x2304" in f.message
                           for f in result.findings)  # fmt: skip


def test_an_image_linked_outside_the_root_is_reported_and_not_read(sample_copy):
    image_id = _linked_outside(sample_copy, image_with(sample_copy, fractured=0))
    result = audit_sample(sample_copy, select=["IMG"])
    assert [(f.rule, f.image_id) for f in result.findings] == [("IMG014", image_id)]
