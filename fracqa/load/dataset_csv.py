"""Read dataset.csv robustly into a table of strings, one row per image, indexed by line number.

Accepted silently, as pandas.read_csv accepts them: a byte-order mark (the real release has one),
CRLF or CR line endings, blank lines and lines of spaces. Whitespace around cells and header names
is stripped, but recorded, since pandas.read_csv keeps it: around a header name or an image_id
(CSV013: the column or the image is not found; invisible characters such as U+200B too), around
a number (CSV015: pandas reads the number, a reader of the text does not). An image_id written
with another script's digits is read with ASCII digits (CSV004). A header name that differs
from a documented one only in case is read as that column (CSV002). A row of empty cells (`,,,,`)
is skipped and recorded (CSV016: pandas reads it as a row without an image_id and turns every
flag into a float), and so is a repetition of the header row (CSV017). A row with fewer fields
than the header is read with the missing cells empty, as pandas fills them with NaN; a row
with more is read without its extra fields when they are empty (a trailing comma), else as its
image_id alone (CSV012, one problem per cause naming every line; `unread` lists the cells not
read, which the cell rules leave to CSV012). When every row has the same extra fields, pandas
silently takes the first column as the index and shifts every column: one problem.
Anything else that stops the file being read is a problem for the rules.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
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
    # line -> the columns of that row fracqa could not read (a field missing or not taken): the
    # cell rules leave them to the CSV012 problem that says why
    unread: dict[int, set[str]] = field(default_factory=dict)

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
    header = [_clean(c) for c in raw_header]
    if not _is_header(header):
        table.problem("CSV001", _no_header(file, header_line, raw_header), f"line {header_line}")
        return table
    header = _name_columns(header, table, header_line)
    if len(numbered) == 1:
        table.problem("CSV001", f"{file} has a header but no rows", f"line {header_line}")
        return table
    shape = _Shape(header, raw_header, numbered[1:], table)
    if shape.unreadable:
        return table
    rows, index = [], []
    padding = _Padding(header, table)
    padding.check_header(raw_header, header_line)
    repeated = []
    for line, raw in numbered[1:]:
        cells = [c.strip() for c in raw]
        if not any(cells):
            _empty_row(line, len(cells), table)
            continue
        if [c.lower() for c in cells] == [_clean(c).lower() for c in raw_header]:
            repeated.append(line)  # the header again: CSV017
            continue
        raw = shape.fit(line, raw)
        cells = [c.strip() for c in raw]
        padding.check(line, raw, cells)
        rows.append(padding.image_id(line, raw, cells))
        index.append(line)
    shape.report()
    padding.report()
    _repeated_header(repeated, header_line, table)
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(index, name="line"), dtype=str)
    table.rows = frame.loc[:, ~frame.columns.duplicated()]
    return table


# Invisible characters (format characters: zero-width spaces and joiners, word joiner, BOM)
# that an editor does not show and pandas.read_csv keeps.
def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf"


def _clean(cell: str) -> str:
    """A header name as fracqa reads it: spaces and invisible characters around it removed."""
    start, end = 0, len(cell)
    while start < end and (cell[start].isspace() or _invisible(cell[start])):
        start += 1
    while end > start and (cell[end - 1].isspace() or _invisible(cell[end - 1])):
        end -= 1
    return cell[start:end]


def _no_header(file: str, line: int, raw: list[str]) -> str:
    """Why the first record is no header: another separator, or data."""
    if len(raw) == 1:
        for separator, name in (("\t", "tabs"), (";", "semicolons"), ("|", "vertical bars")):
            names = {_clean(c).lower() for c in raw[0].split(separator)}
            if len(names & set(COLUMNS)) >= 2:
                return (f"{file} separates its fields with {name}, not commas: pandas.read_csv "
                        f"reads one column named {raw[0][:60]!r}..., so every df[column] fails "
                        "with a KeyError (re-export it as comma-separated CSV)")  # fmt: skip
    shown = ", ".join(_clean(c) for c in raw[:3])
    return f"{file} has no header row: line {line} is data ({shown}, ...)"


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
    of spaces and tabs are left out, as pandas.read_csv leaves them out (a line holding other
    white space, a no-break space say, is a row for pandas: CSV016 reports it)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    numbered, previous_end = [], 0
    for cells in reader:
        start, previous_end = previous_end + 1, reader.line_num
        if len(cells) > 1 or (cells and cells[0].strip(" \t")):
            numbered.append((start, cells))
    return numbered


def _empty_row(line: int, fields: int, table: DatasetCsv) -> None:
    table.problem("CSV016", f"line {line} is a row of {fields} empty cells: fracqa skips it, "
                            "pandas.read_csv reads it as a row without an image_id and, because "
                            "of its empty flags, turns every flag and fracture_count into a "
                            "float (1.0)", f"line {line}", fields=fields)  # fmt: skip


class _Shape:
    """Rows whose number of fields is not the header's, read as far as their fields can be
    told apart and recorded as pandas.read_csv reads them (CSV012): one problem per cause,
    naming every line. A row with fewer fields is padded with empty cells (pandas fills NaN);
    missing fields under unnamed header columns (a trailing comma on the header) are left to
    CSV002. A row with more fields loses them when they are empty (a trailing comma), else
    keeps only its image_id. When every row has the same number of extra fields, pandas
    silently makes the first columns the index and shifts the others: one problem, and the
    rows are read without the extra fields if these are empty (else not at all)."""

    def __init__(self, header: list[str], raw_header: list[str],
                 records: list[tuple[int, list[str]]], table: DatasetCsv):  # fmt: skip
        self.header, self.table, self.width = header, table, len(header)
        self.id_column = header.index("image_id") if "image_id" in header else 0
        data = [(line, raw) for line, raw in records if any(c.strip() for c in raw)]
        self.first = data[0][0] if data else None
        self.causes: dict[tuple, list[tuple[int, str]]] = {}
        self.uniform = self.unreadable = False
        lengths = {len(raw) for _, raw in data}
        if len(lengths) == 1 and min(lengths) > self.width:
            self._every_row_longer(min(lengths), data)

    def _every_row_longer(self, fields: int, data) -> None:
        extra = fields - self.width
        empty = all(not any(c.strip() for c in raw[self.width:]) for _, raw in data)
        comma = " (a trailing comma on every row)" if empty and extra == 1 else ""
        shifted = self.header[min(extra, self.width - 1)]
        message = (f"every row has {fields} fields where the header has {self.width}{comma}: "
                   f"pandas.read_csv silently takes the first {_columns(extra, self.header)} as "
                   f"the index and shifts every column: df[{self.header[0]!r}] holds what the "
                   f"header calls {shifted!r}, and so on")  # fmt: skip
        if empty:
            message += "; fracqa reads the rows without the empty extra field" + (
                "s" if extra > 1 else "")
        else:
            message += "; fracqa cannot tell which fields are extra and reads no row"
            self.unreadable = True
        self.uniform = True
        self.table.problem("CSV012", message, f"line {self.first}", fields=fields,
                           expected=self.width, rows=len(data))  # fmt: skip

    def fit(self, line: int, raw: list[str]) -> list[str]:
        """The row's fields as fracqa reads them: as many as the header's names."""
        fields, width = len(raw), self.width
        if fields == width:
            return raw
        image_id = raw[self.id_column].strip() if self.id_column < fields else ""
        if fields < width:
            missing = [c for c in self.header[fields:] if not c.startswith(UNNAMED)]
            if missing:
                self.causes.setdefault(("short", fields, tuple(missing)), []).append(
                    (line, image_id))
                self.table.unread[line] = set(missing)
            return raw + [""] * (width - fields)
        if self.uniform:
            return raw[:width]
        empty = not any(c.strip() for c in raw[width:])
        self.causes.setdefault(("long", fields, empty, line == self.first), []).append(
            (line, image_id))
        if empty:
            return raw[:width]
        kept = [""] * width
        kept[self.id_column] = raw[self.id_column]
        self.table.unread[line] = {c for i, c in enumerate(self.header) if i != self.id_column}
        return kept

    def report(self) -> None:
        for cause, found in self.causes.items():
            lines = [line for line, _ in found]
            images = [image for _, image in found if IMAGE_ID.fullmatch(image)]
            where = (f"line {lines[0]} has" if len(lines) == 1 else
                     f"{len(lines)} rows (lines {_lines(lines)}) have")  # fmt: skip
            self.table.problem(
                "CSV012", f"{where} {cause[1]} fields where the header has {self.width}: "
                          f"{self._what(cause, lines)}", f"line {lines[0]}",
                image_id=images[0] if len(images) == 1 and len(lines) == 1 else None,
                fields=cause[1], expected=self.width, lines=lines[:50],
                count=len(lines))  # fmt: skip

    def _what(self, cause: tuple, lines: list[int]) -> str:
        """What pandas.read_csv makes of such rows, and what fracqa reads."""
        if cause[0] == "short":
            missing = ", ".join(cause[2])
            return (f"pandas.read_csv fills the missing {missing} with NaN, which turns the "
                    f"column into floats; fracqa reads {'it' if len(lines) == 1 else 'them'} "
                    f"with {missing} empty")  # fmt: skip
        _, fields, empty, first = cause
        if first and len(lines) == 1:
            said = (f"it is the first row, so pandas.read_csv silently takes the first "
                    f"{_columns(fields - self.width, self.header)} as the index of every row and "
                    f"shifts every column: df[{self.header[0]!r}] holds what the header calls "
                    f"{self.header[min(fields - self.width, self.width - 1)]!r}")  # fmt: skip
        else:
            said = (f"pandas.read_csv fails on the whole file ('Expected {self.width} fields "
                    f"in line {lines[0]}, saw {fields}')")  # fmt: skip
        if empty:
            return f"{said}; fracqa reads the row without its empty extra field" + (
                "s" if fields - self.width > 1 else "")
        return f"{said}; fracqa cannot tell which field is extra and reads only its image_id"


UNNAMED = "(unnamed column"


def _columns(number: int, header: list[str]) -> str:
    """'column (image_id)', '2 columns (image_id, hand)'."""
    names = ", ".join(header[:number])
    return f"column ({names})" if number == 1 else f"{number} columns ({names})"


def _lines(lines: list[int]) -> str:
    shown = ", ".join(map(str, lines[:10]))
    return shown if len(lines) <= 10 else f"{shown}, ..."


def _repeated_header(lines: list[int], header_line: int, table: DatasetCsv) -> None:
    """One CSV017 problem for the rows that repeat the header (two exports joined)."""
    if not lines:
        return
    where = f"line {lines[0]} repeats" if len(lines) == 1 else f"lines {_lines(lines)} repeat"
    table.problem("CSV017", f"{where} the header row of line {header_line} (two exports joined "
                            "into one file?): fracqa skips it, pandas.read_csv reads it as a row "
                            "of data, so every column holds text ('fractured' among the 0s and "
                            "1s) and df['fractured'] == 1 matches no row", f"line {lines[0]}",
                  lines=lines[:50], count=len(lines))  # fmt: skip


def read_id(written: str) -> tuple[str, str | None]:
    """An image_id as fracqa reads it, and what it read through (None: nothing): "spaces"
    around it, "invisible" characters (U+200B ...), or another script's "digits". Invisible
    characters and digits are read through only when what is left is an id of the release's
    form (`IMG` + seven digits + `.jpg`); spaces around it always."""
    value = written.strip()
    if IMAGE_ID.fullmatch(value):
        return value, None if value == written else "spaces"
    visible = "".join(c for c in value if not _invisible(c)).strip()
    ascii_digits = "".join(str(unicodedata.decimal(c)) if not c.isascii()
                           and unicodedata.decimal(c, None) is not None else c
                           for c in visible)  # fmt: skip
    if IMAGE_ID.fullmatch(visible):
        return visible, "invisible"
    if IMAGE_ID.fullmatch(ascii_digits):
        return ascii_digits, "digits"
    return value, None if value == written else "spaces"


def _characters(written: str, kind: str) -> str:
    """The characters of `kind` in `written`, by code point and name."""
    if kind == "digits":
        found = [c for c in written if not c.isascii() and unicodedata.decimal(c, None) is not None]
        scripts = sorted({unicodedata.name(c, "?").split(" DIGIT")[0] for c in found})
        return f"{' and '.join(scripts).lower()} digits"
    found = dict.fromkeys(c for c in written if _invisible(c))
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '').lower()}".strip() for c in found)


class _Padding:
    """Cells written with spaces (or invisible characters) around them: one problem per header
    name and per image_id (CSV013: a plain reader's column or id matches nothing), or a single
    one when the whole file is written so (every name and id padded: one cause, the file's
    separator); one per other column (CSV015: pandas still reads the number). An image_id
    written with another script's digits is read with ASCII digits (CSV004)."""

    def __init__(self, header: list[str], table: DatasetCsv):
        self.header, self.table = header, table
        self.id_column = header.index("image_id") if "image_id" in header else None
        self.others: dict[int, list[tuple[int, str, str]]] = {}
        self.names: list[tuple[str, dict]] = []  # (message, details) of padded header names
        self.ids: list[tuple[str, str, dict]] = []  # (message, location, details) of padded ids
        self.rows = 0

    def check_header(self, raw: list[str], line: int) -> None:
        for position, name in enumerate(raw, start=1):
            value = _clean(name)
            if name != value and value:
                self.names.append((
                    f"header name {name!r} (column {position}) has {_around(name)}: fracqa "
                    f"strips {_them(name)}, pandas.read_csv keeps {_them(name)}, so "
                    f"df[{value!r}] fails with a KeyError",
                    {"column": value, "written": name}))  # fmt: skip
        self.header_line, self.header_names = line, sum(1 for name in raw if _clean(name))

    def image_id(self, line: int, raw: list[str], cells: list[str]) -> list[str]:
        """The row's cells with its image_id as fracqa reads it."""
        if self.id_column is None:
            return cells
        written = raw[self.id_column]
        value, how = read_id(written)
        if how == "digits":
            self.table.problem(
                "CSV004", f"image_id {written!r} is written with {_characters(written, how)}, "
                          f"not ASCII ones: fracqa reads {value}, pandas.read_csv keeps "
                          f"{written!r}, which is not the file name {value}: the row's labels "
                          "join no image", f"line {line}", image_id=value, column="image_id",
                written=written)  # fmt: skip
        elif how is not None:
            self.ids.append((
                f"image_id {written!r} has {_around(written)}: fracqa strips "
                f"{_them(written)}, pandas.read_csv keeps {_them(written)}, and {written!r} "
                f"is not the file name {value!r}: the row's labels join no image", f"line {line}",
                {"image_id": value, "column": "image_id", "written": written}))  # fmt: skip
        return [value if i == self.id_column else cell for i, cell in enumerate(cells)]

    def check(self, line: int, raw: list[str], cells: list[str]) -> None:
        self.rows += 1
        if raw == cells:
            return
        image_id = cells[self.id_column] if self.id_column is not None else None
        for position, (written, value) in enumerate(zip(raw, cells, strict=True)):
            if written == value or not value or position == self.id_column:
                continue
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


def _around(written: str) -> str:
    """'spaces around it', or the invisible characters it holds."""
    if any(_invisible(c) for c in written):
        return f"the invisible character {_characters(written, 'invisible')} in it"
    return "spaces around it"


def _them(written: str) -> str:
    invisible = dict.fromkeys(c for c in written if _invisible(c))
    return "it" if len(invisible) == 1 and written.strip() == written else "them"


def _is_header(cells: list[str]) -> bool:
    names = {c.lower() for c in cells}
    return bool(names & set(COLUMNS)) and not any(IMAGE_ID.fullmatch(c) for c in cells)


def _name_columns(header: list[str], table: DatasetCsv, line: int) -> list[str]:
    """Give unnamed columns a visible name, read a documented name written in another case as
    that column (one CSV002 problem for all such names) and report repeated ones."""
    named, seen, cased = [], set(), []
    lower = {column.lower(): column for column in COLUMNS}
    for position, name in enumerate(header, start=1):
        name = name or f"{UNNAMED} {position})"
        canonical = lower.get(name.lower())
        if canonical and canonical != name and canonical not in header:
            cased.append((name, canonical))
            name = canonical
        if name in seen:
            table.problem(
                "CSV002",
                f"column {name!r} appears twice in the header: the second one is ignored",
                f"line {line}",
                column=name,
            )
        seen.add(name)
        named.append(name)
    if cased:
        written = ", ".join(repr(w) for w, _ in cased)
        meant = ", ".join(repr(c) for _, c in cased)
        one = len(cased) == 1
        table.problem(
            "CSV002", f"header name{'' if one else 's'} {written} differ{'s' if one else ''} from "
                      f"{meant} only in case: fracqa reads {'it' if one else 'them'} as "
                      f"{'that column' if one else 'those columns'}, pandas.read_csv keeps the "
                      f"names as written, so df[{cased[0][1]!r}] fails with a KeyError",
            f"line {line}", columns=dict(cased))  # fmt: skip
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
