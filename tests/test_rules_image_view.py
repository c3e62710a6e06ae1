"""IMG rules on what loaders see and on content: orientation tags (IMG020), encodings unlike the
release (IMG021) or mixed in it (IMG022), blank frames (IMG023), flat edge bands (IMG024),
extreme exposure (IMG025), images without information (IMG026), and what IMG007 says of a
truncated file."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageCms, ImageFile, ImageOps

from fixtures import defects
from fixtures import defects_annotations as annotations
from fixtures import defects_image_view as view
from fixtures import defects_images as plant
from fixtures.defects import find_image
from fracqa.checks import image_content
from fracqa.load.image_header import icc_summary, jpeg_frame
from fracqa.load.image_scan import read_image
from fracqa.load.pixel_stats import edge_band
from fracqa.runner import run_audit
from tests.helpers import audit_rules, audit_sample, codes, findings_of, image_with, planted_finding

NEW_RULES = {f"IMG0{n}" for n in range(20, 27)}


def _fractured(root):
    return image_with(root, fractured=1)


def _negative(root):
    return image_with(root, fractured=0)


def _ids(root, count, fractured=0):
    folder = "Fractured" if fractured else "Non_fractured"
    return sorted(path.name for path in (root / "images" / folder).glob("*.jpg"))[:count]


def _mix(root):
    view.convert_images(root, _ids(root, 15), "L")
    return None


def _cmyk(root):
    return view.recode(root, _fractured(root), "CMYK")


# case -> (planter returning the image it names, or None for a finding about the release,
# rule, severity)
PLANTED = {
    "EXIF orientation 6, annotated on the oriented view": (
        lambda r: view.orient_image(r, _fractured(r), 6), "IMG020", "error"),
    "EXIF orientation 8 on a non-fractured image (VOC only)": (
        lambda r: view.orient_image(r, _negative(r), 8), "IMG020", "error"),
    "XMP-only orientation 5": (
        lambda r: view.orient_image(r, _fractured(r), 5, source="XMP"), "IMG020", "error"),
    "orientation 3 added to the pixels as annotated": (
        lambda r: view.orient_image(r, _fractured(r), 3, drawn_on="stored"), "IMG020", "error"),
    "CMYK JPEG": (_cmyk, "IMG021", "warning"),
    "one greyscale image in an RGB release": (
        lambda r: view.recode(r, _negative(r), "L"), "IMG021", "warning"),
    "two-frame MPO": (lambda r: view.multi_frame(r, _negative(r)), "IMG021", "warning"),
    "16-bit PNG under a .jpg name": (
        lambda r: view.sixteen_bit_png(r, _negative(r)), "IMG021", "warning"),
    "Display P3 ICC profile": (
        lambda r: view.recode(r, _fractured(r), icc_profile=view.icc_profile()), "IMG021",
        "warning"),
    "progressive re-save": (lambda r: view.recode(r, _negative(r), progressive=True), "IMG021",
                            "warning"),
    "4:4:4 re-save": (lambda r: view.recode(r, _negative(r), subsampling=0), "IMG021",
                      "warning"),
    "15 of 40 images greyscale": (_mix, "IMG022", "info"),
    "black frame": (lambda r: view.blank_image(r, _negative(r)), "IMG023", "error"),
    "mid-grey frame": (lambda r: view.blank_image(r, _fractured(r), 128), "IMG023", "error"),
    "truncated file re-saved by a lenient decoder": (
        lambda r: view.lenient_resave(r, _negative(r)), "IMG024", "warning"),
    "black band at the bottom": (lambda r: view.edge_band(r, _negative(r)), "IMG024",
                                 "warning"),
    "white band at the right": (
        lambda r: view.edge_band(r, _fractured(r), 0.1, 255, "right"), "IMG024", "warning"),
    "grey levels x 0.15": (lambda r: view.scale_levels(r, _negative(r), 0.15), "IMG025",
                           "warning"),
    "washed out": (lambda r: view.scale_levels(r, _fractured(r), 0.2, 200), "IMG025",
                   "warning"),
    "contrast squeezed into 6 grey levels": (
        lambda r: view.flatten_contrast(r, _fractured(r)), "IMG026", "warning"),
    "a label on a black frame": (lambda r: view.label_on_blank(r, _negative(r)), "IMG026",
                                 "warning"),
}  # fmt: skip
# what else a planted case may rightly raise about its image
# the MPO's second frame (the first one mirrored) is an embedded picture other than the image
ALSO = {"16-bit PNG under a .jpg name": {"IMG005"}, "two-frame MPO": {"PRV002"}}


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_case_is_one_finding_of_its_rule(case, sample_copy):
    image_id, result, found = planted_finding(sample_copy, PLANTED[case])
    code = found.rule
    if image_id is not None:
        assert image_id in found.message and image_id in (found.file or "")
        about = {f.rule for f in result.findings if f.image_id == image_id}
        assert about == {code} | ALSO.get(case, set()), result.findings
    else:
        assert codes(result) == {code}, result.findings


# ---------------------------------------------------------------- orientation


def test_an_oriented_image_is_one_finding_naming_both_sizes_and_the_view(sample_copy):
    image_id = view.orient_image(sample_copy, _fractured(sample_copy), 6)
    result = audit_rules(sample_copy)
    assert [(f.rule, f.image_id) for f in result.findings] == [("IMG020", image_id)]
    [finding] = result.findings
    width, height = finding.details["oriented"]
    assert finding.details["stored"] == [height, width]
    assert finding.details["drawn_on"] == {"coco": "oriented", "voc": "oriented"}
    assert f"stored {height}x{width}" in finding.message
    assert f"shown {width}x{height}" in finding.message
    assert "COCO and VOC state" in finding.message and "Image.open" in finding.message


def test_annotations_drawn_on_the_stored_pixels_say_so(sample_copy):
    image_id = view.orient_image(sample_copy, _fractured(sample_copy), 8, drawn_on="stored")
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "IMG020" and finding.image_id == image_id
    assert finding.details["drawn_on"] == {"coco": "stored", "voc": "stored"}
    assert "loaders that apply the tag" in finding.message


def test_formats_drawn_on_different_views_are_named(sample_copy):
    image_id = view.orient_image(sample_copy, _fractured(sample_copy), 6, drawn_on="stored")
    annotations.swap_coco_size(sample_copy, image_id)
    result = audit_rules(sample_copy)
    [finding] = findings_of(result, "IMG020")
    assert finding.details["drawn_on"] == {"coco": "oriented", "voc": "stored"}
    assert "disagree on which view" in finding.message
    assert not findings_of(result, "ANN007") and not findings_of(result, "IMG009")


def test_an_xmp_orientation_says_only_exif_transpose_applies_it(sample_copy):
    view.orient_image(sample_copy, _negative(sample_copy), 6, source="XMP")
    [finding] = audit_rules(sample_copy).findings
    assert finding.details["source"] == "XMP" and "XMP" in finding.message


@pytest.mark.parametrize("orientation", [1, 0, 9])
def test_an_orientation_every_loader_ignores_is_silent(orientation, sample_copy):
    view.orient_image(sample_copy, _fractured(sample_copy), orientation)
    assert audit_rules(sample_copy).findings == []


def test_a_rotated_image_without_a_tag_is_still_a_resized_image(sample_copy):
    image_id = _fractured(sample_copy)
    path = defects.find_image(sample_copy, image_id)
    with Image.open(path) as image:
        turned = image.transpose(Image.Transpose.ROTATE_90)
    buffer = io.BytesIO()
    turned.save(buffer, "JPEG", quality=30)
    defects.replace_file(path, buffer.getvalue())
    result = audit_rules(sample_copy)
    [finding] = findings_of(result, "IMG009")
    assert finding.image_id == image_id and "width and height are exchanged" in finding.message
    assert not findings_of(result, "IMG020")


def test_the_report_shows_an_oriented_image_as_its_annotations_were_drawn(sample_copy):
    """Annotations drawn on the oriented view: the preview is turned as the tag says, so that
    the shapes the report draws over it fall on the fracture, not beside it."""
    image_id = view.orient_image(sample_copy, _fractured(sample_copy), 6)
    stored = Image.open(find_image(sample_copy, image_id)).size
    evidence = audit_sample(sample_copy, ["IMG020"], evidence=True).evidence[image_id]
    assert (evidence["width"], evidence["height"]) == stored[::-1]
    preview = _decoded(evidence["thumbnail"])
    assert preview.width < preview.height  # oriented: taller than wide, as annotated
    shown = np.asarray(preview, dtype=float)
    annotated = np.asarray(_pixels_of(sample_copy, image_id, turn=True).resize(preview.size),
                           dtype=float)  # fmt: skip
    assert np.abs(shown - annotated).mean() < 8


def _decoded(uri: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("L")


def _pixels_of(root, image_id: str, turn: bool) -> Image.Image:
    with Image.open(find_image(root, image_id)) as image:
        return (ImageOps.exif_transpose(image) if turn else image.copy()).convert("L")


# ---------------------------------------------------------------- encodings


def test_an_outlier_names_each_property_and_the_majority(sample_copy):
    image_id = _cmyk(sample_copy)
    [finding] = findings_of(audit_rules(sample_copy), "IMG021")
    assert finding.image_id == image_id
    assert finding.details["differs"] == {"colour mode": "CMYK (4 bands)",
                                          "colour transform": "CMYK"}  # fmt: skip
    assert finding.details["release"]["colour mode"] == {"RGB (3 bands)": 39, "CMYK (4 bands)": 1}
    assert "RGB (3 bands) (39 images)" in finding.message


def test_a_common_mix_is_one_release_finding_and_a_rare_value_still_an_outlier(sample_copy):
    _mix(sample_copy)
    image_id = _cmyk(sample_copy)
    result = audit_rules(sample_copy)
    [mix] = findings_of(result, "IMG022")
    assert mix.image_id is None and mix.details["property"] == "colour mode"
    assert mix.details["counts"] == {"RGB (3 bands)": 24, "L (1 band)": 15, "CMYK (4 bands)": 1}
    assert [f.image_id for f in findings_of(result, "IMG021")] == [image_id]


def test_images_encoded_alike_unlike_the_rest_are_one_finding(sample_copy):
    """Three images re-saved as L by one tool are one cause: one finding naming them all; a
    CMYK image beside them differs otherwise and is a finding of its own."""
    grey = _ids(sample_copy, 3, 0)
    view.convert_images(sample_copy, grey, "L")
    cmyk = _cmyk(sample_copy)
    found = {tuple(f.details.get("images", [f.image_id])): f
             for f in findings_of(audit_rules(sample_copy), "IMG021")}  # fmt: skip
    assert set(found) == {tuple(sorted(grey)), (cmyk,)}
    batch = found[tuple(sorted(grey))]
    assert batch.image_id is None and batch.details["count"] == 3
    assert batch.details["differs"] == {"colour mode": "L (1 band)"}
    assert batch.message.startswith("3 images are encoded alike, unlike the rest of the release")


def test_a_release_all_in_one_other_mode_is_silent(sample_copy):
    view.convert_images(sample_copy, _ids(sample_copy, 99, 0) + _ids(sample_copy, 99, 1), "L")
    assert audit_rules(sample_copy).findings == []


def test_an_srgb_profile_is_what_untagged_images_are_taken_to_be(sample_copy):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    view.recode(sample_copy, _fractured(sample_copy), icc_profile=srgb)
    assert audit_rules(sample_copy).findings == []


def test_header_record_keeps_what_loaders_disagree_on(tmp_path):
    path = tmp_path / "a.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    rgb = Image.new("RGB", (64, 48), (90, 90, 90))
    rgb.save(path, "JPEG", exif=exif.tobytes(), xmp=view._xmp(3),
             icc_profile=view.icc_profile("Display P3"), progressive=True)  # fmt: skip
    header = read_image(str(path), decode=False)["header"]
    assert header["orientation"] == 6 and header["xmp_orientation"] == 3
    assert header["coding"] == "progressive" and header["precision"] == 8
    assert header["colour_encoding"] == "YCbCr" and header["bit_depth"] == 8
    assert header["icc"] == {"space": "RGB", "description": "Display P3", "srgb": False}
    Image.new("CMYK", (16, 16)).save(path, "JPEG")
    header = read_image(str(path), decode=False)["header"]
    assert header["colour_encoding"] == "CMYK" and header["bands"] == 4
    assert "orientation" not in header


def test_an_xmp_orientation_is_not_taken_for_an_exif_one(tmp_path):
    path = tmp_path / "a.jpg"
    Image.new("L", (32, 16)).save(path, "JPEG", xmp=view._xmp(6))
    header = read_image(str(path), decode=False)["header"]
    assert header["xmp_orientation"] == 6 and "orientation" not in header


def test_icc_descriptions_are_read_from_v2_and_v4_profiles():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert icc_summary(srgb)["srgb"] is True
    lab = icc_summary(ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes())
    assert lab["srgb"] is False and lab["description"]
    grey = icc_summary(view.icc_profile("Dot Gain 20%", b"GRAY"))
    assert grey == {"space": "GRAY", "description": "Dot Gain 20%", "srgb": False}
    assert icc_summary(b"\0" * 10)["srgb"] is False  # a broken profile is no crash


def test_the_jpeg_frame_tells_the_coding_process(tmp_path):
    buffer = io.BytesIO()
    Image.new("L", (40, 24)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    assert jpeg_frame(bytes(data))["coding"] == "sequential"
    sof = data.find(b"\xff\xc0")
    data[sof + 1] = 0xC9
    assert jpeg_frame(bytes(data))["coding"] == "sequential, arithmetic"
    data[sof + 1] = 0xC3
    assert jpeg_frame(bytes(data))["coding"] == "lossless"
    assert jpeg_frame(bytes(data[: sof + 3])) == {} and jpeg_frame(b"\xff\xd8") == {}


# ---------------------------------------------------------------- truncated and unreadable


def test_a_truncated_file_says_how_many_rows_are_missing(sample_copy):
    image_id = plant.truncate_image(sample_copy, _negative(sample_copy), 0.5)
    result = audit_rules(sample_copy)
    assert {(f.rule, f.image_id) for f in result.findings} == {("IMG007", image_id)}
    [finding] = result.findings
    missing, height = finding.details["lenient_missing_rows"], finding.details["height"]
    assert 0.25 * height < missing < 0.75 * height
    assert f"the bottom {missing} of {height} rows are missing" in finding.message
    assert finding.details["lenient_level"] == pytest.approx(128, abs=2)


def test_lenient_decoding_stays_inside_the_one_decode(tmp_path):
    buffer = io.BytesIO()
    Image.effect_mandelbrot((256, 256), (-2, -1.5, 1, 1.5), 50).save(buffer, "JPEG")
    data = buffer.getvalue()
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(data[: len(data) * 2 // 3])
    first = read_image(str(tmp_path / "a.jpg"))
    assert not first["decoded"] and first["lenient_missing"] > 0
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    with pytest.raises(OSError), Image.open(tmp_path / "b.jpg") as image:
        image.load()


def test_a_12_bit_jpeg_is_explained(sample_copy):
    image_id = _negative(sample_copy)
    path = defects.find_image(sample_copy, image_id)
    data = bytearray(path.read_bytes())
    data[data.find(b"\xff\xc0") + 4] = 12  # the frame's sample precision
    defects.replace_file(path, bytes(data))
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "IMG007" and finding.image_id == image_id
    assert "12-bit sequential JPEG" in finding.message and "browsers" in finding.message


# ---------------------------------------------------------------- content


def test_a_leniently_re_saved_file_shows_its_missing_rows(sample_copy):
    image_id = view.lenient_resave(sample_copy, _negative(sample_copy), 0.7)
    [finding] = audit_rules(sample_copy).findings
    assert finding.rule == "IMG024" and finding.image_id == image_id
    details = finding.details
    assert details["edge"] == "bottom" and details["kind"] == "fill"
    assert details["level"] == pytest.approx(128, abs=2) and details["of"] == 454
    assert 0.1 * 454 < details["lines"] < 0.6 * 454
    assert f"the bottom {details['lines']} of 454 rows of {image_id}" in finding.message


def test_a_blank_frame_is_not_also_dark_or_empty_of_information(sample_copy):
    image_id = view.blank_image(sample_copy, _negative(sample_copy))
    result = audit_rules(sample_copy)
    assert [(f.rule, f.image_id) for f in result.findings] == [("IMG023", image_id)]
    assert result.findings[0].details["p99"] - result.findings[0].details["p01"] <= 2


# ---------------------------------------------------------------- content thresholds


def test_pixel_statistics_measure_the_widest_edge_band():
    pixels = np.tile(np.linspace(20, 230, 60).astype(np.uint8), (50, 1))
    pixels[40:] = 128
    band = edge_band(pixels, size=(480, 400), scale=8)
    assert band["px_band_edge"] == "bottom" and band["px_band_lines"] == 80
    assert band["px_band_level"] == 128 and band["px_band_extreme"] == 0.0
    pixels[:, :3] = 0
    pixels[40:] = 128
    assert edge_band(pixels)["px_band_edge"] == "bottom"
    black = np.tile(np.linspace(0, 230, 60).astype(np.uint8), (50, 1))
    black[:, 50:] = 0
    assert edge_band(black)["px_band_extreme"] == 1.0
    assert edge_band(np.zeros((50, 60), np.uint8))["px_band"] == 0  # blank, not a band


def _stats(count, rng, **override):
    """A release's pixel statistics: `count` radiographs with natural spread."""
    frame = pd.DataFrame({
        "image_id": [f"IMG{n:07d}.jpg" for n in range(count)],
        "file": [f"images/Non_fractured/IMG{n:07d}.jpg" for n in range(count)],
        "height": 454, "width": 373,
        "px_p01": rng.normal(8, 4, count).clip(0, 255).round(),
        "px_p99": rng.normal(225, 12, count).clip(0, 255).round(),
        "px_mean": rng.normal(110, 15, count), "px_std": rng.normal(60, 8, count),
        "px_entropy": rng.normal(6.8, 0.3, count),
        "px_band": 0.0, "px_band_edge": None, "px_band_lines": 0, "px_band_level": None,
        "px_band_extreme": None,
    })  # fmt: skip
    for column, value in override.items():
        frame[column] = value
    return frame


def _flagged(frame):
    verdicts = image_content._judge(frame)
    return {"blank": set(verdicts.blank["image_id"]), "dark": set(verdicts.dark["image_id"]),
            "bright": set(verdicts.bright["image_id"]),
            "low": set(verdicts.low_information["image_id"]),
            "band": {row.image_id for row, _, _ in verdicts.band}}  # fmt: skip


@pytest.mark.parametrize("count", [40, 4083])
def test_the_tails_of_a_natural_release_are_not_flagged(count):
    for seed in range(5):
        assert not any(_flagged(_stats(count, np.random.default_rng(seed))).values())


def test_a_homogeneous_release_does_not_flag_its_tails():
    rng = np.random.default_rng(1)
    frame = _stats(4083, rng, px_p99=rng.integers(201, 204, 4083).astype(float),
                   px_p01=rng.integers(44, 47, 4083).astype(float),
                   px_entropy=rng.normal(5.48, 0.01, 4083))  # fmt: skip
    frame.loc[0, ["px_p99", "px_p01", "px_entropy"]] = [189.0, 61.0, 5.3]  # still radiographs
    assert not any(_flagged(frame).values())


def test_limits_come_from_the_release_not_from_constants():
    rng = np.random.default_rng(2)
    dim = _stats(200, rng, px_p99=rng.normal(110, 6, 200).round())  # a dim release throughout
    dim.loc[0, "px_p99"] = 40.0
    assert _flagged(dim)["dark"] == {"IMG0000000.jpg"}  # 40 only: 110 is that release's usual
    bright = _stats(200, rng, px_p99=rng.normal(240, 3, 200).round())
    bright.loc[0, "px_p99"] = 110.0
    assert _flagged(bright)["dark"] == {"IMG0000000.jpg"}


def test_a_release_too_small_to_be_its_own_reference_is_judged_only_for_blank_frames():
    frame = _stats(12, np.random.default_rng(3))
    frame.loc[0, "px_p99"] = 20.0
    frame.loc[1, ["px_p01", "px_p99"]] = [100.0, 101.0]
    assert _flagged(frame) == {"blank": {"IMG0000001.jpg"}, "dark": set(), "bright": set(),
                               "low": set(), "band": set()}  # fmt: skip


def test_bands_common_in_a_release_are_judged_against_each_other():
    rng = np.random.default_rng(4)
    frame = _stats(400, rng)
    padded = frame.index[:120]  # 30% of the release has a black border of 5-15%
    frame.loc[padded, "px_band"] = rng.uniform(0.05, 0.15, 120)
    frame.loc[padded, ["px_band_edge", "px_band_lines", "px_band_level", "px_band_extreme"]] = [
        "bottom", 40, 0.0, 1.0]
    assert _flagged(frame)["band"] == set()
    frame.loc[0, "px_band"] = 0.6  # far wider than the release's borders
    frame.loc[399, ["px_band", "px_band_edge", "px_band_lines", "px_band_level",
                    "px_band_extreme"]] = [0.1, "bottom", 45, 128.0, 0.0]  # mid-grey: rare
    assert _flagged(frame)["band"] == {"IMG0000000.jpg", "IMG0000399.jpg"}


def test_a_widely_spread_release_still_flags_a_radiograph_near_black():
    """Real exports spread widely (some windowed dark, some bright): six robust deviations can
    reach below zero, yet an image whose brightest pixels stay under a quarter of the release's
    usual is no usable radiograph. Its darkest 1% at three quarters of the way to white alike."""
    rng = np.random.default_rng(5)
    frame = _stats(400, rng, px_p99=rng.uniform(120, 255, 400).round(),
                   px_p01=rng.uniform(0, 60, 400).round())  # fmt: skip
    assert not any(_flagged(frame).values())
    frame.loc[0, ["px_p01", "px_p99"]] = [0.0, 20.0]  # the radiograph scaled to 0-20
    frame.loc[1, ["px_p01", "px_p99"]] = [235.0, 255.0]
    flagged = _flagged(frame)
    assert (flagged["dark"], flagged["bright"]) == ({"IMG0000000.jpg"}, {"IMG0000001.jpg"})


def _banded(frame, rows, edge, level, share=0.08):
    frame.loc[rows, ["px_band", "px_band_edge", "px_band_lines", "px_band_level",
                     "px_band_extreme"]] = [share, edge, 36, level, 0.0]  # fmt: skip


def test_flat_air_is_no_truncation_only_mid_grey_bottom_rows_are():
    """Air above or below the anatomy is one flat grey at 1/8 scale in many radiographs; a
    truncated file decoded leniently leaves its lost bottom rows at libjpeg's mid-grey 128."""
    rng = np.random.default_rng(6)
    frame = _stats(4083, rng)
    _banded(frame, frame.index[:150], "top", 31.5)  # 4% of the release: rare, yet air
    _banded(frame, frame.index[150:155], "bottom", 38.0)  # dark air below the anatomy
    _banded(frame, frame.index[155:158], "left", 128.0)  # mid-grey, but not where data is lost
    assert _flagged(frame)["band"] == set()
    _banded(frame, [4000], "bottom", 128.0)
    _banded(frame, [4001], "bottom", 131.5)  # re-saved: JPEG moves the grey a little
    assert _flagged(frame)["band"] == {"IMG0004000.jpg", "IMG0004001.jpg"}


def test_thresholds_follow_the_release_in_a_real_audit(sample_copy):
    """The whole sample darkened to 60%: every image is as dark as the others, none is flagged;
    one image darkened further still is."""
    for image_id in _ids(sample_copy, 99, 0) + _ids(sample_copy, 99, 1):
        view.scale_levels(sample_copy, image_id, 0.6)
    assert audit_rules(sample_copy).findings == []
    image_id = view.scale_levels(sample_copy, _negative(sample_copy), 0.25)
    assert [(f.rule, f.image_id) for f in audit_rules(sample_copy).findings] == [
        ("IMG025", image_id)]


# ---------------------------------------------------------------- the full-size replica


def test_defects_planted_in_the_full_replica_are_each_found_once(replica_copy):
    """The real release's kinds of defect at full size: each one finding, nothing else."""
    fractured = _ids(replica_copy, 400, 1)
    negatives = _ids(replica_copy, 4000, 0)
    planted = {
        view.orient_image(replica_copy, fractured[100], 6): "IMG020",
        view.orient_image(replica_copy, negatives[2000], 8): "IMG020",
        _cmyk_of(replica_copy, negatives[10]): "IMG021",
        view.lenient_resave(replica_copy, negatives[3000], 0.8): "IMG024",
        view.scale_levels(replica_copy, negatives[500], 0.2): "IMG025",
        view.blank_image(replica_copy, negatives[600]): "IMG023",
    }
    result = run_audit(replica_copy, ["IMG", "ANN"], ())
    found = {(f.image_id, f.rule) for f in result.findings}
    assert found == {(image_id, code) for image_id, code in planted.items()}, result.findings


def _cmyk_of(root, image_id):
    return view.recode(root, image_id, "CMYK")
