"""LAY: the parts of the release are where a FracAtlas release keeps them."""

from __future__ import annotations

from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.layout import ANNOTATION_FORMATS, FORMAT_FOLDER_NAME, SPLITS
from fracqa.model import Hit
from fracqa.release import Release


@rule("LAY001", "missing-dataset-csv", "layout", "error", "dataset.csv is missing")
def missing_dataset_csv(release: Release) -> Iterator[Hit]:
    """The release has no dataset.csv at its root.

    Why: dataset.csv carries every image's labels (fracture, body region, view, hardware,
    fracture_count); without it no image can be trained on or checked, and every CSV rule and
    every rule comparing labels with annotations is skipped.
    Fix: restore dataset.csv at the root of the release, with its header row.
    """
    if release.layout.dataset_csv is None:
        yield Hit("dataset.csv is missing: no image's labels can be checked", file="dataset.csv")


@rule("LAY002", "missing-image-folder", "layout", "error", "an image folder is missing")
def missing_image_folder(release: Release) -> Iterator[Hit]:
    """images/Fractured or images/Non_fractured is missing.

    Why: the folder an image sits in is its class on disk; a missing folder means every image
    of that class is missing, and the folder rules cannot tell where images belong.
    Fix: restore the folder with its images (both folders, even if one is meant to be empty).
    """
    layout = release.layout
    for path, name in (
        (layout.fractured_dir, "images/Fractured"),
        (layout.non_fractured_dir, "images/Non_fractured"),
    ):
        if path is None and not layout.unreadable(name):  # LAY010 reports an unreadable one
            yield Hit(f"{name}/ is missing: none of its images can be checked", file=name)


@rule("LAY003", "missing-annotation-folder", "layout", "error",
      "an annotation format's folder is missing")  # fmt: skip
def missing_annotation_folder(release: Release) -> Iterator[Hit]:
    """One of Annotations/COCO JSON, VGG JSON, YOLO or PASCAL VOC is missing.

    Why: users pick the format their framework reads; a release missing one silently gives
    them no masks or boxes, and the formats can no longer be checked against each other.
    Fix: restore the folder (the formats are derived from the COCO masks: regenerate it).
    """
    for fmt in ANNOTATION_FORMATS:
        name = f"Annotations/{FORMAT_FOLDER_NAME[fmt]}"
        if release.layout.annotation_dirs.get(fmt) is None and not release.layout.unreadable(name):
            yield Hit(f"{name}/ is missing: no {fmt.upper()} annotations", file=name)


@rule("LAY004", "missing-split-folder", "layout", "error",
      "the Fracture Split folder is missing")  # fmt: skip
def missing_split_folder(release: Release) -> Iterator[Hit]:
    """Utilities/Fracture Split, which holds the official train/valid/test lists, is missing.

    Why: without the official split, every paper builds its own and their scores stop being
    comparable; leakage between splits cannot be checked.
    Fix: restore Utilities/Fracture Split/ with train.csv, valid.csv and test.csv.
    """
    name = "Utilities/Fracture Split"
    if release.layout.split_dir is None and not release.layout.unreadable(name):
        yield Hit(f"{name}/ is missing: the official split cannot be checked", file=name)


@rule("LAY005", "missing-split-file", "layout", "error", "a split file is missing")
def missing_split_file(release: Release) -> Iterator[Hit]:
    """train.csv, valid.csv or test.csv is missing from the Fracture Split folder.

    Why: the images of that split fall out of the official split, and models evaluated on it
    are evaluated on something else.
    Fix: restore the file, header `image_id`, one fractured image id per line.
    """
    layout = release.layout
    if layout.split_dir is None:
        return
    for split in SPLITS:
        if layout.split_files.get(split) is None:
            name = f"{layout.relative(layout.split_dir)}/{split}.csv"
            yield Hit(f"{name} is missing: the {split} split is unknown", file=name)


@rule("LAY006", "ambiguous-part", "layout", "warning",
      "a part of the release is present under two names")  # fmt: skip
def ambiguous_part(release: Release) -> Iterator[Hit]:
    """Two folders or files spell the same part (e.g. both Annotations/ and Annotation/), or a
    COCO or VGG folder holds another JSON file beside the documented one
    (`COCO_fracture_masks (1).json` beside `COCO_fracture_masks.json`): fracqa audits the
    documented file alone and reports each other one, or, when none is the documented file,
    reads them all.

    Why: tools pick one of them at random; the other is either stale or holds data nobody sees,
    and a reader that loads every .json of the folder reads each image's annotations twice.
    Fix: merge the two and keep one, spelled as the release documents it.
    """
    for note in release.layout.notes:
        if note.kind == "ambiguous":
            yield Hit(note.message, file=note.path)


@rule("LAY007", "link-outside-root", "layout", "error",
      "a part of the release is a link to outside it")  # fmt: skip
def link_outside_root(release: Release) -> Iterator[Hit]:
    """A folder or file of the release is a symbolic link that leads outside the release.

    Why: what lies outside is not part of the published release (and may be anything on the
    machine building it); fracqa neither follows nor audits it.
    Fix: replace the link with the real files.
    """
    for note in release.layout.notes:
        if note.kind == "outside-root":
            yield Hit(note.message, file=note.path)
