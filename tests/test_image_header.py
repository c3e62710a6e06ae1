"""The image read keeps each file's header record and, when it decodes, its pixel statistics:
what any rule about either needs, planted here in real JPEG files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fracqa.load.image_scan import read_image


def _jpeg(path, pixels=None, **save) -> str:
    pixels = np.tile(np.arange(0, 256, 2, dtype=np.uint8), (96, 1)) if pixels is None else pixels
    Image.fromarray(pixels).save(path, "JPEG", **save)
    return str(path)


def _header(path) -> dict:
    found = read_image(path, decode=False)
    assert found["header_error"] is None, found
    assert "decoded" not in found, "reading a header decodes nothing"
    return found["header"]


def test_exif_tags_comment_and_icc_profile_are_kept(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90
    exif[0x0132] = "2021:03:04 10:11:12"  # DateTime
    exif.get_ifd(0x8769)[0x9003] = "2021:03:04 10:11:12"  # DateTimeOriginal
    header = _header(_jpeg(tmp_path / "a.jpg", exif=exif, comment=b"scanned at ward 4",
                           icc_profile=b"\0" * 300))  # fmt: skip
    assert header["exif"]["Orientation"] == 6
    assert header["exif"]["DateTime"] == header["exif"]["DateTimeOriginal"]
    assert header["comment"] == "scanned at ward 4"
    assert header["icc_bytes"] == 300
    names = [name for name, _ in header["markers"]]
    assert {"APP0", "APP1", "APP2", "COM"} <= set(names)


def test_a_plain_export_has_no_exif_and_one_frame(tmp_path):
    header = _header(_jpeg(tmp_path / "a.jpg"))
    assert "exif" not in header and header["frames"] == 1
    assert header["end_marker"] and header["trailing_bytes"] == 0
    assert header["progressive"] is False and header["layers"] == 1


@pytest.mark.parametrize(("subsampling", "named"), [(0, "4:4:4"), (2, "4:2:0")])
def test_encoder_settings_are_kept(tmp_path, subsampling, named):
    rgb = np.dstack([np.tile(np.arange(128, dtype=np.uint8), (64, 1))] * 3)
    header = _header(_jpeg(tmp_path / "a.jpg", rgb, subsampling=subsampling, progressive=True,
                           quality=40))  # fmt: skip
    assert header["subsampling"] == named and header["progressive"] is True
    low = _header(_jpeg(tmp_path / "b.jpg", rgb, subsampling=subsampling, quality=95))
    assert low["quantization"][0] < header["quantization"][0]  # finer tables at quality 95


def test_bytes_after_the_end_of_the_image_are_counted(tmp_path):
    path = tmp_path / "a.jpg"
    _jpeg(path)
    appended = b"PK\x03\x04 an archive appended to the image"
    path.write_bytes(path.read_bytes() + appended)
    assert _header(str(path))["trailing_bytes"] == len(appended)


def test_frames_of_a_multi_picture_file_are_counted(tmp_path):
    first = Image.fromarray(np.zeros((32, 32), np.uint8))
    second = Image.fromarray(np.full((32, 32), 200, np.uint8))
    first.save(tmp_path / "a.jpg", "MPO", save_all=True, append_images=[second])
    assert _header(str(tmp_path / "a.jpg"))["frames"] == 2


def test_pixel_statistics_describe_the_decoded_image(tmp_path):
    radiograph = np.tile(np.linspace(10, 240, 512).astype(np.uint8), (512, 1))
    banded = radiograph.copy()
    banded[384:] = 128  # the flat grey a lenient decoder leaves of a truncated file
    plain, band = (read_image(_jpeg(tmp_path / f"{n}.jpg", p, quality=95))
                   for n, p in (("plain", radiograph), ("band", banded)))  # fmt: skip
    assert plain["decoded"] and band["decoded"]
    assert plain["px_flat_bottom"] == 0 and band["px_flat_bottom"] == pytest.approx(0.25, abs=0.07)
    assert plain["px_min"] <= 20 and plain["px_max"] >= 230  # measured at 1/8 scale
    assert plain["px_p01"] < plain["px_mean"] < plain["px_p99"]
    assert plain["px_entropy"] > 5
    blank = read_image(_jpeg(tmp_path / "blank.jpg", np.full((64, 64), 7, np.uint8)))
    assert blank["px_std"] < 1 and blank["px_entropy"] < 0.5 and blank["px_flat_run"] == 1


def test_a_file_that_is_no_image_has_a_header_error_not_an_exception(tmp_path):
    path = tmp_path / "a.jpg"
    path.write_bytes(b"\xff\xd8\xff" + io.BytesIO(b"garbage" * 10).read())
    found = read_image(str(path))
    assert found["header"] is None and found["header_error"] == found["decode_error"]
    assert found["format"] == "JPEG" and found["decoded"] is False
