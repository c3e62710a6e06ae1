"""CSV: dataset.csv is readable, has the documented columns, and each row's labels are coherent.

The cell and row rules are declared once, as the pandera schema in `csv_schema`; each rule
here reports the failures of its own checks.
"""

from __future__ import annotations

from collections.abc import Iterator

from fracqa.catalogue import rule
from fracqa.checks.csv_schema import schema_hits
from fracqa.inputs import CSV
from fracqa.model import Hit
from fracqa.release import Release


def _schema_hits(release: Release, code: str) -> Iterator[Hit]:
    table = release.dataset_csv
    if table is None or table.rows is None:
        return
    hits = release.derived("csv-schema", lambda: schema_hits(table.rows, table.file),
                           uses=(CSV,))
    for hit in hits.get(code, []):
        line = hit.details.get("line")
        if line is None or hit.details.get("column") not in table.unread.get(line, ()):
            yield hit  # a cell fracqa could not read is CSV012's


@rule("CSV001", "csv-unreadable", "csv", "error", "dataset.csv cannot be read as a table",
      needs=(CSV,))
def csv_unreadable(release: Release) -> Iterator[Hit]:
    """dataset.csv is not a CSV table with a header: binary data, not UTF-8, empty, no header.

    Why: every label of every image comes from this file; if it cannot be read, nothing the
    release says about its images can be trusted or checked.
    Fix: re-export dataset.csv as UTF-8 CSV with the header row
    `image_id,hand,leg,hip,shoulder,mixed,hardware,multiscan,fractured,fracture_count,frontal,lateral,oblique`.
    """
    yield from release.problems("CSV001")


@rule("CSV002", "csv-columns", "csv", "error", "a column is missing, unknown or repeated",
      needs=(CSV,))
def csv_columns(release: Release) -> Iterator[Hit]:
    """The header lacks a documented column, has one the release does not document (or one
    without a name: a trailing comma on the header), or repeats one. A name that differs from a
    documented one only in case (`Image_ID`) is one finding for the header, and fracqa reads the
    column as the documented one.

    Why: loaders select columns by name; a missing one breaks them, a misspelt one (`Hand`,
    `fracture count`) silently reads as missing labels (pandas.read_csv keeps `Image_ID`, so
    df['image_id'] fails with a KeyError), and an extra one is usually a stray edit or an
    export artefact.
    Fix: rename or remove the column so the header is exactly the documented thirteen.
    """
    yield from release.problems("CSV002")
    yield from _schema_hits(release, "CSV002")


@rule("CSV004", "image-id-format", "csv", "error", "image_id is not IMG + seven digits + .jpg",
      needs=(CSV,))
def image_id_format(release: Release) -> Iterator[Hit]:
    """An image_id is not `IMG` followed by seven ASCII digits and `.jpg` (e.g.
    `IMG0000019.jpg`). An id written with another script's digits (`IMG٠٠٠٠٣٠٧.jpg`) is read
    with ASCII digits, so that the rest of the audit joins it to its image.

    Why: the id is the file name of the image and the key joining labels, annotations and
    splits; a malformed one matches no image and is lost from every join.
    Fix: correct the id to the image's file name.
    """
    yield from release.problems("CSV004")
    yield from _schema_hits(release, "CSV004")


@rule("CSV005", "duplicate-image-id", "csv", "error", "an image_id is on more than one row",
      needs=(CSV,))
def duplicate_image_id(release: Release) -> Iterator[Hit]:
    """The same image_id appears on two or more rows.

    Why: the image gets two (possibly different) labels; whichever a loader keeps is arbitrary,
    and the published counts are inflated.
    Fix: keep the one correct row for the image and delete the others.
    """
    yield from _schema_hits(release, "CSV005")


@rule("CSV006", "flag-not-binary", "csv", "error", "a flag is not 0 or 1", needs=(CSV,))
def flag_not_binary(release: Release) -> Iterator[Hit]:
    """A flag column (region, view, mixed, hardware, multiscan, fractured) holds something other
    than 0 or 1, or is empty.

    Why: flags are read as booleans; a 2, a blank or a `yes` is read differently by every
    loader, so the same image is labelled differently in different papers.
    Fix: set the flag to 0 or 1 after checking the image.
    """
    yield from _schema_hits(release, "CSV006")


@rule("CSV007", "fracture-count-range", "csv", "error",
      "fracture_count is not a whole number from 0 to 5", needs=(CSV,))  # fmt: skip
def fracture_count_range(release: Release) -> Iterator[Hit]:
    """fracture_count is empty, not a whole number, negative, or above 5 (the most any image of
    the release has).

    Why: fracture_count is the number of annotated fractures, used to weight and stratify
    training; a wrong value misstates how many fractures the image shows.
    Fix: count the image's annotated instances and write that number.
    """
    yield from _schema_hits(release, "CSV007")


@rule("CSV008", "fractured-count-disagree", "csv", "error",
      "fractured is 1 but fracture_count is 0, or the reverse", needs=(CSV,))  # fmt: skip
def fractured_count_disagree(release: Release) -> Iterator[Hit]:
    """fractured must be 1 exactly when fracture_count is 1 or more.

    Why: the classification label (fractured) and the localisation label (fracture_count)
    contradict each other; a classifier and a detector trained on the release learn different
    truths about the same radiograph.
    Fix: look at the image and its annotations, then correct whichever label is wrong.
    """
    yield from _schema_hits(release, "CSV008")


@rule("CSV009", "no-region", "csv", "warning", "no body region is set", needs=(CSV,))
def no_region(release: Release) -> Iterator[Hit]:
    """None of hand, leg, hip, shoulder is 1.

    Why: every radiograph of the release shows some body part; a row with none drops out of
    every per-region analysis and of the published region counts.
    Fix: set the region (or regions) the image shows.
    """
    yield from _schema_hits(release, "CSV009")


@rule("CSV010", "mixed-flag", "csv", "warning",
      "mixed disagrees with the number of regions set", needs=(CSV,))  # fmt: skip
def mixed_flag(release: Release) -> Iterator[Hit]:
    """mixed must be 1 exactly when two or more of hand, leg, hip, shoulder are 1.

    Why: mixed marks radiographs that show several body parts; when it disagrees with the
    region flags one of them is wrong, and region-stratified results are skewed.
    Fix: correct the region flags or mixed so that they agree.
    """
    yield from _schema_hits(release, "CSV010")


@rule("CSV011", "no-view", "csv", "warning", "no view is set", needs=(CSV,))
def no_view(release: Release) -> Iterator[Hit]:
    """None of frontal, lateral, oblique is 1.

    Why: every radiograph is taken in some view; a row with none is missing a label and falls
    out of the published view counts.
    Fix: set the view (or views) the image shows.
    """
    yield from _schema_hits(release, "CSV011")


@rule("CSV012", "csv-ragged-row", "csv", "error",
      "a row has more or fewer fields than the header", needs=(CSV,))  # fmt: skip
def csv_ragged_row(release: Release) -> Iterator[Hit]:
    """A row of dataset.csv has a different number of fields from the header. One finding per
    cause, naming every line: rows short of the same fields, rows with extra fields, or every
    row with the same extra fields. fracqa reads a short row with the missing cells empty, a
    longer one without its extra fields when they are empty (a trailing comma) and otherwise as
    its image_id alone; the cells it could not read are left out of the other checks.

    Why: pandas.read_csv fills the missing fields of a short row with NaN (the column turns
    into floats) and fails on the whole file at a longer row ('Expected 13 fields in line 5,
    saw 14'); when the first row, or every row, has extra fields it silently takes the first
    column (image_id) as the index and shifts every column, so df['image_id'] holds the hand
    flags and every label is read from the wrong column.
    Fix: repair the row (a missing or extra comma is the usual cause).
    """
    yield from release.problems("CSV012")


@rule("CSV017", "csv-repeated-header", "csv", "error",
      "the header row is repeated among the rows", needs=(CSV,))  # fmt: skip
def csv_repeated_header(release: Release) -> Iterator[Hit]:
    """A row of dataset.csv repeats the header (`image_id,hand,leg,...`), as two exports joined
    into one file leave it; fracqa skips it. One finding naming every such line.

    Why: pandas.read_csv reads it as a row of data: every column then holds text ('fractured'
    among the 0s and 1s), so df['fractured'] == 1 matches no row and every count of the
    release is 0, while the row itself is an image called 'image_id'.
    Fix: delete the repeated header line.
    """
    yield from release.problems("CSV017")
