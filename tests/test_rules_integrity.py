"""IMG integrity rules: undecodable, empty, resized, oversized and linked-out images."""

from __future__ import annotations

import struct

from fixtures import defects
from fixtures import defects_images as plant
from fracqa.config import Settings
from fracqa.runner import run_audit
from tests.helpers import codes, findings_of, image_with


def test_a_jpeg_cut_in_half_cannot_be_decoded(replica_copy):
    image_id = plant.truncate_image(replica_copy, image_with(replica_copy, fractured=1))
    result = run_audit(replica_copy)
    [finding] = findings_of(result, "IMG007")
    assert finding.image_id == image_id and "truncated" in finding.message
    assert finding.severity.value == "error"


def test_an_empty_file_is_one_finding(replica_copy):
    image_id = plant.empty_image(replica_copy, image_with(replica_copy, fractured=0))
    result = run_audit(replica_copy)
    assert [(f.rule, f.image_id) for f in result.findings] == [("IMG008", image_id)]


def test_an_annotated_image_resized_to_half_is_reported_once(replica_copy):
    image_id = plant.resize_image(replica_copy, image_with(replica_copy, fractured=1))
    result = run_audit(replica_copy)
    [finding] = findings_of(result, "IMG009")
    assert finding.image_id == image_id
    width, height = finding.details["annotated"]
    assert finding.details["real"] == [int(width) // 2, int(height) // 2]
    assert codes(result) == {"IMG009"}  # not also per format, box or vertex


def _forged_header(root, image_id, width=20000, height=20000) -> None:
    """A JPEG whose frame header claims width x height pixels."""
    path = defects.find_image(root, image_id)
    data = bytearray(path.read_bytes())
    frame = data.find(b"\xff\xc0")
    data[frame + 5:frame + 9] = struct.pack(">HH", height, width)
    defects.replace_file(path, bytes(data))


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(replica_copy):
    image_id = image_with(replica_copy, fractured=0)
    _forged_header(replica_copy, image_id)
    result = run_audit(replica_copy, select=["IMG"])
    [finding] = findings_of(result, "IMG010")
    assert finding.image_id == image_id and "not decoded" in finding.message
    assert finding.details == {"width": 20000, "height": 20000}
    assert not findings_of(result, "IMG007")


def test_the_pixel_limit_is_a_setting(sample_copy):
    result = run_audit(sample_copy, select=["IMG010"], settings=Settings(pixel_limit=1_000_000))
    refused = {f.image_id for f in findings_of(result, "IMG010")}
    assert refused and all("2304x2880" in f.message or "2880x2304" in f.message
                           for f in result.findings)  # fmt: skip


def test_an_image_linked_outside_the_root_is_reported_and_not_read(sample_copy, tmp_path):
    image_id = image_with(sample_copy, fractured=0)
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"not even an image")
    path = defects.find_image(sample_copy, image_id)
    path.unlink()
    path.symlink_to(outside)
    result = run_audit(sample_copy, select=["IMG"])
    assert [(f.rule, f.image_id) for f in result.findings] == [("IMG014", image_id)]
