"""The official split: Utilities/Fracture Split/{train,valid,test}.csv, header `image_id`, one
image id per line.

Read as pandas.read_csv reads a one-column CSV file: lines end at CR and LF only (not at the
form feeds, U+2028 and other characters str.splitlines() breaks at: pandas and the csv module keep
them in the id), blank lines and lines of spaces and tabs are left out, quotes around an id are
CSV quoting. What fracqa reads although pandas would read it otherwise is a problem: white space
around an id or the header, which fracqa strips, and a line of other white space, which it skips
(SPL007: pandas keeps them and the id matches no image), a line with more fields than the header
(SPL009: pandas fails on the file; fracqa takes the first field). A byte-order mark is read as
pandas reads it, and recorded (SPL008: Python's csv module and open() keep it in the header
name); so is a header with columns beside image_id (SPL010: pandas reads df['image_id'], a
reader of the lines does not).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

import pandas as pd

from fracqa.layout import SPLITS, Layout
from fracqa.load.files import BOM, Unreadable, as_text, read_document
from fracqa.model import Hit

SPLIT_COLUMNS = ("image_id", "split", "file", "line")
HEADER = "image_id"


@dataclass
class SplitTables:
    """The split lists as one table, the files that could be read, and what went wrong."""

    table: pd.DataFrame
    complete: bool  # all three files present and readable
    problems: list[tuple[str, Hit]] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # file -> SHA-256 of what was read

    @classmethod
    def empty(cls) -> SplitTables:
        """No split read (the splits were not asked for)."""
        return cls(pd.DataFrame(columns=SPLIT_COLUMNS), complete=False)

    def of(self, image_ids: set[str]) -> dict[str, list[str]]:
        """image_id -> the splits that list it, sorted, for the images of `image_ids` that a
        split lists (a lookup of a few images, not a grouping of every row)."""
        found: dict[str, list[str]] = {}
        for image_id, split in zip(self.table["image_id"].tolist(), self.table["split"].tolist(),
                                   strict=True):  # fmt: skip
            if image_id in image_ids:
                found.setdefault(image_id, []).append(split)
        return {image_id: sorted(splits) for image_id, splits in found.items()}


def load_splits(layout: Layout) -> SplitTables:
    rows, problems, read, digests = [], [], 0, {}
    for split in SPLITS:
        path = layout.split_files.get(split)
        if path is None:
            continue
        file = layout.relative(path)
        try:
            data = read_document(path)
            digests[file] = hashlib.sha256(data).hexdigest()
            text = as_text(data)
        except Unreadable as error:
            problems.append(("SPL001", Hit(f"{file} {error}", file=file)))
            continue
        try:
            numbered, header = _records(text, file, problems)
        except csv.Error as error:
            problems.append(("SPL001", Hit(f"{file} is not valid CSV ({error}): not read",
                                           file=file)))  # fmt: skip
            continue
        if not numbered or numbered[0][1] != HEADER:
            first = numbered[0][1][:40] if numbered else "nothing"
            problems.append(("SPL001", Hit(f"{file} does not start with the header `image_id` "
                                           f"(its first line is {first!r}): not read",
                                           file=file, location="line 1")))  # fmt: skip
            continue
        if len(header) > 1:
            problems.append(("SPL010", _extra_columns(file, numbered, header)))
        if data.startswith(BOM):
            problems.append(("SPL008", Hit(
                f"{file} starts with a UTF-8 byte-order mark: pandas.read_csv skips it, but "
                "Python's csv module and open() read the header as '\\ufeffimage_id', so "
                "row['image_id'] fails with a KeyError", file=file,
                location="line 1")))  # fmt: skip
        read += 1
        rows.extend((image_id, split, file, n) for n, image_id in numbered[1:])
    table = pd.DataFrame(rows, columns=SPLIT_COLUMNS)
    return SplitTables(table, complete=read == len(SPLITS), problems=problems, digests=digests)


def _records(text: str, file: str, problems: list) -> tuple[list[tuple[int, str]], list[str]]:
    """(line number, first field stripped) of each record that is not blank, the white space
    and the extra fields a plain reader would see recorded as problems; and the header's
    fields. Lines end at CR and LF only, as pandas and the csv module end them."""
    numbered, width, header = [], 1, []
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    for fields in reader:
        number, previous_end = previous_end + 1, reader.line_num
        if not fields or not any(f.strip(" \t") for f in fields):
            continue  # blank, or spaces and tabs only: pandas skips the line too
        written, value = fields[0], fields[0].strip()
        if not value and len(fields) == 1:
            problems.append(("SPL007", Hit(
                f"{file} line {number} holds only white space ({written!r}): fracqa skips it, "
                f"pandas.read_csv reads it as an id {written!r}, which matches no image",
                None, file, f"line {number}", {"written": written})))  # fmt: skip
            continue
        if written != value and value:
            what = "the header" if not numbered else f"the id {value}"
            space = "spaces" if set(written) - set(value) <= {" "} else "white space"
            problems.append(("SPL007", Hit(
                f"{file} line {number} writes {what} as {written!r}, with {space} around it: "
                f"fracqa strips it, pandas.read_csv keeps it"
                + (", so df['image_id'] fails with a KeyError" if not numbered else
                   f", and {written!r} matches no image: the image drops out of the split"),
                value if numbered else None, file, f"line {number}",
                {"written": written})))  # fmt: skip
        if not numbered:
            width, header = len(fields), fields
        elif len(fields) > width:
            problems.append(("SPL009", Hit(
                f"{file} line {number} has {len(fields)} fields where the header has {width} "
                f"({','.join(fields)[:80]!r}): fracqa takes the first as the id, pandas.read_csv "
                f"fails on the file ('Expected {width} fields in line {number}, saw "
                f"{len(fields)}') or, on the first row, makes the id the index",
                value, file, f"line {number}", {"fields": fields[:20]})))  # fmt: skip
        numbered.append((number, value))
    return numbered, header


def _extra_columns(file: str, numbered: list[tuple[int, str]], header: list[str]) -> Hit:
    """SPL010: the header has columns beside image_id."""
    return Hit(f"{file} has the header {','.join(header)[:80]!r}, {len(header)} columns where "
               "the release's split files have the one column image_id: pandas.read_csv still "
               "reads df['image_id'], but a reader that takes each line as an id "
               "(open(file).read().splitlines()) gets the other fields with it "
               "('IMG0000019.jpg,train'), which matches no image", None, file,
               f"line {numbered[0][0]}", {"header": header[:20]})  # fmt: skip
