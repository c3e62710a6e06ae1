"""The image, split and region defect planters, each on a clone of the committed sample release."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fixtures import defects_images as planters
from fixtures.defects import CsvText, clone_release, find_image
from fixtures.spec import REGIONS

SAMPLE_ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "sample" / "FracAtlas"
SPLIT_DIR = Path("Utilities", "Fracture Split")
FRACTURED = "IMG0000307.jpg"  # train, 373 x 454
OTHER_FRACTURED = "IMG0000467.jpg"  # train, 373 x 454
VALID = "IMG0003786.jpg"
TEST = "IMG0003564.jpg"
NON_FRACTURED = "IMG0000329.jpg"  # 373 x 454
LARGE_NON_FRACTURED = "IMG0000199.jpg"  # 2304 x 2880
SQUAT_NON_FRACTURED = "IMG0002822.jpg"  # 373 x 214


# Whatever a test plants in its clone, the committed sample stays byte-identical.
pytestmark = pytest.mark.usefixtures("sample_stays_pristine")


@pytest.fixture
def root(tmp_path) -> Path:
    return clone_release(SAMPLE_ROOT, tmp_path)


def same_inode(a: Path, b: Path) -> bool:
    return a.stat().st_ino == b.stat().st_ino


def pristine_image(image_id: str) -> Path:
    return find_image(SAMPLE_ROOT, image_id)


def split_lines(root: Path, split: str) -> list[str]:
    return (root / SPLIT_DIR / f"{split}.csv").read_text(encoding="utf-8").splitlines()


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def csv_rows(root: Path) -> dict[str, dict[str, str]]:
    table = CsvText.read(root)
    header = table.rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in table.rows[1:] if row}


# ---------------------------------------------------------------- images


def test_truncate_image_cuts_the_bytes_and_leaves_the_hard_link_alone(root):
    path = find_image(root, FRACTURED)
    before = path.read_bytes()
    assert same_inode(path, pristine_image(FRACTURED))
    assert planters.truncate_image(root, FRACTURED) == FRACTURED
    data = path.read_bytes()
    assert data == before[: len(before) // 2]
    assert not same_inode(path, pristine_image(FRACTURED))
    with pytest.raises(OSError), Image.open(path) as image:
        image.load()


def test_truncate_image_rejects_a_fraction_outside_0_1(root):
    with pytest.raises(ValueError, match="fraction"):
        planters.truncate_image(root, FRACTURED, fraction=1.5)


def test_empty_image_leaves_a_zero_byte_file(root):
    assert planters.empty_image(root, NON_FRACTURED) == NON_FRACTURED
    path = find_image(root, NON_FRACTURED)
    assert path.stat().st_size == 0
    assert not same_inode(path, pristine_image(NON_FRACTURED))


def test_resize_image_halves_width_and_height(root):
    width, height = planters.image_size(root, FRACTURED)
    yolo = root / "Annotations" / "YOLO" / "IMG0000307.txt"
    yolo_before = yolo.read_bytes()
    assert planters.resize_image(root, FRACTURED) == FRACTURED
    path = find_image(root, FRACTURED)
    with Image.open(path) as image:
        image.load()
        assert image.format == "JPEG"
        assert image.size == (round(width / 2), round(height / 2))
    assert yolo.read_bytes() == yolo_before
    assert not same_inode(path, pristine_image(FRACTURED))


def test_copy_image_bytes_makes_the_target_byte_identical(root):
    assert planters.copy_image_bytes(root, FRACTURED, OTHER_FRACTURED) == OTHER_FRACTURED
    target = find_image(root, OTHER_FRACTURED)
    assert target.read_bytes() == pristine_image(FRACTURED).read_bytes()
    assert target.read_bytes() != pristine_image(OTHER_FRACTURED).read_bytes()
    assert not same_inode(target, pristine_image(OTHER_FRACTURED))
    assert find_image(root, FRACTURED).read_bytes() == pristine_image(FRACTURED).read_bytes()


def test_same_size_partner_picks_the_first_candidate_of_equal_size(root):
    candidates = [LARGE_NON_FRACTURED, SQUAT_NON_FRACTURED, NON_FRACTURED, OTHER_FRACTURED]
    assert planters.same_size_partner(root, FRACTURED, candidates) == NON_FRACTURED
    assert planters.same_size_partner(root, FRACTURED, [FRACTURED, OTHER_FRACTURED]) == (
        OTHER_FRACTURED
    )
    with pytest.raises(planters.UnsuitableImageError):
        planters.same_size_partner(root, FRACTURED, [LARGE_NON_FRACTURED])


def test_brightened_copy_is_a_near_duplicate_not_a_byte_copy(root):
    partner = planters.same_size_partner(root, FRACTURED, [LARGE_NON_FRACTURED, OTHER_FRACTURED])
    assert partner == OTHER_FRACTURED
    size = planters.image_size(root, partner)
    assert planters.brightened_copy(root, FRACTURED, partner) == partner
    target = find_image(root, partner)
    assert target.read_bytes() != pristine_image(FRACTURED).read_bytes()
    assert target.read_bytes() != pristine_image(partner).read_bytes()
    assert not same_inode(target, pristine_image(partner))
    assert planters.image_size(root, partner) == size
    difference = pixels(target) - pixels(pristine_image(FRACTURED))
    assert 10 < difference.mean() < 14  # brightened by about 12
    assert np.abs(difference - 12).mean() < 2  # otherwise the same picture


def test_brightened_copy_takes_the_targets_size(root):
    size = planters.image_size(root, SQUAT_NON_FRACTURED)
    planters.brightened_copy(root, NON_FRACTURED, SQUAT_NON_FRACTURED)
    assert planters.image_size(root, SQUAT_NON_FRACTURED) == size


def test_identical_non_fractured_pair(root):
    first, second = planters.identical_non_fractured_pair(root)
    rows = csv_rows(root)
    assert first != second
    assert rows[first]["fractured"] == rows[second]["fractured"] == "0"
    assert find_image(root, second).read_bytes() == find_image(root, first).read_bytes()
    assert find_image(root, second).read_bytes() != pristine_image(second).read_bytes()
    assert planters.image_size(SAMPLE_ROOT, first) == planters.image_size(SAMPLE_ROOT, second)
    assert planters.identical_non_fractured_pair(clone_release(SAMPLE_ROOT, root.parent / "b")) == (
        first,
        second,
    )


# ---------------------------------------------------------------- splits


def test_split_ids_reads_each_split(root):
    assert FRACTURED in planters.split_ids(root, "train")
    assert planters.split_ids(root, "valid") == ["IMG0003786.jpg", "IMG0003870.jpg"]
    assert planters.split_ids(root, "test") == [TEST]
    with pytest.raises(ValueError, match="unknown split"):
        planters.split_ids(root, "training")


def test_add_to_split_lists_a_train_image_in_test_too(root):
    assert planters.add_to_split(root, FRACTURED, "test") == FRACTURED
    assert split_lines(root, "test") == ["image_id", TEST, FRACTURED]
    assert FRACTURED in split_lines(root, "train")
    with pytest.raises(planters.UnsuitableImageError):
        planters.add_to_split(root, FRACTURED, "train")


def test_add_to_split_lists_a_non_fractured_image(root):
    planters.add_to_split(root, NON_FRACTURED, "train")
    assert split_lines(root, "train")[-1] == NON_FRACTURED


def test_add_unknown_to_split(root):
    assert planters.add_unknown_to_split(root) == "IMG0009999.jpg"
    assert split_lines(root, "valid")[-1] == "IMG0009999.jpg"
    assert "IMG0009999.jpg" not in csv_rows(root)
    with pytest.raises(planters.UnsuitableImageError):
        planters.add_unknown_to_split(root, "test", FRACTURED)


def test_remove_from_splits_removes_every_listing(root):
    planters.add_to_split(root, FRACTURED, "test")
    assert planters.remove_from_splits(root, FRACTURED) == FRACTURED
    for split in ("train", "valid", "test"):
        assert FRACTURED not in split_lines(root, split)
    assert split_lines(root, "test") == ["image_id", TEST]
    with pytest.raises(planters.UnsuitableImageError):
        planters.remove_from_splits(root, FRACTURED)


def test_move_between_splits_moves_ids_deterministically(root):
    train_before = planters.split_ids(root, "train")
    moved = planters.move_between_splits(root, 3)
    assert len(set(moved)) == 3
    assert set(moved) <= set(train_before)
    assert planters.split_ids(root, "train") == [i for i in train_before if i not in moved]
    assert planters.split_ids(root, "test") == [TEST, *moved]
    again = clone_release(SAMPLE_ROOT, root.parent / "again")
    assert planters.move_between_splits(again, 3) == moved
    with pytest.raises(planters.UnsuitableImageError):
        planters.move_between_splits(root, 5, source="valid", target="train")


def test_delete_split_file(root):
    assert planters.delete_split_file(root) is None
    assert not (root / SPLIT_DIR / "valid.csv").exists()
    assert (root / SPLIT_DIR / "train.csv").exists()


def test_duplicate_split_entry(root):
    assert planters.duplicate_split_entry(root, VALID) == VALID
    assert split_lines(root, "valid") == ["image_id", VALID, VALID, "IMG0003870.jpg"]
    with pytest.raises(planters.UnsuitableImageError):
        planters.duplicate_split_entry(root, NON_FRACTURED)


def test_split_without_header(root):
    assert planters.split_without_header(root) is None
    assert split_lines(root, "test") == [TEST]
    assert planters.split_ids(root, "test") == [TEST]
    with pytest.raises(ValueError, match="no header"):
        planters.split_without_header(root)


def test_split_planters_keep_bom_and_crlf(root):
    path = root / SPLIT_DIR / "test.csv"
    path.write_bytes(b"\xef\xbb\xbfimage_id\r\n" + TEST.encode() + b"\r\n")
    planters.add_to_split(root, FRACTURED, "test")
    assert path.read_bytes() == (
        b"\xef\xbb\xbfimage_id\r\n" + f"{TEST}\r\n{FRACTURED}\r\n".encode()
    )


# ---------------------------------------------------------------- dataset.csv regions


def region_counts(root: Path, fractured: str) -> dict[str, int]:
    rows = [row for row in csv_rows(root).values() if row["fractured"] == fractured]
    return {name: sum(row[name] == "1" for row in rows) for name in (*REGIONS, "mixed")}


def test_move_region_moves_hand_to_leg(root):
    before = region_counts(root, "0")
    fractured_before = region_counts(root, "1")
    moved = planters.move_region(root, count=2)
    assert len(set(moved)) == 2
    after = region_counts(root, "0")
    assert after["hand"] == before["hand"] - 2
    assert after["leg"] == before["leg"] + 2
    assert after["mixed"] == before["mixed"]
    assert region_counts(root, "1") == fractured_before
    rows = csv_rows(root)
    for image_id in moved:
        assert (rows[image_id]["hand"], rows[image_id]["leg"], rows[image_id]["mixed"]) == (
            "0",
            "1",
            "0",
        )
        assert sum(rows[image_id][name] == "1" for name in REGIONS) == 1
    again = clone_release(SAMPLE_ROOT, root.parent / "again")
    assert planters.move_region(again, count=2) == moved


def test_move_region_on_fractured_images_and_too_many(root):
    moved = planters.move_region(root, count=2, source="hand", target="hip", fractured=1)
    rows = csv_rows(root)
    assert all(rows[i]["fractured"] == "1" and rows[i]["hip"] == "1" for i in moved)
    with pytest.raises(planters.UnsuitableImageError):
        planters.move_region(root, count=150)
