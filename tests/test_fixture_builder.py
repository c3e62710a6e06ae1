"""Tests of the FracAtlas fixture builders: specs, the writer and the defect planters."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fixtures import defects
from fixtures.__main__ import main
from fixtures.spec import (
    CSV_COLUMNS,
    REGIONS,
    SPLITS,
    VIEWS,
    ReleaseSpec,
    full_spec,
    is_simple_polygon,
    published_stats,
    reference_fractured,
    reference_instances,
    sample_spec,
    shoelace_area,
)
from fixtures.writer import COCO_PATH, SPLIT_DIR, VGG_PATH, VOC_DIR, YOLO_DIR, write_release

ID_PATTERN = re.compile(r"^IMG\d{7}\.jpg$")
PRESETS = ["sample", "full"]



@pytest.fixture(scope="session")
def sample() -> ReleaseSpec:
    """The sample release as tables."""
    return sample_spec()


@pytest.fixture(scope="session")
def full() -> ReleaseSpec:
    """The full-size replica as tables (never written in unit tests)."""
    return full_spec()


@pytest.fixture(scope="session")
def written_sample(sample: ReleaseSpec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample release written afresh to a session temporary folder."""
    return write_release(sample, tmp_path_factory.mktemp("sample"))

@pytest.fixture(params=PRESETS)
def spec(request: pytest.FixtureRequest) -> ReleaseSpec:
    """Each preset in turn."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def clone(written_sample: Path, tmp_path: Path) -> Path:
    """A fresh clone of the sample tree to plant defects in."""
    return defects.clone_release(written_sample, tmp_path)


def read_csv(root: Path) -> pd.DataFrame:
    """dataset.csv of a written tree."""
    return pd.read_csv(root / "dataset.csv", dtype={"image_id": str}, encoding="utf-8-sig")


def coco(root: Path) -> dict:
    """The COCO document of a written tree."""
    return json.loads((root / COCO_PATH).read_text(encoding="utf-8"))


def coco_boxes(root: Path) -> dict[str, list[list[float]]]:
    """COCO bboxes per image file name, in annotation order."""
    document = coco(root)
    names = {image["id"]: image["file_name"] for image in document["images"]}
    boxes: dict[str, list[list[float]]] = {}
    for annotation in document["annotations"]:
        boxes.setdefault(names[annotation["image_id"]], []).append(annotation["bbox"])
    return boxes


def dhash(path: Path) -> int:
    """A 64-bit difference hash (perceptual) of an image."""
    with Image.open(path) as image:
        small = np.asarray(image.convert("L").resize((9, 8), Image.Resampling.BILINEAR), float)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if bit else "0" for bit in bits), 2)


def tree_digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, keyed by relative path."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def sample_digest(written_sample: Path) -> dict[str, str]:
    """Digest of the pristine sample tree, taken before any clone is planted."""
    return tree_digest(written_sample)


# ---------------------------------------------------------------- specs


def test_full_spec_reproduces_every_published_figure(full: ReleaseSpec) -> None:
    images, stats = full.images, published_stats()
    fractured = images[images["fractured"] == 1]
    non_fractured = images[images["fractured"] == 0]
    dataset = stats["dataset"]
    assert len(images) == dataset["images"]
    assert len(fractured) == dataset["fractured_images"]
    assert len(non_fractured) == dataset["non_fractured_images"]
    assert images["fracture_count"].sum() == dataset["fracture_instances"] == len(full.instances)
    assert fractured["fracture_count"].min() == dataset["fracture_count_min_on_fractured"]
    assert images["fracture_count"].max() == dataset["fracture_count_max"]
    assert images[list(REGIONS)].to_numpy().sum() == dataset["locales"]
    assert images["multiscan"].sum() == dataset["multiscan_images"]
    assert images["hardware"].sum() == dataset["hardware_images"]
    for region, figures in stats["regions"].items():
        assert images[region].sum() == figures["total"], region
        assert fractured[region].sum() == figures["fractured"], region
    for view, figures in stats["views"].items():
        assert images[view].sum() == figures["total"], view
        assert fractured[view].sum() == figures["fractured"], view
        assert non_fractured[view].sum() == figures["non_fractured"], view
    for split, count in stats["splits"].items():
        assert (images["split"] == split).sum() == count, split


def test_flag_rules_hold(spec: ReleaseSpec) -> None:
    images = spec.images
    assert list(images.columns[: len(CSV_COLUMNS)]) == list(CSV_COLUMNS)
    flags = images[list(CSV_COLUMNS[1:])].drop(columns="fracture_count")
    assert set(np.unique(flags.to_numpy())) <= {0, 1}
    regions = images[list(REGIONS)].sum(axis=1)
    views = images[list(VIEWS)].sum(axis=1)
    assert (regions >= 1).all() and (views >= 1).all()
    assert ((regions >= 2).astype(int) == images["mixed"]).all()
    assert ((images["fracture_count"] >= 1).astype(int) == images["fractured"]).all()
    counts = spec.instances.groupby("image_id").size()
    assert (images.set_index("image_id")["fracture_count"].drop(counts.index) == 0).all()
    assert (counts == images.set_index("image_id").loc[counts.index, "fracture_count"]).all()
    assert set(images.loc[images["fractured"] == 1, "split"]) <= set(SPLITS)
    assert (images.loc[images["fractured"] == 0, "split"] == "").all()


def test_flags_are_not_sorted_by_id(full: ReleaseSpec) -> None:
    for column in (*REGIONS, *VIEWS, "hardware", "multiscan"):
        values = full.images[column].to_numpy()
        assert not (np.all(np.diff(values) >= 0) or np.all(np.diff(values) <= 0)), column


def test_ids_are_unique_well_formed_and_in_range(spec: ReleaseSpec) -> None:
    ids = spec.images["image_id"]
    assert ids.is_unique and ids.map(ID_PATTERN.match).notna().all()
    assert ids.map(lambda i: int(i[3:10])).max() <= 4376
    assert spec.images["seed"].is_unique


def test_full_spec_uses_real_fractured_images(full: ReleaseSpec) -> None:
    reference = reference_fractured().set_index("image_id")
    fractured = full.images[full.images["fractured"] == 1].set_index("image_id")
    assert sorted(fractured.index) == sorted(reference.index)
    for column, real in (("width", "width"), ("height", "height"), ("fracture_count", "instances")):
        assert (fractured[column] == reference.loc[fractured.index, real]).all(), column
    assert (fractured["split"] == reference.loc[fractured.index, "split"]).all()
    official = Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "splits"
    for split in SPLITS:
        ids = pd.read_csv(official / f"{split}.csv")["image_id"]
        assert set(ids) == set(fractured.index[fractured["split"] == split])


def test_full_spec_non_fractured_sizes_come_from_real_sizes(full: ReleaseSpec) -> None:
    real = set(zip(reference_fractured()["width"], reference_fractured()["height"], strict=True))
    non = full.images[full.images["fractured"] == 0]
    assert set(zip(non["width"], non["height"], strict=True)) <= real
    assert non["width"].nunique() > 1


def test_instance_boxes_have_real_sizes(spec: ReleaseSpec) -> None:
    real = reference_instances().set_index(["image_id", "instance"])
    boxes = spec.instances.set_index(["image_id", "instance"])
    widths, heights = boxes["x1"] - boxes["x0"], boxes["y1"] - boxes["y0"]
    assert np.allclose(widths, real.loc[boxes.index, "box_width"], atol=1e-6)
    assert np.allclose(heights, real.loc[boxes.index, "box_height"], atol=1e-6)


def test_polygons_are_simple_stars_inside_their_image(spec: ReleaseSpec) -> None:
    sizes = spec.images.set_index("image_id")
    for row in spec.instances.itertuples(index=False):
        polygon = row.polygon
        assert 8 <= len(polygon) <= 14
        assert is_simple_polygon(polygon) and shoelace_area(polygon) > 0
        xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
        assert (min(xs), min(ys), max(xs), max(ys)) == (row.x0, row.y0, row.x1, row.y1)
        assert all(round(v, 1) == v for v in xs + ys)
        assert row.x0 >= 0 and row.x1 <= sizes.loc[row.image_id, "width"]
        assert row.y0 >= 0 and row.y1 <= sizes.loc[row.image_id, "height"]


def test_instances_of_one_image_mostly_do_not_overlap(full: ReleaseSpec) -> None:
    overlapping = 0
    for _, group in full.instances.groupby("image_id"):
        boxes = group[["x0", "y0", "x1", "y1"]].to_numpy()
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1]):
                    overlapping += 1
    assert overlapping <= 5


def test_sample_covers_the_interesting_cases(sample: ReleaseSpec) -> None:
    images = sample.images
    fractured = images[images["fractured"] == 1]
    assert 14 <= len(fractured) <= 18 and 20 <= len(images) - len(fractured) <= 28
    assert ((fractured["width"] == 2304) & (fractured["height"] == 2880)).any()
    assert {2, 3} <= set(fractured["fracture_count"]) and fractured["fracture_count"].max() >= 4
    small = (sample.instances["x1"] - sample.instances["x0"] < 10) | (
        sample.instances["y1"] - sample.instances["y0"] < 10
    )
    assert small.any()
    assert set(fractured["split"]) == set(SPLITS)
    assert images[["mixed", "hardware", "multiscan"]].sum().min() >= 1
    assert set(fractured["image_id"]) <= set(reference_fractured()["image_id"])


def test_specs_are_deterministic_and_seeded(sample: ReleaseSpec) -> None:
    again = sample_spec()
    pd.testing.assert_frame_equal(sample.images, again.images)
    pd.testing.assert_frame_equal(sample.instances, again.instances)
    other = sample_spec(seed=1)
    assert not other.images["seed"].equals(sample.images["seed"])


def test_scaled_full_spec_repeats_the_release_with_new_ids(full: ReleaseSpec) -> None:
    double = full_spec(scale=2)
    assert len(double.images) == 2 * len(full.images)
    assert len(double.instances) == 2 * len(full.instances)
    assert double.images["image_id"].is_unique and double.images["seed"].is_unique
    for column in (*REGIONS, *VIEWS, "hardware", "multiscan", "fractured"):
        assert double.images[column].sum() == 2 * full.images[column].sum(), column
    assert double.images["image_id"].map(ID_PATTERN.match).notna().all()


# ---------------------------------------------------------------- written sample


def test_dataset_csv_is_plain_utf8_with_lf(written_sample: Path, sample: ReleaseSpec) -> None:
    raw = (written_sample / "dataset.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    assert raw.split(b"\n", 1)[0].decode() == ",".join(CSV_COLUMNS)
    table = read_csv(written_sample)
    expected = sample.images[list(CSV_COLUMNS)].sort_values("image_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_images_are_real_jpegs_of_the_spec_size(written_sample: Path, sample: ReleaseSpec) -> None:
    for row in sample.images.itertuples(index=False):
        folder = "Fractured" if row.fractured else "Non_fractured"
        with Image.open(written_sample / "images" / folder / row.image_id) as image:
            assert image.format == "JPEG" and image.mode == "RGB"
            assert image.size == (row.width, row.height)
    on_disk = {p.name for p in (written_sample / "images").rglob("*.jpg")}
    assert on_disk == set(sample.images["image_id"])


def test_every_image_is_distinct_in_bytes_and_perceptually(written_sample: Path) -> None:
    paths = sorted((written_sample / "images").rglob("*.jpg"))
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    assert len(digests) == len(paths)
    hashes = [dhash(p) for p in paths]
    closest = min(
        bin(hashes[i] ^ hashes[j]).count("1")
        for i in range(len(hashes))
        for j in range(i + 1, len(hashes))
    )
    assert closest >= 8


def test_coco_matches_spec(written_sample: Path, sample: ReleaseSpec) -> None:
    document = coco(written_sample)
    assert document["categories"] == [{"id": 1, "name": "fractured", "supercategory": "fracture"}]
    assert {i["file_name"] for i in document["images"]} == set(sample.fractured_ids)
    assert len({i["id"] for i in document["images"]}) == len(document["images"])
    annotations = document["annotations"]
    assert len(annotations) == len(sample.instances)
    assert len({a["id"] for a in annotations}) == len(annotations)
    for annotation in annotations:
        flat = annotation["segmentation"][0]
        polygon = list(zip(flat[::2], flat[1::2], strict=True))
        x0, y0, w, h = annotation["bbox"]
        assert (x0, y0, x0 + w, y0 + h) == (
            min(flat[::2]),
            min(flat[1::2]),
            max(flat[::2]),
            max(flat[1::2]),
        )
        assert annotation["area"] == pytest.approx(shoelace_area(polygon), abs=1e-3)
        assert annotation["category_id"] == 1 and annotation["iscrowd"] == 0


def test_vgg_is_a_lossless_copy_of_coco(written_sample: Path) -> None:
    document = coco(written_sample)
    names = {i["id"]: i["file_name"] for i in document["images"]}
    coco_polygons: dict[str, list[list[float]]] = {}
    for annotation in document["annotations"]:
        coco_polygons.setdefault(names[annotation["image_id"]], []).append(
            annotation["segmentation"][0]
        )
    vgg = json.loads((written_sample / VGG_PATH).read_text(encoding="utf-8"))
    assert {entry["filename"] for entry in vgg.values()} == set(names.values())
    for key, entry in vgg.items():
        size = (written_sample / "images" / "Fractured" / entry["filename"]).stat().st_size
        assert entry["size"] == size and key == f"{entry['filename']}{size}"
        polygons = [
            [
                v
                for xy in zip(
                    r["shape_attributes"]["all_points_x"],
                    r["shape_attributes"]["all_points_y"],
                    strict=True,
                )
                for v in xy
            ]
            for r in entry["regions"]
        ]
        assert all(r["shape_attributes"]["name"] == "polygon" for r in entry["regions"])
        assert polygons == coco_polygons[entry["filename"]]


def test_yolo_and_voc_agree_with_coco(written_sample: Path, sample: ReleaseSpec) -> None:
    boxes = coco_boxes(written_sample)
    assert (written_sample / YOLO_DIR / "classes.txt").read_text().strip() == "fractured"
    for row in sample.images.itertuples(index=False):
        stem = Path(row.image_id).stem
        lines = (written_sample / YOLO_DIR / f"{stem}.txt").read_text().splitlines()
        voc = ET.parse(written_sample / VOC_DIR / f"{stem}.xml").getroot()
        objects = voc.findall("object")
        assert voc.findtext("filename") == row.image_id
        assert int(voc.findtext("size/width")) == row.width
        assert int(voc.findtext("size/height")) == row.height
        expected = boxes.get(row.image_id, [])
        assert len(lines) == len(objects) == len(expected)
        for line, obj, (x0, y0, w, h) in zip(lines, objects, expected, strict=True):
            label, *numbers = line.split()
            assert label == "0" and all(re.fullmatch(r"\d\.\d{6}", n) for n in numbers)
            cx, cy, bw, bh = map(float, numbers)
            assert cx == pytest.approx((x0 + w / 2) / row.width, abs=1e-6)
            assert cy == pytest.approx((y0 + h / 2) / row.height, abs=1e-6)
            assert bw == pytest.approx(w / row.width, abs=1e-6)
            assert bh == pytest.approx(h / row.height, abs=1e-6)
            voc_box = [int(obj.findtext(f"bndbox/{t}")) for t in ("xmin", "ymin", "xmax", "ymax")]
            assert np.abs(np.array(voc_box) - [x0, y0, x0 + w, y0 + h]).max() <= 1


def test_split_files_list_fractured_ids(written_sample: Path, sample: ReleaseSpec) -> None:
    for split in SPLITS:
        raw = (written_sample / SPLIT_DIR / f"{split}.csv").read_bytes()
        assert b"\r" not in raw
        lines = raw.decode().splitlines()
        assert lines[0] == "image_id"
        assert lines[1:] == sorted(sample.images.loc[sample.images["split"] == split, "image_id"])


def test_no_empty_files_for_non_fractured_when_asked(sample: ReleaseSpec, tmp_path: Path) -> None:
    root = write_release(sample, tmp_path, empty_files_for_non_fractured=False)
    stems = {Path(i).stem for i in sample.fractured_ids}
    assert {p.stem for p in (root / YOLO_DIR).glob("IMG*.txt")} == stems
    assert {p.stem for p in (root / VOC_DIR).glob("*.xml")} == stems


def test_write_release_refuses_an_existing_root(written_sample: Path, sample: ReleaseSpec) -> None:
    with pytest.raises(FileExistsError):
        write_release(sample, written_sample.parent)


def test_cli_builds_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "sample", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str((tmp_path / "FracAtlas").resolve()) in out and "fractured 16" in out
    assert main(["build", "sample", str(tmp_path)]) == 2


def test_committed_sample_matches_a_fresh_build(written_sample: Path, sample_root: Path) -> None:
    fresh, kept = tree_digest(written_sample), tree_digest(sample_root)
    assert fresh.keys() == kept.keys()
    for name in ("dataset.csv", str(COCO_PATH)):
        assert fresh[name] == kept[name], name


# ---------------------------------------------------------------- planters


def test_clone_hard_links_images_and_copies_the_rest(written_sample: Path, clone: Path) -> None:
    assert tree_digest(clone) == tree_digest(written_sample)
    image = next((clone / "images" / "Fractured").iterdir())
    assert image.stat().st_nlink >= 2
    assert (clone / "dataset.csv").stat().st_nlink == 1


def test_set_csv_value(clone: Path) -> None:
    image_id = defects.pick_image(clone, fractured=True)
    assert defects.set_csv_value(clone, image_id, "fracture_count", 7) == image_id
    assert read_csv(clone).set_index("image_id").loc[image_id, "fracture_count"] == 7


def test_drop_and_add_csv_column(clone: Path) -> None:
    defects.drop_csv_column(clone, "hip")
    assert "hip" not in read_csv(clone).columns
    defects.add_csv_column(clone, "age", 42)
    table = read_csv(clone)
    assert table.columns[-1] == "age" and (table["age"] == 42).all()


def test_duplicate_remove_and_rename_rows(clone: Path, sample: ReleaseSpec) -> None:
    first = defects.pick_image(clone, fractured=False)
    second = defects.pick_image(clone, fractured=False, index=1)
    third = defects.pick_image(clone, fractured=True)
    assert defects.duplicate_csv_row(clone, first) == first
    assert defects.remove_csv_row(clone, second) == second
    assert defects.rename_csv_image_id(clone, third, "IMG9999999.jpg") == third
    ids = read_csv(clone)["image_id"]
    assert (ids == first).sum() == 2 and second not in set(ids) and third not in set(ids)
    assert "IMG9999999.jpg" in set(ids) and len(ids) == len(sample.images)


def test_bom_crlf_rewrite_keeps_content(clone: Path, written_sample: Path) -> None:
    defects.rewrite_csv_with_bom_crlf(clone)
    raw = (clone / "dataset.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == raw.count(b"\n")
    pd.testing.assert_frame_equal(read_csv(clone), read_csv(written_sample))
    image_id = defects.pick_image(clone, fractured=True)
    defects.set_csv_value(clone, image_id, "hand", 1)  # later planters keep the format
    assert (clone / "dataset.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_garbage_and_headerless_csv(clone: Path, written_sample: Path) -> None:
    defects.write_headerless_csv(clone)
    lines = (clone / "dataset.csv").read_text().splitlines()
    assert lines == (written_sample / "dataset.csv").read_text().splitlines()[1:]
    defects.write_garbage_csv(clone)
    raw = (clone / "dataset.csv").read_bytes()
    assert len(raw) == 4096
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


@pytest.mark.parametrize("part", sorted(defects.PARTS))
def test_remove_part(clone: Path, part: str) -> None:
    path = defects.part_path(clone, part)
    assert path.exists()
    assert defects.remove_part(clone, part) is None
    assert not path.exists() and (clone / "dataset.csv").exists() != (part == "dataset.csv")


def test_rename_to_variant(clone: Path) -> None:
    defects.rename_to_variant(clone)
    assert (clone / "Annotation" / "COCO JSON").is_dir() and not (clone / "Annotations").exists()
    assert (clone / "utilities" / "Fracture Split").is_dir() and not (clone / "Utilities").exists()
    assert defects.part_path(clone, "split") == clone / "utilities" / "Fracture Split"
    defects.remove_part(clone, "YOLO")
    assert not (clone / "Annotation" / "YOLO").exists()


def test_delete_move_and_copy_images(clone: Path) -> None:
    gone = defects.pick_image(clone, fractured=True)
    moved = defects.pick_image(clone, fractured=True, index=1)
    copied = defects.pick_image(clone, fractured=False)
    assert defects.delete_image(clone, gone) == gone
    assert not (clone / "images" / "Fractured" / gone).exists()
    assert defects.move_image_to_other_folder(clone, moved) == moved
    assert (clone / "images" / "Non_fractured" / moved).exists()
    assert not (clone / "images" / "Fractured" / moved).exists()
    assert defects.copy_image_to_other_folder(clone, copied) == copied
    both = [clone / "images" / f / copied for f in ("Fractured", "Non_fractured")]
    assert both[0].read_bytes() == both[1].read_bytes()


def test_add_orphan_image(clone: Path, written_sample: Path) -> None:
    new_id = "IMG0009999.jpg"
    assert defects.add_orphan_image(clone, new_id) == new_id
    path = clone / "images" / "Non_fractured" / new_id
    with Image.open(path) as image:
        assert image.format == "JPEG"
    existing = {hashlib.sha256(p.read_bytes()).digest() for p in written_sample.rglob("*.jpg")}
    assert hashlib.sha256(path.read_bytes()).digest() not in existing
    assert new_id not in set(read_csv(clone)["image_id"])
    defects.add_orphan_image(clone, "IMG0009998.jpg", folder="Fractured")
    assert (clone / "images" / "Fractured" / "IMG0009998.jpg").exists()


def test_replace_with_png_keeps_pixels(clone: Path, written_sample: Path) -> None:
    image_id = defects.pick_image(clone, fractured=False)
    path = defects.find_image(clone, image_id)
    with Image.open(path) as before:
        pixels = np.asarray(before.convert("RGB"))
    assert defects.replace_with_png(clone, image_id) == image_id
    with Image.open(path) as after:
        assert after.format == "PNG" and np.array_equal(np.asarray(after), pixels)
    with Image.open(defects.find_image(written_sample, image_id)) as original:
        assert original.format == "JPEG"


def test_pick_image_is_deterministic_and_agrees_with_spec(
    written_sample: Path, sample: ReleaseSpec
) -> None:
    for fractured, split in ((True, None), (False, None), (True, "valid"), (True, "test")):
        chosen = defects.pick_image(written_sample, fractured, split)
        assert chosen == defects.pick_image(sample, fractured, split)
        row = sample.images.set_index("image_id").loc[chosen]
        assert row["fractured"] == int(fractured)
        assert split is None or row["split"] == split
    with pytest.raises(ValueError):
        defects.pick_image(sample, False, "train")


def test_planting_every_defect_leaves_the_source_unchanged(
    written_sample: Path, sample_digest: dict[str, str], tmp_path: Path
) -> None:
    clone = defects.clone_release(written_sample, tmp_path)
    for image_id in sorted(read_csv(clone)["image_id"])[:6]:
        defects.replace_with_png(clone, image_id)
    defects.add_orphan_image(clone, "IMG0009997.jpg")
    defects.set_csv_value(clone, defects.pick_image(clone, True), "leg", 0)
    defects.rename_to_variant(clone)
    defects.remove_part(clone, "COCO JSON")
    assert tree_digest(written_sample) == sample_digest
