"""`fracqa diff OLD NEW`: what changed between two versions of a release, and whether the new one
introduces findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures import changes, defects
from fixtures import defects_annotations as annotations
from fixtures import defects_images as images
from fixtures.defects import clone_release
from fracqa.cli import main
from fracqa.compare import diff_releases
from fracqa.options import load_options
from tests.conftest import file_digests
from tests.helpers import SAMPLE_EXPECTATIONS, labels

EXPECT = ["--expect", str(SAMPLE_EXPECTATIONS), "--workers", "1"]  # 40 images: no pool


@pytest.fixture
def versions(sample_root, tmp_path) -> tuple[Path, Path]:
    """Two copies of the sample: the old version and the new one to change."""
    old = clone_release(sample_root, tmp_path / "old")
    return old, clone_release(sample_root, tmp_path / "new")


def ids(root: Path, fractured: int) -> list[str]:
    table = labels(root)
    return sorted(table[table["fractured"] == fractured]["image_id"])


def diff_of(old: Path, new: Path, *options: str) -> tuple[int, dict]:
    report = old.parent.parent / "diff.json"
    code = main(["diff", str(old), str(new), *EXPECT, "--json", str(report), *options])
    return code, json.loads(report.read_text())


def test_lists_exactly_the_changes_made(versions, capsys, sample_stays_pristine):
    old, new = versions
    fractured, non_fractured = ids(new, 1), ids(new, 0)
    removed = [non_fractured[0], non_fractured[1], fractured[0]]
    for image_id in removed:
        changes.remove_image(new, image_id)
    hardware = labels(new).set_index("image_id")["hardware"]
    relabelled = [non_fractured[5], non_fractured[6]]
    for image_id in relabelled:
        defects.set_csv_value(new, image_id, "hardware", 1 - hardware[image_id])
    moved = fractured[3]
    shift = changes.move_instance(new, moved, 20)
    (to_test,) = images.move_between_splits(new, 1, "train", "test")

    code, document = diff_of(old, new, "--ignore", "STA")

    assert code == 0
    assert [r["image_id"] for r in document["images"]["removed"]] == sorted(removed)
    others = {kind: rows for kind, rows in document["images"].items() if kind != "removed"}
    assert not any(others.values())
    assert [(r["image_id"], r["column"], r["old"], r["new"]) for r in document["labels"]] == [
        (i, "hardware", str(hardware[i]), str(1 - hardware[i])) for i in relabelled
    ]
    instances = document["instances"]
    assert sorted(r["format"] for r in instances) == ["coco", "vgg", "voc", "yolo"]
    assert {(r["image_id"], r["change"], r["dx"], r["dy"], r["shift_px"]) for r in instances} == {
        (moved, "moved", shift, 0, 20)
    }
    assert document["splits"] == [{"image_id": to_test, "old": "train", "new": "test"}]
    assert document["rows"] == {"added": [], "removed": []}
    assert document["columns"] == {"added": [], "removed": []}
    assert document["findings"] == {"fixed": [], "introduced": []}
    assert document["summary"]["images_removed"] == 3 and document["summary"]["label_changes"] == 2
    shown = capsys.readouterr().out
    assert f"{moved} COCO" in shown and "moved 20 px" in shown
    assert f"{to_test}: train -> test" in shown


def test_published_figures_that_moved_are_listed(versions):
    old, new = versions
    changes.remove_image(new, ids(new, 0)[0])
    code, document = diff_of(old, new)
    figures = {row["figure"]: row for row in document["figures"]}
    assert figures["dataset.images"]["old"] == 40 and figures["dataset.images"]["new"] == 39
    assert figures["dataset.images"]["delta"] == -1
    introduced = {f["rule"] for f in document["findings"]["introduced"]}
    assert introduced and all(rule.startswith("STA") for rule in introduced)
    assert code == 0  # statistics drift is a warning: below the default --fail-on error


def test_new_findings_fail_and_repaired_ones_are_fixed(versions, capsys):
    old, new = versions
    defective = annotations.add_coco_annotation_to(new, ids(new, 1)[2])
    code, document = diff_of(old, new)
    assert code == 1
    assert [(f["rule"], f["image_id"]) for f in document["findings"]["introduced"]] == [
        ("CSV003", defective)
    ]
    assert document["findings"]["introduced"][0]["fingerprint"]
    assert document["ok"] is False
    assert "FAIL" in capsys.readouterr().out

    code, document = diff_of(new, old)
    assert [(f["rule"], f["image_id"]) for f in document["findings"]["fixed"]] == [
        ("CSV003", defective)
    ]
    assert code == 0 and document["ok"] is True
    code, _ = diff_of(old, new, "--fail-on", "never")
    assert code == 0


def test_images_renamed_replaced_moved_and_added(versions):
    old, new = versions
    non_fractured = ids(new, 0)
    source = defects.find_image(new, non_fractured[2])
    source.rename(source.with_name("IMG0009001.jpg"))
    images.resize_image(new, non_fractured[3])
    defects.move_image_to_other_folder(new, non_fractured[4])
    defects.add_orphan_image(new, "IMG0009002.jpg")
    _, document = diff_of(old, new)
    found = document["images"]
    assert [(r["image_id"], r["new_id"]) for r in found["renamed"]] == [
        (non_fractured[2], "IMG0009001.jpg")
    ]
    (replaced,) = found["replaced"]
    assert replaced["image_id"] == non_fractured[3]
    assert replaced["new_size"] == [replaced["old_size"][0] // 2, replaced["old_size"][1] // 2]
    assert [r["image_id"] for r in found["moved"]] == [non_fractured[4]]
    assert [r["image_id"] for r in found["added"]] == ["IMG0009002.jpg"]
    assert found["removed"] == []
    assert document["instances"] == []  # the annotated images were left alone


def test_instances_added_removed_and_reshaped(versions):
    old, new = versions
    fractured = ids(new, 1)
    annotations.add_voc_object(new, fractured[1])
    annotations.remove_voc_object(new, fractured[2])
    coco = annotations.read_coco(new)
    ring = annotations.coco_annotations(coco, fractured[4])[0]["segmentation"][0]
    middle = [(ring[0] + ring[2]) / 2, (ring[1] + ring[3]) / 2]
    ring[2:2] = middle  # one more vertex on an edge: the outline's points change, not its box
    annotations.write_coco(new, coco)
    _, document = diff_of(old, new)
    found = {(r["image_id"], r["format"], r["change"]) for r in document["instances"]}
    assert found == {(fractured[1], "voc", "added"), (fractured[2], "voc", "removed"),
                     (fractured[4], "coco", "reshaped")}  # fmt: skip


def test_csv_columns_and_rows(versions):
    old, new = versions
    defects.add_csv_column(new, "scanner", "A")
    kept = ids(new, 0)[7]
    defects.remove_csv_row(new, kept)
    _, document = diff_of(old, new)
    assert document["columns"] == {"added": ["scanner"], "removed": []}
    assert document["rows"] == {"added": [], "removed": [kept]}
    assert document["images"]["removed"] == [] and document["labels"] == []


def test_unreadable_format_is_not_compared(versions):
    old, new = versions
    annotations.truncate_coco_file(new)
    _, document = diff_of(old, new)
    assert document["not_compared"] == {"coco": "unreadable or missing in new"}
    assert not any(r["format"] == "coco" for r in document["instances"])
    assert any(f["rule"] == "ANN001" for f in document["findings"]["introduced"])


def test_unreadable_dataset_csv_is_not_compared(versions, capsys):
    old, new = versions
    defects.write_garbage_csv(new)
    _, document = diff_of(old, new)
    assert document["not_compared"] == {"dataset.csv": "unreadable or missing in new"}
    assert document["labels"] == [] and document["columns"] == {"added": [], "removed": []}
    assert document["rows"] == {"added": [], "removed": []}
    assert "dataset.csv not compared: unreadable or missing in new" in capsys.readouterr().out


def test_identical_versions_show_nothing(versions, capsys):
    old, new = versions
    code, document = diff_of(old, new)
    assert code == 0
    assert not any(document["summary"].values())
    assert "No change to the images, labels, instances or splits." in capsys.readouterr().out


def test_html_is_self_contained_and_lists_the_changes(versions, tmp_path):
    old, new = versions
    removed = changes.remove_image(new, ids(new, 0)[0])
    page = tmp_path / "diff.html"
    assert main(["diff", str(old), str(new), *EXPECT, "--html", str(page)]) == 0
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and removed in text
    assert "http://" not in text and "https://" not in text and "<script" not in text


def test_never_writes_inside_either_release(versions, capsys):
    old, new = versions
    before = file_digests(old), file_digests(new)
    assert main(["diff", str(old), str(new), "--json", str(new / "diff.json")]) == 2
    assert "inside the release" in capsys.readouterr().err
    assert main(["diff", str(old), str(new), *EXPECT, "--html", str(old.parent / "d.html")]) == 0
    assert (file_digests(old), file_digests(new)) == before


def test_a_missing_root_is_a_clear_error(versions, capsys):
    old, _ = versions
    assert main(["diff", str(old), str(old.parent / "nowhere")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("fracqa: ") and "Traceback" not in error


def test_api_diff_matches_the_command(versions):
    import fracqa

    old, new = versions
    changes.remove_image(new, ids(new, 0)[0])
    changed = fracqa.diff(old, new, expect=SAMPLE_EXPECTATIONS, ignore=["STA"])
    assert changed.summary()["images_removed"] == 1 and changed.ok
    same = diff_releases(old, new, load_options(new, expect=SAMPLE_EXPECTATIONS))
    assert same.images == changed.images
