"""What cannot be read at all: a folder that cannot be listed (LAY010), an image file that cannot
be opened (IMG017), an image whose reading kills the process reading it (IMG019). Each is one
finding that says so, and nothing else is reported missing or broken because of it.

The tests run as root, whom file permissions do not stop: an unreadable path is simulated by
making os.scandir, os.listdir and open raise PermissionError for it, and an image that kills
its reader by a reading function that ends its process (inherited by the forked workers)."""

from __future__ import annotations

import builtins
import errno
import io
import os
from pathlib import Path

import pytest

from fixtures import defects
from fixtures import defects_annotations as annotations
from fracqa.config import Settings
from fracqa.load import images as image_loader
from fracqa.runner import run_audit
from tests.helpers import SAMPLE_EXPECTATIONS, codes, findings_of, image_with

# Two processes: an image that kills its reader must meet a worker, never the test's process.
POOL = Settings(workers=2, expectations=SAMPLE_EXPECTATIONS)
TEST_PROCESS = os.getpid()

BLOCKED: set[str] = set()  # paths that cannot be listed or opened
KILLERS: set[str] = set()  # image files whose reading ends the process reading them


def block(path: Path) -> None:
    BLOCKED.add(os.path.abspath(path))


def _refused(path) -> None:
    if not isinstance(path, str | bytes | os.PathLike):
        return  # a file descriptor
    if os.path.abspath(os.fsdecode(path)) in BLOCKED:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))


@pytest.fixture(autouse=True)
def simulated(monkeypatch):
    """Apply BLOCKED and KILLERS (empty unless a test plants into them) for one test."""
    BLOCKED.clear()
    KILLERS.clear()
    real_scandir, real_listdir, real_open = os.scandir, os.listdir, builtins.open
    real_read = image_loader.read_image

    def scandir(path="."):
        _refused(path)
        return real_scandir(path)

    def listdir(path="."):
        _refused(path)
        return real_listdir(path)

    def opening(file, *args, **kwargs):
        _refused(file)
        return real_open(file, *args, **kwargs)

    def read_image(path, *args, **kwargs):
        if os.path.abspath(path) in KILLERS:
            if os.getpid() == TEST_PROCESS:
                raise AssertionError(f"{path} was read in the test's own process")
            os._exit(9)  # as the out-of-memory killer would end it, without a word
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)
    monkeypatch.setattr(builtins, "open", opening)
    monkeypatch.setattr(io, "open", opening)
    monkeypatch.setattr(image_loader, "read_image", read_image)
    yield
    BLOCKED.clear()
    KILLERS.clear()


def audit(root: Path, select=()):
    return run_audit(root, select, ["STA"], POOL)


def _unreadable_part(part: str):
    def planter(root: Path) -> str:
        folder = defects.part_path(root, part)
        block(folder)
        return folder.relative_to(root).as_posix()

    return planter


def _unreadable_sub_folder(root: Path) -> str:
    folder = root / "images" / "Non_fractured" / "scans"
    folder.mkdir()
    block(folder)
    return "images/Non_fractured/scans"


def _unreadable_image(root: Path) -> str:
    image_id = image_with(root, fractured=1)
    block(defects.find_image(root, image_id))
    return image_id


def _image_killing_its_reader(root: Path) -> str:
    image_id = image_with(root, fractured=0)
    KILLERS.add(os.path.abspath(defects.find_image(root, image_id)))
    return image_id


def _unreadable_top(name: str):
    def planter(root: Path) -> str:
        block(root / name)
        return name

    return planter


# case -> (planter returning the folder or image the finding names, rule, severity)
PLANTED = {
    "images/ unreadable": (_unreadable_top("images"), "LAY010", "error"),
    "images/Fractured unreadable": (_unreadable_part("images/Fractured"), "LAY010", "error"),
    "a sub-folder of images/ unreadable": (_unreadable_sub_folder, "LAY010", "error"),
    "Annotations/ unreadable": (_unreadable_top("Annotations"), "LAY010", "error"),
    "YOLO folder unreadable": (_unreadable_part("YOLO"), "LAY010", "error"),
    "Utilities/ unreadable": (_unreadable_top("Utilities"), "LAY010", "error"),
    "Fracture Split unreadable": (_unreadable_part("split"), "LAY010", "error"),
    "image file unreadable": (_unreadable_image, "IMG017", "error"),
    "image killing its reader": (_image_killing_its_reader, "IMG019", "error"),
}


@pytest.mark.parametrize("case", PLANTED)
def test_what_cannot_be_read_is_one_finding_that_says_so(case, sample_copy):
    planter, code, severity = PLANTED[case]
    named = planter(sample_copy)
    result = audit(sample_copy)
    [finding] = findings_of(result, code)
    assert named in (finding.file, finding.image_id)
    assert finding.severity.value == severity
    says = ("killed the process reading it, twice" if code == "IMG019"
            else "cannot be read (Permission denied)" if code == "LAY010"
            else "cannot be read: Permission denied")  # fmt: skip
    assert says in finding.message, finding.message
    assert codes(result) == {code}, result.findings  # not missing, not empty, not broken


def _file_of(root: Path, source: str) -> Path:
    return {"dataset.csv": root / "dataset.csv",
            "split file": defects.part_path(root, "split") / "valid.csv",
            "COCO file": annotations.coco_path(root),
            "VOC file": annotations.voc_path(root, image_with(root, fractured=1)),
            "YOLO file": annotations.yolo_path(root, image_with(root, fractured=1))}[source]


@pytest.mark.parametrize(("source", "code"), [
    ("dataset.csv", "CSV001"), ("split file", "SPL001"), ("COCO file", "ANN001"),
    ("VOC file", "ANN001"), ("YOLO file", "ANN001"),
])  # fmt: skip
def test_an_unreadable_file_of_the_release_is_a_finding_that_says_so(source, code, sample_copy):
    path = _file_of(sample_copy, source)
    block(path)
    result = audit(sample_copy)
    [finding] = findings_of(result, code)
    assert finding.file == path.relative_to(sample_copy).as_posix()
    assert finding.message.endswith("cannot be read: Permission denied"), finding.message


def test_the_layout_rules_still_say_missing_for_what_is_missing(sample_copy):
    """An unreadable folder hides what is under it, nothing else: a part missing elsewhere is
    still reported missing."""
    block(defects.part_path(sample_copy, "YOLO"))
    defects.remove_part(sample_copy, "split")
    defects.remove_part(sample_copy, "images/Non_fractured")
    result = audit(sample_copy, select=["LAY"])
    assert {(f.rule, f.file) for f in result.findings} == {
        ("LAY010", "Annotations/YOLO"), ("LAY004", "Utilities/Fracture Split"),
        ("LAY002", "images/Non_fractured")}  # fmt: skip


def test_an_image_killing_its_reader_is_found_reading_headers_only(sample_copy):
    image_id = _image_killing_its_reader(sample_copy)
    result = audit(sample_copy, select=["IMG019", "IMG005", "IMG017"])
    assert [f.image_id for f in result.findings] == [image_id]
