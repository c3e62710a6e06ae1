"""What fracqa's loaders read although a plain reader would read it otherwise.

fracqa reads every source robustly, so that one oddity does not hide the rest of the release.
Each place where a loader normalises or tolerates what it reads (spaces it strips, a byte-order
mark it drops, a number it takes from a string, a repeated key it resolves) is recorded by the
loader and reported here, naming the file, the line or entry, and what the usual reader of that
format (pandas.read_csv, json.load and pycocotools, the YOLO trainers, the VOC devkit) sees
instead: an error where that reader fails or reads something else, a warning where it reads the
same but other readers do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.inputs import COCO, CSV, SPLITS, VGG, VOC, YOLO
from fracqa.load.dataset_csv import integer_column
from fracqa.model import Hit
from fracqa.release import Release

_PLAIN_INTEGER = re.compile(r"0|[1-9][0-9]*")
_FLOAT_NOTATION = re.compile(r"[.eE]")


@rule("CSV013", "csv-padded-name", "csv", "error",
      "a header name or an image_id has spaces or invisible characters around it",
      needs=(CSV,))  # fmt: skip
def csv_padded_name(release: Release) -> Iterator[Hit]:
    """A header name or an image_id of dataset.csv is written with spaces (or other white space)
    before or after it, or with an invisible character (a zero-width space U+200B, a word
    joiner, a byte-order mark) in it, which fracqa strips.

    Why: pandas.read_csv keeps them: a column ` hand` is not `hand` (df['hand'] fails), and
    `IMG0000019.jpg ` is not the file IMG0000019.jpg, so the row's labels join no image and
    the image is left without labels; an invisible character does the same where no one sees it.
    Fix: remove the spaces or characters from the header name or the id.
    """
    yield from release.problems("CSV013")


def _counts(release: Release):
    """(line, image_id, written) of each fracture_count that fracqa reads as a whole number but
    that is not written as plain digits."""
    table = release.dataset_csv
    if table is None or table.rows is None or "fracture_count" not in table.rows:
        return []
    cells = table.rows["fracture_count"]
    whole = integer_column(cells).notna()
    odd = cells[whole & ~cells.str.fullmatch(_PLAIN_INTEGER.pattern)]
    ids = table.rows.get("image_id")
    return [(line, None if ids is None else ids[line], value) for line, value in odd.items()]


@rule("CSV014", "count-written-as-decimal", "csv", "error",
      "fracture_count is written as a decimal number (2.0)", needs=(CSV,))  # fmt: skip
def count_written_as_decimal(release: Release) -> Iterator[Hit]:
    """A fracture_count is written as a decimal or in exponent notation (`2.0`, `2.`, `2e0`):
    fracqa (and CSV007) read the whole number it equals.

    Why: pandas.read_csv turns the whole fracture_count column into floats (2.0 for every
    image), and code that reads the text as an integer (int('2.0')) fails; the count is an
    integer in every other row and in the paper.
    Fix: write the count as a plain integer.
    """
    file = release.dataset_csv.file if release.dataset_csv else None
    for line, image_id, value in _counts(release):
        if _FLOAT_NOTATION.search(value):
            yield Hit(f"fracture_count is written {value!r}: fracqa reads "
                      f"{int(float(value))}, pandas.read_csv reads the whole column as floats "
                      f"and int({value!r}) fails", image_id, file, f"line {line}",
                      {"column": "fracture_count", "value": value})  # fmt: skip


@rule("CSV015", "csv-padded-number", "csv", "warning",
      "a number in dataset.csv is written with spaces or leading zeros", needs=(CSV,))  # fmt: skip
def csv_padded_number(release: Release) -> Iterator[Hit]:
    """A flag or fracture_count is written with spaces around it (` 1`), or a fracture_count
    with a leading zero or sign (`02`, `+2`); fracqa reads the number. One finding per column
    for the spaces, one per cell for the count.

    Why: pandas.read_csv reads the same number, but a reader of the text does not: Python's csv
    module gives ' 1', which is not '1', so a filter on fractured == '1' drops the image.
    Fix: write the value as the plain digits the rest of the file uses.
    """
    yield from release.problems("CSV015")
    file = release.dataset_csv.file if release.dataset_csv else None
    for line, image_id, value in _counts(release):
        if not _FLOAT_NOTATION.search(value):
            yield Hit(f"fracture_count is written {value!r}: fracqa and pandas.read_csv read "
                      f"{int(value)}, a reader of the text reads {value!r}", image_id, file,
                      f"line {line}", {"column": "fracture_count", "value": value})  # fmt: skip


@rule("CSV016", "csv-empty-row", "csv", "error", "dataset.csv has a row of empty cells",
      needs=(CSV,))
def csv_empty_row(release: Release) -> Iterator[Hit]:
    """A line of dataset.csv holds only delimiters (`,,,,,,,,,,,,`), or only empty and blank
    cells; fracqa skips it. (A blank line, which pandas.read_csv skips too, is harmless.)

    Why: pandas.read_csv reads it as a row: an image without an image_id, and since its flags
    are empty every flag column and fracture_count become floats (1.0); row counts and
    published totals are off by one.
    Fix: delete the line.
    """
    yield from release.problems("CSV016")


@rule("SPL007", "split-padded-id", "splits", "error",
      "a split file writes an id or its header with spaces around it",
      needs=(SPLITS,))  # fmt: skip
def split_padded_id(release: Release) -> Iterator[Hit]:
    """A line of a split file has spaces (or other white space: a tab, a no-break space, a
    form feed, U+2028) around the image id or around the header `image_id`, which fracqa
    strips; or a line holds only white space other than spaces and tabs, which fracqa skips.
    (Lines end at CR and LF only: a form feed or U+2028 after an id, where str.splitlines()
    would end the line, is white space around the id.)

    Why: pandas.read_csv keeps them: `IMG0000019.jpg ` matches no image, so the image silently
    drops out of its split, a header ` image_id` makes df['image_id'] fail, and a line of a
    no-break space is an id that matches no image.
    Fix: remove the white space (or the line).
    """
    yield from release.problems("SPL007")


@rule("SPL008", "split-byte-order-mark", "splits", "warning",
      "a split file starts with a byte-order mark", needs=(SPLITS,))  # fmt: skip
def split_byte_order_mark(release: Release) -> Iterator[Hit]:
    """A split file starts with a UTF-8 byte-order mark, which fracqa drops.

    Why: pandas.read_csv drops it too, but Python's csv module and open() keep it: the header
    reads '\\ufeffimage_id' and row['image_id'] fails; the split files of the release have none.
    Fix: save the file as UTF-8 without a byte-order mark.
    """
    yield from release.problems("SPL008")


@rule("SPL009", "split-extra-field", "splits", "error",
      "a line of a split file has more fields than its header", needs=(SPLITS,))  # fmt: skip
def split_extra_field(release: Release) -> Iterator[Hit]:
    """A line of a split file holds more comma-separated fields than the header (one: the id);
    fracqa takes the first field as the id.

    Why: pandas.read_csv fails on the file ('Expected 1 fields ... saw 2'), or, when it is the
    first row, takes the id as the index and reads the wrong column as image_id.
    Fix: write one id per line (remove the extra field or the trailing comma).
    """
    yield from release.problems("SPL009")


@rule("SPL010", "split-extra-column", "splits", "warning",
      "a split file has columns beside image_id", needs=(SPLITS,))  # fmt: skip
def split_extra_column(release: Release) -> Iterator[Hit]:
    """The header of a split file names more than the one column `image_id` (`image_id,split`,
    or a trailing comma), the rows usually holding a value for each. fracqa reads the image_id
    column. One finding per file.

    Why: pandas.read_csv reads df['image_id'] as the release writes it, but the split files
    are also read as lists of ids, a line each (open(file).read().splitlines(), a shell loop):
    such a reader gets 'IMG0000019.jpg,train', which matches no image, and the whole split is
    lost to it.
    Fix: write the header `image_id` and one id per line, nothing else.
    """
    yield from release.problems("SPL010")


@rule("ANN020", "annotation-file-not-plain", "annotations", "error",
      "an annotation file holds what a plain reader rejects (byte-order mark, NaN, a key twice)",
      needs=(COCO, VGG, YOLO))  # fmt: skip
def annotation_file_not_plain(release: Release) -> Iterator[Hit]:
    """A COCO or VGG JSON file, a YOLO label file or YOLO's classes.txt that fracqa reads but a
    plain reader does not: it starts with a UTF-8 byte-order mark; or (JSON) it holds NaN or
    Infinity, which JSON does not allow; or one of its objects has the same key twice. One
    finding per file and cause.

    Why: json.load(open(file)) and pycocotools fail on a byte-order mark, and a YOLO trainer
    reads the first value as '\\ufeff0' and drops the whole label file as corrupt (the image
    trains as a negative); strict JSON readers (a browser's JSON.parse, orjson, serde_json)
    fail on NaN; with a repeated key json.load silently keeps the last value, so an entry, a
    polygon or a whole list of annotations is dropped without a word.
    Fix: save the file as plain UTF-8 JSON (or text) without a byte-order mark; write numbers
    as numbers; keep one value per key.
    """
    yield from release.problems("ANN020")


@rule("ANN021", "ambiguous-shape", "annotations", "error",
      "an instance is written in a form readers take differently",
      needs=(COCO, VGG, VOC))  # fmt: skip
def ambiguous_shape(release: Release) -> Iterator[Hit]:
    """A VGG region is a rect or a polyline where the release writes polygons (fracqa takes the
    rect as a box and closes the polyline); a COCO annotation of a single object (iscrowd 0) has
    a run-length (RLE) mask instead of polygons (fracqa checks its box only); or a VOC file
    repeats an element that readers take once: two <bndbox> or two <name> in one object, two
    <size> or <filename> in the file.

    Why: the readers of VIA polygons (Mask R-CNN's VGG loader, via2coco) read all_points_x/y
    and fail on a rect; a polyline is an open line, not an outline; readers of polygon masks
    (detectron2 by default, torchvision's COCO references) fail on an RLE mask; the VOC devkit,
    torchvision and fracqa read the first of repeated elements, so a second box written into
    one object is lost while another reader may take it.
    Fix: write the region or mask as a polygon; give each box its own <object>, and each
    element once.
    """
    yield from release.problems("ANN021")


@rule("ANN022", "number-as-text", "annotations", "error",
      "a coordinate, size or class is written in a form a plain reader cannot use",
      needs=(COCO, VGG, YOLO, VOC))  # fmt: skip
def number_as_text(release: Release) -> Iterator[Hit]:
    """A COCO bbox, segmentation or area, or a VGG point or rect, is written as a JSON string
    ("215.7"); a VOC size or bndbox corner is not a whole number (`12.0`, `12.5`); or a YOLO
    class is written as a float (`0.0`). fracqa reads the number. One finding per COCO or VGG
    cause (naming every entry), one per VOC or YOLO file.

    Why: torchvision's CocoDetection and detectron2 make tensors from the values and fail on
    text (or join "215.7" + "29.0" as text), COCOeval fails comparing a text area; the VOC
    devkit and mmdetection read corners and sizes with int() and fail on `12.0`; darknet reads
    a YOLO file with fscanf("%d %f %f %f %f"), which takes the `0` of `0.0` as the class and
    `.0` as cx, so every value after it is shifted and every box of the file is wrong
    (ultralytics reads the float).
    Fix: write numbers as JSON numbers, VOC pixels as whole numbers and YOLO classes as
    integers.
    """
    yield from release.problems("ANN022")


@rule("ANN023", "integer-written-as-float", "annotations", "warning",
      "a COCO id or size is written as a float (1.0)", needs=(COCO,))  # fmt: skip
def integer_written_as_float(release: Release) -> Iterator[Hit]:
    """A COCO images entry's id, width or height, an annotation's id or image_id, or a
    category's id is written as a float (`1.0`) where COCO has an integer; fracqa and
    pycocotools read the integer. One finding per key, naming every entry.

    Why: readers with typed fields (Go, Rust, Java, a JSON schema of COCO) refuse the file;
    the release writes integers.
    Fix: write the values as integers.
    """
    yield from release.problems("ANN023")


@rule("ANN024", "padded-annotation-text", "annotations", "error",
      "annotation text has spaces or blank lines that fracqa skips but readers keep",
      needs=(YOLO, VOC))  # fmt: skip
def padded_annotation_text(release: Release) -> Iterator[Hit]:
    """Text that fracqa strips or skips but the usual reader takes as written: spaces around a
    VOC <filename> or <name>; spaces around a class name in YOLO's classes.txt, or blank lines
    before it; a line of spaces between two boxes of a YOLO file.

    Why: the VOC devkit and detectron2 compare <name> as written (' fractured' is no class:
    the box is dropped or the loader fails) and open <filename> as written; readers that number
    the lines of classes.txt shift every class; a YOLO trainer splits a line of spaces into no
    fields, the rows no longer make one array, and the whole label file is dropped as corrupt.
    Fix: remove the spaces and blank lines.
    """
    yield from release.problems("ANN024")
