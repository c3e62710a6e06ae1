"""Read dataset.csv robustly into a table of strings, one row per image, indexed by line number.

Accepted silently: a byte-order mark, CRLF or CR line endings, whitespace around cells and
header names, blank lines. Anything else that stops a row being read is a problem for the rules.
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
    header_line, header = numbered[0]
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
    for line, cells in numbered[1:]:
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
        rows.append(cells)
        index.append(line)
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
    """Non-blank records with the file line each starts on, cells stripped of whitespace."""
    reader = csv.reader(io.StringIO(text, newline=""))
    numbered, previous_end = [], 0
    for cells in reader:
        start, previous_end = previous_end + 1, reader.line_num
        cells = [c.strip() for c in cells]
        if any(cells):
            numbered.append((start, cells))
    return numbered


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
    numbers = pd.to_numeric(cells, errors="coerce")
    whole = numbers.notna() & (numbers == numbers.round())
    return numbers.where(whole).astype("Float64").astype("Int64")
