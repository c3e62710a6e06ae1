"""Hostile input: fracqa reports it, never follows it out of the root, never writes into the
release, and stays bounded."""

from __future__ import annotations

import builtins
import hashlib
import os
from pathlib import Path

import pytest

from fixtures import defects
from fixtures import defects_annotations as annotations
from fracqa.cli import main
from fracqa.config import Settings
from fracqa.load import files
from fracqa.runner import run_audit
from tests.helpers import SAMPLE_EXPECTATIONS, findings_of, image_with
from tests.report_fixture import planted_release
from tests.report_schema import read_report

ONE_PROCESS = Settings(workers=1, expectations=SAMPLE_EXPECTATIONS)


def tree_state(root: Path) -> dict[str, str]:
    """Every entry under root: files by content hash, links by target, folders by name."""
    state = {}
    for folder, subfolders, names in os.walk(root):
        for name in subfolders + names:
            path = Path(folder, name)
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                state[key] = "link:" + os.readlink(path)
            elif path.is_file():
                state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                state[key] = "folder"
    return state


@pytest.fixture
def opened(monkeypatch):
    """The paths this process opens while the test runs."""
    paths: list[str] = []
    real_open = builtins.open

    def recording_open(file, *args, **kwargs):
        paths.append(os.path.realpath(file) if isinstance(file, str | Path) else str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    return paths


def _billion_laughs_voc(root: Path) -> str:
    image_id = image_with(root, fractured=1, fracture_count=1)
    entities = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};'
                       f'&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">'
                       for i in range(1, 10))  # fmt: skip
    bomb = (f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY l0 "lol">{entities}]>'
            "<annotation><filename>&l9;</filename></annotation>")  # fmt: skip
    defects.replace_file(annotations.voc_path(root, image_id), bomb.encode())
    return image_id


def _coco_file_name_leaving_the_root(root: Path) -> str:
    document = annotations.read_coco(root)
    document["images"][0]["file_name"] = "../../../../etc/passwd"
    annotations.write_coco(root, document)
    return "../../../../etc/passwd"


def _image_linked_outside(root: Path) -> str:
    """An image replaced by a link to a copy of another image, outside the release."""
    secret = root.parent / "secret.jpg"
    secret.write_bytes(defects.find_image(root, image_with(root, fractured=0)).read_bytes())
    image_id = image_with(root, fractured=0)
    path = defects.find_image(root, image_id)
    path.unlink()
    path.symlink_to(secret)
    return image_id


def _annotation_linked_outside(root: Path) -> str:
    """A VOC file replaced by a link to its copy outside the release."""
    voc = annotations.voc_path(root, image_with(root, fractured=1, fracture_count=1))
    outside = root.parent / "elsewhere.xml"
    outside.write_bytes(voc.read_bytes())
    voc.unlink()
    voc.symlink_to(outside)
    return voc.relative_to(root).as_posix()


def _file_name_with_html(root: Path) -> str:
    name = "IMG<b onmouseover=alert(1)>.jpg"
    source = defects.find_image(root, image_with(root, fractured=0))
    (source.parent / name).write_bytes(source.read_bytes())
    return name


# case -> (planter returning the image or file the finding names, rule, severity)
PLANTED = {
    "billion laughs VOC file": (_billion_laughs_voc, "ANN001", "error"),
    "COCO file_name leaving the root": (_coco_file_name_leaving_the_root, "ANN006", "error"),
    "image linked outside the root": (_image_linked_outside, "IMG014", "error"),
    "VOC file linked outside the root": (_annotation_linked_outside, "LAY007", "error"),
    "file name with HTML": (_file_name_with_html, "IMG003", "error"),
}


@pytest.mark.parametrize("case", PLANTED, ids=list(PLANTED))
def test_planted_hostile_input_is_reported(case, sample_copy):
    planter, code, severity = PLANTED[case]
    named = planter(sample_copy)
    result = run_audit(sample_copy, ignore=["STA"], settings=ONE_PROCESS)
    [finding] = [f for f in findings_of(result, code) if named in (f.image_id, f.file)]
    assert finding.severity.value == severity
    assert result.gates("error") == (severity == "error")


def test_an_audit_with_every_output_leaves_the_tree_untouched(sample_root, tmp_path):
    root, _ = planted_release(sample_root, tmp_path / "release")
    before = tree_state(root)
    outputs = ["--json", str(tmp_path / "a.json"), "--html", str(tmp_path / "a.html"),
               "--junit", str(tmp_path / "a.xml")]  # fmt: skip
    assert main(["audit", str(root), "--expect", str(SAMPLE_EXPECTATIONS), *outputs]) == 1
    assert tree_state(root) == before
    read_report(tmp_path / "a.json")  # the hostile file name is data, the report keeps its shape


def test_outputs_inside_the_release_are_refused(sample_copy, capsys):
    before = tree_state(sample_copy)
    for option in ("--html", "--junit", "--json"):
        assert main(["audit", str(sample_copy), option, str(sample_copy / "images" / "x")]) == 2
    assert tree_state(sample_copy) == before
    assert "inside the release" in capsys.readouterr().err


def test_a_billion_laughs_voc_file_is_refused_quickly(sample_copy, capsys):
    image_id = _billion_laughs_voc(sample_copy)
    result = run_audit(sample_copy, settings=ONE_PROCESS)
    [finding] = findings_of(result, "ANN001")
    assert finding.image_id == image_id and "refused" in finding.message
    assert result.seconds < 30
    assert main(["audit", str(sample_copy), "--expect", str(SAMPLE_EXPECTATIONS)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_a_coco_file_name_leaving_the_root_is_reported_and_not_read(sample_copy, opened):
    _coco_file_name_leaving_the_root(sample_copy)
    result = run_audit(sample_copy, settings=ONE_PROCESS)
    [finding] = findings_of(result, "ANN006")
    assert "a path, not an image name" in finding.message
    assert result.gates("error")
    assert "/etc/passwd" not in opened


def test_an_image_linked_outside_is_reported_and_not_followed(sample_copy, opened):
    image_id = _image_linked_outside(sample_copy)
    result = run_audit(sample_copy, settings=ONE_PROCESS)
    assert [f.image_id for f in findings_of(result, "IMG014")] == [image_id]
    assert str(sample_copy.parent / "secret.jpg") not in opened and result.gates("error")


def test_an_annotation_file_linked_outside_is_reported_and_not_read(sample_copy, opened):
    file = _annotation_linked_outside(sample_copy)
    outside = sample_copy.parent / "elsewhere.xml"
    image_id = image_with(sample_copy, fractured=1, fracture_count=1)
    result = run_audit(sample_copy, settings=ONE_PROCESS)
    [link] = findings_of(result, "LAY007")
    assert link.file == file and str(outside) in link.message
    assert str(outside) not in opened
    assert [f.image_id for f in findings_of(result, "ANN010")] == [image_id]


def test_a_document_over_the_size_limit_is_refused(sample_copy, monkeypatch):
    monkeypatch.setattr(files, "MAX_DOCUMENT_BYTES", 1000)
    result = run_audit(sample_copy, settings=ONE_PROCESS)
    refused = {f.file for f in result.findings if "larger than" in f.message}
    assert "Annotations/COCO JSON/COCO_fracture_masks.json" in refused
    assert "dataset.csv" in refused
    assert result.gates("error")
