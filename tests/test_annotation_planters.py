"""The annotation defect planters, each on a clone of the committed sample release."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fixtures import defects_annotations as planters
from fixtures.defects import clone_release, rename_to_variant

SAMPLE_ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "sample" / "FracAtlas"
COCO = Path("Annotations", "COCO JSON", "COCO_fracture_masks.json")
VGG = Path("Annotations", "VGG JSON", "VGG_fracture_masks.json")
MULTI = "IMG0000307.jpg"  # fractured, 3 instances
OTHER_MULTI = "IMG0002589.jpg"  # fractured, 4 instances
SINGLE = "IMG0000600.jpg"  # fractured, 1 instance
NON_FRACTURED = "IMG0000199.jpg"


# Whatever a test plants in its clone, the committed sample stays byte-identical.
pytestmark = pytest.mark.usefixtures("sample_stays_pristine")


@pytest.fixture
def root(tmp_path) -> Path:
    return clone_release(SAMPLE_ROOT, tmp_path)


# ---------------------------------------------------------------- reading a tree in the tests


def coco(root: Path) -> dict:
    return json.loads((root / COCO).read_text(encoding="utf-8"))


def coco_number(document: dict, image_id: str) -> int:
    return next(e["id"] for e in document["images"] if e["file_name"] == image_id)


def coco_anns(root: Path, image_id: str) -> list[dict]:
    document = coco(root)
    number = coco_number(document, image_id)
    return [a for a in document["annotations"] if a["image_id"] == number]


def vgg_regions(root: Path, image_id: str) -> list[dict]:
    document = json.loads((root / VGG).read_text(encoding="utf-8"))
    return next(e["regions"] for e in document.values() if e["filename"] == image_id)


def yolo_file(root: Path, image_id: str) -> Path:
    return root / "Annotations" / "YOLO" / f"{Path(image_id).stem}.txt"


def yolo_lines(root: Path, image_id: str) -> list[list[str]]:
    text = yolo_file(root, image_id).read_text(encoding="utf-8")
    return [line.split() for line in text.splitlines() if line.strip()]


def voc_file(root: Path, image_id: str) -> Path:
    return root / "Annotations" / "PASCAL VOC" / f"{Path(image_id).stem}.xml"


def voc(root: Path, image_id: str) -> ET.Element:
    return ET.fromstring(voc_file(root, image_id).read_bytes())


def voc_boxes(root: Path, image_id: str) -> list[list[int]]:
    return [
        [int(obj.findtext(f"bndbox/{tag}")) for tag in ("xmin", "ymin", "xmax", "ymax")]
        for obj in voc(root, image_id).findall("object")
    ]


def same_inode(a: Path, b: Path) -> bool:
    return a.stat().st_ino == b.stat().st_ino


# ---------------------------------------------------------------- hard links


def test_yolo_planter_leaves_the_pristine_hard_link_alone(root):
    pristine = yolo_file(SAMPLE_ROOT, MULTI)
    before = pristine.read_bytes()
    assert same_inode(pristine, yolo_file(root, MULTI))  # the clone shares the file
    assert planters.move_yolo_box(root, MULTI) == MULTI
    assert pristine.read_bytes() == before
    assert yolo_file(root, MULTI).read_bytes() != before
    assert not same_inode(pristine, yolo_file(root, MULTI))


def test_voc_planter_leaves_the_pristine_hard_link_alone(root):
    pristine = voc_file(SAMPLE_ROOT, MULTI)
    before = pristine.read_bytes()
    assert same_inode(pristine, voc_file(root, MULTI))
    assert planters.swap_voc_corners(root, MULTI) == MULTI
    assert pristine.read_bytes() == before
    assert voc_file(root, MULTI).read_bytes() != before


# ---------------------------------------------------------------- any format


@pytest.mark.parametrize("fmt", planters.FORMATS)
def test_remove_instance_drops_one_instance_in_one_format(root, fmt):
    counts = {
        "coco": lambda: len(coco_anns(root, MULTI)),
        "vgg": lambda: len(vgg_regions(root, MULTI)),
        "yolo": lambda: len(yolo_lines(root, MULTI)),
        "voc": lambda: len(voc_boxes(root, MULTI)),
    }
    before = {name: count() for name, count in counts.items()}
    last_yolo = yolo_lines(root, MULTI)[-1]
    assert planters.remove_instance(root, MULTI, fmt) == MULTI
    after = {name: count() for name, count in counts.items()}
    assert after == {name: n - (name == fmt) for name, n in before.items()}
    if fmt == "yolo":
        assert last_yolo not in yolo_lines(root, MULTI)


def test_remove_instance_rejects_unknown_format_and_image_without_instance(root):
    with pytest.raises(ValueError, match="unknown format"):
        planters.remove_instance(root, MULTI, "json")
    with pytest.raises(planters.UnsuitableImageError):
        planters.remove_instance(root, NON_FRACTURED, "voc")
    with pytest.raises(planters.UnsuitableImageError):
        planters.remove_instance(root, NON_FRACTURED, "coco")


def test_planters_follow_folder_variants(root):
    rename_to_variant(root)
    planters.remove_instance(root, MULTI, "coco")
    planters.remove_instance(root, MULTI, "voc")
    assert not (root / "Annotations").exists()
    variant = root / "Annotation"
    document = json.loads((variant / "COCO JSON" / COCO.name).read_text(encoding="utf-8"))
    number = coco_number(document, MULTI)
    assert sum(a["image_id"] == number for a in document["annotations"]) == 2
    xml = ET.fromstring((variant / "PASCAL VOC" / "IMG0000307.xml").read_bytes())
    assert len(xml.findall("object")) == 2


# ---------------------------------------------------------------- COCO


def test_shift_coco_bbox_moves_x_only(root):
    before = coco_anns(root, MULTI)[0]
    planters.shift_coco_bbox(root, MULTI)
    after = coco_anns(root, MULTI)[0]
    assert after["bbox"][0] == pytest.approx(before["bbox"][0] + 40)
    assert after["bbox"][1:] == before["bbox"][1:]
    assert after["segmentation"] == before["segmentation"]


def test_coco_two_point_polygon(root):
    before = coco_anns(root, MULTI)[0]
    planters.coco_two_point_polygon(root, MULTI)
    after = coco_anns(root, MULTI)[0]
    assert after["segmentation"] == [before["segmentation"][0][:4]]
    assert (after["bbox"], after["area"]) == (before["bbox"], before["area"])


def test_coco_bowtie_polygon(root):
    planters.coco_bowtie_polygon(root, MULTI)
    annotation = coco_anns(root, MULTI)[0]
    x, y, w, h = annotation["bbox"]
    polygon = annotation["segmentation"][0]
    assert polygon == pytest.approx([x, y, x + w, y + h, x + w, y, x, y + h])


@pytest.mark.parametrize("how", ["reversed", "rotated", "closed"])
def test_redraw_polygons_keeps_the_vertices(root, how):
    before = coco_anns(root, MULTI)[0]["segmentation"][0]
    vgg_before = vgg_regions(root, MULTI)[0]["shape_attributes"]["all_points_x"]
    planters.redraw_polygons(root, "coco", how)
    after = coco_anns(root, MULTI)[0]["segmentation"][0]
    points = list(zip(before[0::2], before[1::2], strict=True))
    redrawn = list(zip(after[0::2], after[1::2], strict=True))
    assert redrawn != points and set(redrawn) == set(points)
    assert len(redrawn) == len(points) + (how == "closed")
    assert vgg_regions(root, MULTI)[0]["shape_attributes"]["all_points_x"] == vgg_before
    planters.redraw_polygons(root, "vgg", how, MULTI)
    assert vgg_regions(root, MULTI)[0]["shape_attributes"]["all_points_x"] != vgg_before
    with pytest.raises(ValueError, match="no polygons"):
        planters.redraw_polygons(root, "yolo", how)


def test_coco_bowtie_polygon_in_vgg_too(root):
    planters.coco_bowtie_polygon(root, MULTI, vgg=True)
    x, y, w, h = coco_anns(root, MULTI)[0]["bbox"]
    shape = vgg_regions(root, MULTI)[0]["shape_attributes"]
    # the corners (x, y), (x + w, y + h), (x + w, y), (x, y + h), an axis at a time (pytest 9.2's
    # approx compares no nested sequences)
    assert shape["all_points_x"] == pytest.approx([x, x + w, x + w, x])
    assert shape["all_points_y"] == pytest.approx([y, y + h, y, y + h])


def test_coco_polygon_as_pairs(root):
    flat = coco_anns(root, MULTI)[0]["segmentation"][0]
    planters.coco_polygon_as_pairs(root, MULTI)
    assert coco_anns(root, MULTI)[0]["segmentation"] == [list(p) for p in zip(
        flat[0::2], flat[1::2], strict=True)]


def test_coco_vertex_outside(root):
    planters.coco_vertex_outside(root, MULTI)
    document = coco(root)
    width = next(e["width"] for e in document["images"] if e["file_name"] == MULTI)
    assert coco_anns(root, MULTI)[0]["segmentation"][0][0] == width + 50


def test_swap_coco_size(root):
    entry = next(e for e in coco(root)["images"] if e["file_name"] == MULTI)
    planters.swap_coco_size(root, MULTI)
    swapped = next(e for e in coco(root)["images"] if e["file_name"] == MULTI)
    assert (swapped["width"], swapped["height"]) == (entry["height"], entry["width"])


def test_swap_coco_size_refuses_a_square_image(root):
    document = coco(root)
    entry = next(e for e in document["images"] if e["file_name"] == MULTI)
    entry["height"] = entry["width"]
    (root / COCO).unlink()
    (root / COCO).write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(planters.UnsuitableImageError, match="square"):
        planters.swap_coco_size(root, MULTI)


def test_add_coco_annotation_to_an_annotated_image(root):
    before = coco(root)
    planters.add_coco_annotation_to(root, MULTI)
    after = coco(root)
    assert len(after["images"]) == len(before["images"])
    assert len(coco_anns(root, MULTI)) == 4
    ids = [a["id"] for a in after["annotations"]]
    assert len(ids) == len(set(ids))
    new = coco_anns(root, MULTI)[-1]
    x, y, w, h = new["bbox"]
    xs, ys = new["segmentation"][0][0::2], new["segmentation"][0][1::2]
    assert (min(xs), min(ys), max(xs), max(ys)) == (x, y, x + w, y + h)
    assert new["area"] == pytest.approx(w * h) and new["category_id"] == 1


def test_add_coco_annotation_to_an_image_not_in_coco(root):
    planters.add_coco_annotation_to(root, NON_FRACTURED)
    document = coco(root)
    entry = next(e for e in document["images"] if e["file_name"] == NON_FRACTURED)
    assert (entry["width"], entry["height"]) == (2304, 2880)  # read from the JPEG
    assert len({e["id"] for e in document["images"]}) == len(document["images"])
    assert len(coco_anns(root, NON_FRACTURED)) == 1


def test_coco_annotation_missing_image(root):
    before = coco(root)
    assert planters.coco_annotation_missing_image(root) is None
    after = coco(root)
    assert len(after["annotations"]) == len(before["annotations"]) + 1
    assert after["annotations"][-1]["image_id"] not in {e["id"] for e in after["images"]}


def test_duplicate_coco_annotation_id(root):
    planters.duplicate_coco_annotation_id(root, MULTI)
    duplicate = coco_anns(root, MULTI)[0]["id"]
    holders = [a["image_id"] for a in coco(root)["annotations"] if a["id"] == duplicate]
    assert len(holders) == 2 and len(set(holders)) == 2  # shared with another image's annotation


def test_unknown_coco_category(root):
    planters.unknown_coco_category(root, MULTI)
    assert coco_anns(root, MULTI)[0]["category_id"] == 7
    assert 7 not in {c["id"] for c in coco(root)["categories"]}


def test_scale_coco_area(root):
    before = coco_anns(root, MULTI)[0]["area"]
    planters.scale_coco_area(root, MULTI)
    assert coco_anns(root, MULTI)[0]["area"] == pytest.approx(before * 3)


def test_truncate_coco_file(root):
    size = (root / COCO).stat().st_size
    assert planters.truncate_coco_file(root) is None
    assert (root / COCO).stat().st_size == size // 3
    with pytest.raises(json.JSONDecodeError):
        coco(root)


# ---------------------------------------------------------------- VGG


def test_move_vgg_polygon(root):
    before = vgg_regions(root, MULTI)
    planters.move_vgg_polygon(root, MULTI)
    after = vgg_regions(root, MULTI)
    xs_before = before[0]["shape_attributes"]["all_points_x"]
    assert after[0]["shape_attributes"]["all_points_x"] == pytest.approx(
        [x + 30 for x in xs_before]
    )
    assert (
        after[0]["shape_attributes"]["all_points_y"]
        == before[0]["shape_attributes"]["all_points_y"]
    )
    assert after[1:] == before[1:]


def test_remove_from_vgg(root):
    planters.remove_from_vgg(root, MULTI)
    document = json.loads((root / VGG).read_text(encoding="utf-8"))
    assert MULTI not in {e["filename"] for e in document.values()}
    assert OTHER_MULTI in {e["filename"] for e in document.values()}


# ---------------------------------------------------------------- YOLO


def test_delete_yolo_file(root):
    assert planters.delete_yolo_file(root, MULTI) == MULTI
    assert not yolo_file(root, MULTI).exists()
    assert yolo_file(SAMPLE_ROOT, MULTI).exists()


def test_move_yolo_box(root):
    before = yolo_lines(root, MULTI)
    planters.move_yolo_box(root, MULTI, dx=0.12)
    after = yolo_lines(root, MULTI)
    assert float(after[0][1]) == pytest.approx(float(before[0][1]) + 0.12)
    assert after[0][2:] == before[0][2:] and after[1:] == before[1:]


def test_set_yolo_width(root):
    planters.set_yolo_width(root, MULTI)
    assert float(yolo_lines(root, MULTI)[0][3]) == 1.3


def test_yolo_line_with_fields(root):
    before = yolo_lines(root, MULTI)
    planters.yolo_line_with_fields(root, MULTI, fields=3)
    after = yolo_lines(root, MULTI)
    assert after[0] == before[0][:3] and after[1:] == before[1:]


def test_set_yolo_class(root):
    planters.set_yolo_class(root, MULTI)
    assert yolo_lines(root, MULTI)[0][0] == "3"


def test_add_yolo_box(root):
    planters.add_yolo_box(root, MULTI)
    assert yolo_lines(root, MULTI)[-1] == ["0", "0.5", "0.5", "0.1", "0.1"]
    assert len(yolo_lines(root, MULTI)) == 4


def test_add_yolo_box_creates_a_missing_file(root):
    yolo_file(root, NON_FRACTURED).unlink()
    planters.add_yolo_box(root, NON_FRACTURED)
    assert yolo_lines(root, NON_FRACTURED) == [["0", "0.5", "0.5", "0.1", "0.1"]]


def test_swap_yolo_centres_swaps_every_line(root):
    before = yolo_lines(root, MULTI)
    planters.swap_yolo_centres(root, MULTI)
    assert yolo_lines(root, MULTI) == [[c, y, x, w, h] for c, x, y, w, h in before]


def test_normalise_yolo_by_another_size(root):
    before = yolo_lines(root, MULTI)
    planters.normalise_yolo_by(root, MULTI)  # 373x454: by 454x373
    after = yolo_lines(root, MULTI)
    assert float(after[0][1]) == pytest.approx(float(before[0][1]) * 373 / 454, abs=1e-6)
    assert float(after[0][4]) == pytest.approx(float(before[0][4]) * 454 / 373, abs=1e-6)


def test_delete_non_fractured_yolo_voc(root):
    assert planters.delete_non_fractured_yolo_voc(root) is None
    assert not yolo_file(root, NON_FRACTURED).exists()
    assert not voc_file(root, NON_FRACTURED).exists()
    assert yolo_file(root, MULTI).exists() and voc_file(root, MULTI).exists()
    assert (root / "Annotations" / "YOLO" / "classes.txt").exists()
    assert len(list((root / "Annotations" / "YOLO").glob("IMG*.txt"))) == 16


# ---------------------------------------------------------------- PASCAL VOC


def test_shift_voc_boxes_moves_every_object(root):
    before = voc_boxes(root, MULTI)
    planters.shift_voc_boxes(root, MULTI, dx=20)
    assert voc_boxes(root, MULTI) == [[x0 + 20, y0, x1 + 20, y1] for x0, y0, x1, y1 in before]


@pytest.mark.parametrize("every_corner", [False, True])
def test_one_based_voc(root, every_corner):
    before = {image: voc_boxes(root, image) for image in (MULTI, SINGLE, NON_FRACTURED)}
    planters.one_based_voc(root, every_corner=every_corner)
    step = [1, 1, 1, 1] if every_corner else [1, 1, 0, 0]
    for image, boxes in before.items():
        assert voc_boxes(root, image) == [[v + d for v, d in zip(b, step, strict=True)]
                                          for b in boxes]  # fmt: skip
    assert voc_boxes(root, NON_FRACTURED) == []
    planters.one_based_voc(root, SINGLE)
    assert voc_boxes(root, SINGLE)[0][0] == before[SINGLE][0][0] + 2


def test_voc_from_yolo_after_a_yolo_edit(root):
    before = voc_boxes(root, MULTI)
    assert planters.voc_from_yolo(root, MULTI) == MULTI
    assert all(max(abs(a - b) for a, b in zip(x, y, strict=True)) <= 1
               for x, y in zip(voc_boxes(root, MULTI), before, strict=True))  # fmt: skip
    planters.swap_yolo_centres(root, MULTI)
    planters.voc_from_yolo(root, MULTI)
    assert voc_boxes(root, MULTI) != before


def test_swap_voc_corners(root):
    before = voc_boxes(root, MULTI)
    planters.swap_voc_corners(root, MULTI)
    xmin, ymin, xmax, ymax = before[0]
    assert voc_boxes(root, MULTI) == [[xmax, ymin, xmin, ymax], *before[1:]]


def test_set_voc_width(root):
    planters.set_voc_width(root, MULTI, 999)
    assert voc(root, MULTI).findtext("size/width") == "999"


def test_voc_filename(root):
    planters.voc_filename(root, MULTI, OTHER_MULTI)
    assert voc(root, MULTI).findtext("filename") == OTHER_MULTI


def test_remove_voc_object(root):
    before = voc_boxes(root, MULTI)
    assert planters.remove_voc_object(root, MULTI) == MULTI
    assert voc_boxes(root, MULTI) == before[:-1]


def test_corrupt_voc(root):
    assert planters.corrupt_voc(root, MULTI) == MULTI
    with pytest.raises(ET.ParseError):
        voc(root, MULTI)


def test_round_voc_box_moves_one_corner_by_one_pixel_within_tolerance(root):
    before = voc_boxes(root, MULTI)
    assert planters.round_voc_box(root, MULTI) == MULTI
    after = voc_boxes(root, MULTI)
    assert after[1:] == before[1:]
    differences = [a - b for a, b in zip(after[0], before[0], strict=True)]
    assert sorted(abs(d) for d in differences) == [0, 0, 0, 1]
    x, y, w, h = coco_anns(root, MULTI)[0]["bbox"]
    assert after[0] == pytest.approx([x, y, x + w, y + h], abs=1.0)


def test_add_voc_object_to_an_existing_file(root):
    planters.add_voc_object(root, MULTI)
    objects = voc(root, MULTI).findall("object")
    assert len(objects) == 4 and objects[-1].findtext("name") == "fractured"
    xmin, ymin, xmax, ymax = voc_boxes(root, MULTI)[-1]
    assert 0 <= xmin < xmax <= 373 and 0 <= ymin < ymax <= 454


@pytest.mark.parametrize("state", ["empty", "absent"])
def test_add_voc_object_to_a_non_fractured_image(root, state):
    path = voc_file(root, NON_FRACTURED)
    path.unlink()
    if state == "empty":
        path.write_bytes(b"")
    planters.add_voc_object(root, NON_FRACTURED)
    document = voc(root, NON_FRACTURED)
    assert document.findtext("filename") == NON_FRACTURED
    assert document.findtext("folder") == "Non_fractured"
    assert (document.findtext("size/width"), document.findtext("size/height")) == ("2304", "2880")
    assert len(voc_boxes(root, NON_FRACTURED)) == 1


def test_voc_object_name(root):
    planters.voc_object_name(root, MULTI)
    assert voc(root, MULTI).find("object").findtext("name") == "fracture"
    assert [o.findtext("name") for o in voc(root, MULTI).findall("object")[1:]] == [
        "fractured",
        "fractured",
    ]
