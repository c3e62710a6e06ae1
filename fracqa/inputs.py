"""What a rule reads: the inputs of an audit, and what each one needs loaded before it.

A rule declares its inputs (`@rule(..., needs=(CSV, COCO))`); the runner loads the union of the
selected rules' inputs and nothing else, and each rule is shown only what it declared (see
`fracqa.release.RuleView`). The layout (which parts of the release exist, where) is always
known and is not an input.

This module imports nothing, so that the catalogue can read declarations without loading any
of the libraries the rules use.
"""

from __future__ import annotations

CSV = "dataset.csv"  # the rows of dataset.csv, as read and typed
IMAGE_FILES = "image files"  # the files under images/: names, folders, links; none opened
IMAGE_HEADERS = "image headers"  # each image file's bytes, format, size, mode and header record
IMAGE_SCAN = "image scan"  # each image decoded (draft mode): hashes and pixel statistics
IMAGE_TEXT = "image text"  # text burned into the images, read by OCR (only with --ocr)
COCO = "coco"
VGG = "vgg"
YOLO = "yolo"  # normalised boxes; in pixels only where IMAGE_HEADERS gives the image's size
VOC = "voc"
SPLITS = "splits"  # the three split lists
FIGURES = "published figures"  # the expected figures, measured by Great Expectations
WAIVERS = "waivers"  # the waivers file and what it accepted (the waiver rules only)
CROISSANT = "croissant"  # the published Croissant description to compare with (--croissant)

ANNOTATION_FORMATS = (COCO, VGG, YOLO, VOC)
ALL = (CSV, IMAGE_FILES, IMAGE_HEADERS, IMAGE_SCAN, IMAGE_TEXT, *ANNOTATION_FORMATS, SPLITS,
       FIGURES, WAIVERS, CROISSANT)  # fmt: skip

# What must be loaded for an input to be loaded.
REQUIRES: dict[str, tuple[str, ...]] = {
    IMAGE_HEADERS: (IMAGE_FILES,),
    IMAGE_SCAN: (IMAGE_HEADERS,),
    IMAGE_TEXT: (IMAGE_HEADERS,),
    FIGURES: (CSV, SPLITS),
}


def needed_inputs(rules) -> frozenset[str]:
    """What the rules read. The listing of the image files is always taken: it is cheap, and
    it is the image count every report shows."""
    return closure({IMAGE_FILES}.union(*(rule.needs for rule in rules)))


def closure(needs) -> frozenset[str]:
    """`needs` and everything they require."""
    wanted, todo = set(), list(needs)
    while todo:
        name = todo.pop()
        if name not in ALL:
            raise ValueError(f"unknown input {name!r} (known: {', '.join(ALL)})")
        if name not in wanted:
            wanted.add(name)
            todo.extend(REQUIRES.get(name, ()))
    return frozenset(wanted)
