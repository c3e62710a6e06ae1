"""Read dataset.csv robustly into a table of strings, one row per image, indexed by line number.

Accepted silently, as pandas.read_csv accepts them: a byte-order mark (the real release has one),
CRLF or CR line endings, blank lines and lines of spaces. Whitespace around cells and header names
is stripped, but recorded, since pandas.read_csv keeps it: around a header name or an image_id
(CSV013: the column or the image is not found), around a number (CSV015: pandas reads the
number, a reader of the text does not). A row of empty cells (`,,,,`) is skipped and recorded
(CSV016: pandas reads it as a row without an image_id and turns every flag into a float).
Anything else that stops a row being read is a problem for the rules.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fracqa.columns import COLUMNS, IMAGE_ID
from fracqa.load.files import Unreadable, read_document
from fracqa.model import Hit

_BOM = b"\xef\xbb\xbf"


@dataclass
class DatasetCsv:
    """dataset.csv as read: `rows` holds strings (index: line number), `problems` what failed."""

    file: str
    rows: pd.DataFrame | None = None
    sha256: str | None = None  # of the bytes read
    problems: list[tuple[str, Hit]] = field(default_factory=list)

    def problem(self, code: str, message: str, location: str | None = None, **details) -> None:
        image_id = details.pop("image_id", None)
        self.problems.append((code, Hit(message, image_id, self.file, location, details)))


def read_dataset_csv(path: Path, file: str = "dataset.csv") -> DatasetCsv:
    """Read dataset.csv at `path`; `file` is how findings name it."""
    table = DatasetCsv(file)
    text = _decode(path, table)
    if text is None:
        return table
    try:
        numbered = _numbered_rows(text)
    except csv.Error as error:
        table.problem("CSV001", f"{file} is not valid CSV: {error}")
        return table
    if not numbered:
        table.problem("CSV001", f"{file} holds no rows at all")
        return table
    header_line, raw_header = numbered[0]
    header = [c.strip() for c in raw_header]
    if not _is_header(header):
        table.problem(
            "CSV001",
            f"{file} has no header row: line {header_line} is data ({', '.join(header[:3])}, ...)",
            f"line {header_line}",
        )
        return table
    header = _name_columns(header, table)
    if len(numbered) == 1:
        table.problem("CSV001", f"{file} has a header but no rows", f"line {header_line}")
        return table
    rows, index = [], []
    padding = _Padding(header, table)
    padding.check_header(raw_header, header_line)
    for line, raw in numbered[1:]:
        cells = [c.strip() for c in raw]
        if not any(cells):
            _empty_row(line, len(cells), table)
            continue
        if len(cells) != len(header):
            first = cells[0] if cells else ""
            table.problem(
                "CSV012",
                f"line {line} has {len(cells)} fields where the header has {len(header)}: "
                "the row cannot be read",
                f"line {line}",
                image_id=first if IMAGE_ID.fullmatch(first) else None,
                fields=len(cells),
                expected=len(header),
            )
            continue
        padding.check(line, raw, cells)
        rows.append(cells)
        index.append(line)
    padding.report()
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(index, name="line"), dtype=str)
    table.rows = frame.loc[:, ~frame.columns.duplicated()]
    return table


def _decode(path: Path, table: DatasetCsv) -> str | None:
    try:
        data = read_document(path)
    except Unreadable as error:
        table.problem("CSV001", f"{table.file} {error}")
        return None
    table.sha256 = hashlib.sha256(data).hexdigest()
    data = data.removeprefix(_BOM)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        table.problem("CSV001", f"{table.file} is UTF-16 text, not UTF-8: pandas.read_csv and "
                                "every reader of the release read it as UTF-8 and fail")
        return None
    if b"\x00" in data:
        table.problem("CSV001", f"{table.file} is binary data, not text (it holds NUL bytes)")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        table.problem(
            "CSV001",
            f"{table.file} is not UTF-8 text: byte 0x{data[error.start]:02x} at offset "
            f"{error.start} cannot be decoded",
        )
        return None


def _numbered_rows(text: str) -> list[tuple[int, list[str]]]:
    """The records with the file line each starts on, cells as written; blank lines and lines
    of spaces (one cell of nothing but whitespace) are left out, as pandas.read_csv leaves
    them out."""
    reader = csv.reader(io.StringIO(text, newline=""))
    numbered, previous_end = [], 0
    for cells in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if len(cells) > 1 or (cells and cells[0].strip()):
            numbered.append((start, cells))
    return numbered


def _empty_row(line: int, fields: int, table: DatasetCsv) -> None:
    table.problem("CSV016", f"line {line} is a row of {fields} empty cells: fracqa skips it, "
                            "pandas.read_csv reads it as a row without an image_id and, because "
                            "of its empty flags, turns every flag and fracture_count into a "
                            "float (1.0)", f"line {line}", fields=fields)  # fmt: skip


class _Padding:
    """Cells written with spaces around them: one problem per header name and per image_id
    (CSV013: a plain reader's column or id matches nothing), or a single one when the whole file
    is written so (every name and id padded: one cause, the file's separator); one per other
    column (CSV015: pandas still reads the number)."""

    def __init__(self, header: list[str], table: DatasetCsv):
        self.header, self.table = header, table
        self.id_column = header.index("image_id") if "image_id" in header else None
        self.others: dict[int, list[tuple[int, str, str]]] = {}
        self.names: list[tuple[str, dict]] = []  # (message, details) of padded header names
        self.ids: list[tuple[str, str, dict]] = []  # (message, location, details) of padded ids
        self.rows = 0

    def check_header(self, raw: list[str], line: int) -> None:
        for position, name in enumerate(raw, start=1):
            if name != name.strip() and name.strip():
                self.names.append((
                    f"header name {name!r} (column {position}) has spaces around it: fracqa "
                    f"strips them, pandas.read_csv keeps them, so df[{name.strip()!r}] fails "
                    "with a KeyError", {"column": name.strip(), "written": name}))  # fmt: skip
        self.header_line, self.header_names = line, sum(1 for name in raw if name.strip())

    def check(self, line: int, raw: list[str], cells: list[str]) -> None:
        self.rows += 1
        if raw == cells:
            return
        image_id = cells[self.id_column] if self.id_column is not None else None
        for position, (written, value) in enumerate(zip(raw, cells, strict=True)):
            if written == value or not value:
                continue
            if position == self.id_column:
                self.ids.append((
                    f"image_id {written!r} has spaces around it: fracqa strips them, "
                    f"pandas.read_csv keeps them, and {written!r} is not the file name "
                    f"{value!r}: the row's labels join no image", f"line {line}",
                    {"image_id": value, "column": "image_id", "written": written}))  # fmt: skip
            else:
                self.others.setdefault(position, []).append((line, written, image_id))

    def report(self) -> None:
        if (self.rows > 1 and len(self.ids) == self.rows
                and len(self.names) == self.header_names):  # fmt: skip
            self.table.problem(
                "CSV013", f"every header name and every image_id of {self.table.file} has spaces "
                          f"around it (the header is written {self.names[0][1]['written']!r}, "
                          f"..., the first id {self.ids[0][2]['written']!r}): fracqa strips "
                          "them, pandas.read_csv keeps them, so no column is found by its name "
                          "and no row joins its image", f"line {self.header_line}",
                names=[details["written"] for _, details in self.names],
                rows=len(self.ids))  # fmt: skip
        else:
            for message, details in self.names:
                self.table.problem("CSV013", message, f"line {self.header_line}", **details)
            for message, location, details in self.ids:
                self.table.problem("CSV013", message, location, **details)
        for position, found in sorted(self.others.items()):
            column = self.header[position]
            lines = [line for line, _, _ in found]
            images = sorted({image for _, _, image in found if image})
            where = (f"line {lines[0]}" if len(found) == 1 else
                     f"{len(found)} rows, the first line {lines[0]}")  # fmt: skip
            self.table.problem(
                "CSV015", f"column {column!r} has values written with spaces around them "
                          f"({found[0][1]!r}, {where}): fracqa and pandas.read_csv read the "
                          "number, but a reader of the text (the csv module, a comparison with "
                          f"'{found[0][1].strip()}') does not",
                f"line {lines[0]}", image_id=images[0] if len(images) == 1 else None,
                column=column, lines=lines[:50], count=len(found))  # fmt: skip


def _is_header(cells: list[str]) -> bool:
    names = {c.lower() for c in cells}
    return bool(names & set(COLUMNS)) and not any(IMAGE_ID.fullmatch(c) for c in cells)


def _name_columns(header: list[str], table: DatasetCsv) -> list[str]:
    """Give unnamed columns a visible name and report repeated ones."""
    named, seen = [], set()
    for position, name in enumerate(header, start=1):
        name = name or f"(unnamed column {position})"
        if name in seen:
            table.problem(
                "CSV002",
                f"column {name!r} appears twice in the header: the second one is ignored",
                "line 1",
                column=name,
            )
        seen.add(name)
        named.append(name)
    return named


def typed_meta(rows: pd.DataFrame | None) -> pd.DataFrame:
    """The rows as a typed table: image_id, each flag and fracture_count as nullable integers
    (missing where the cell is not an integer), and the line number."""
    columns = {"image_id": pd.Series(dtype=str), "line": pd.Series(dtype="Int64")}
    if rows is None:
        return pd.DataFrame({**columns, **{c: pd.Series(dtype="Int64") for c in COLUMNS[1:]}})
    meta = pd.DataFrame(index=rows.index)
    meta["image_id"] = rows["image_id"] if "image_id" in rows else pd.Series(dtype=str)
    for column in COLUMNS[1:]:
        meta[column] = integer_column(rows[column]) if column in rows else pd.NA
        meta[column] = meta[column].astype("Int64")
    meta["line"] = rows.index.astype("int64")
    return meta.reset_index(drop=True)


def integer_column(cells: pd.Series) -> pd.Series:
    """Cells that hold a whole number, as Int64; anything else missing."""
    numbers = pd.to_numeric(cells, errors="coerce").astype(float)
    # A whole number that an integer holds exactly ('inf' and '1e400' are not: cast, they
    # would read as -9223372036854775808).
    whole = numbers.notna() & (numbers.abs() < 2**53) & (numbers == numbers.round())
    return numbers.where(whole).astype("Float64").astype("Int64")
