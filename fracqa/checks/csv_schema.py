"""dataset.csv declared as a pandera schema, and its failures turned into hits per rule code.

The schema validates the table of strings as read (so that a finding can quote the very cell),
lazily, so that every failure in the file is reported at once.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from fracqa.columns import FLAGS, REGIONS, VIEWS
from fracqa.load.dataset_csv import integer_column
from fracqa.model import Hit

BINARY = ["0", "1"]
MAX_FRACTURE_COUNT = 5


def _integers(frame: pd.DataFrame, columns) -> pd.DataFrame | None:
    """The columns as nullable integers, or None when one of them is absent."""
    if any(column not in frame for column in columns):
        return None
    return pd.DataFrame({c: integer_column(frame[c]) for c in columns})


def _when_readable(values: pd.DataFrame | None, condition) -> pd.Series | bool:
    """`condition(values)` for rows whose cells are all valid; other rows pass (another rule
    already reports their unreadable cell)."""
    if values is None:
        return True
    readable = values.notna().all(axis=1) & values.isin([0, 1, 2, 3, 4, 5]).all(axis=1)
    return ~readable | condition(values.fillna(0)).astype(bool)


class DatasetCsvSchema(pa.DataFrameModel):
    image_id: Series[str] = pa.Field(str_matches=r"^IMG[0-9]{7}\.jpg$", unique=True)
    hand: Series[str] = pa.Field(isin=BINARY)
    leg: Series[str] = pa.Field(isin=BINARY)
    hip: Series[str] = pa.Field(isin=BINARY)
    shoulder: Series[str] = pa.Field(isin=BINARY)
    mixed: Series[str] = pa.Field(isin=BINARY)
    hardware: Series[str] = pa.Field(isin=BINARY)
    multiscan: Series[str] = pa.Field(isin=BINARY)
    fractured: Series[str] = pa.Field(isin=BINARY)
    fracture_count: Series[str]
    frontal: Series[str] = pa.Field(isin=BINARY)
    lateral: Series[str] = pa.Field(isin=BINARY)
    oblique: Series[str] = pa.Field(isin=BINARY)

    class Config:
        strict = True
        coerce = False

    @pa.check("fracture_count")
    def fracture_count_range(cls, cells: Series[str]) -> Series[bool]:
        counts = integer_column(cells)
        return counts.between(0, MAX_FRACTURE_COUNT).fillna(False).astype(bool)

    @pa.dataframe_check
    def fractured_iff_count(cls, frame: pd.DataFrame) -> Series[bool]:
        values = _integers(frame, ["fractured", "fracture_count"])
        return _when_readable(values, lambda v: (v["fractured"] == 1) == (v["fracture_count"] >= 1))

    @pa.dataframe_check
    def has_region(cls, frame: pd.DataFrame) -> Series[bool]:
        values = _integers(frame, REGIONS)
        return _when_readable(values, lambda v: v.sum(axis=1) >= 1)

    @pa.dataframe_check
    def mixed_iff_regions(cls, frame: pd.DataFrame) -> Series[bool]:
        values = _integers(frame, [*REGIONS, "mixed"])
        return _when_readable(
            values, lambda v: (v["mixed"] == 1) == (v[list(REGIONS)].sum(axis=1) >= 2)
        )

    @pa.dataframe_check
    def has_view(cls, frame: pd.DataFrame) -> Series[bool]:
        values = _integers(frame, VIEWS)
        return _when_readable(values, lambda v: v.sum(axis=1) >= 1)


# Which rule reports a failure of each named table-wide check.
_CODE_OF_CHECK = {
    "column_in_dataframe": "CSV002",
    "column_in_schema": "CSV002",
    "fractured_iff_count": "CSV008",
    "has_region": "CSV009",
    "mixed_iff_regions": "CSV010",
    "has_view": "CSV011",
}


def schema_hits(rows: pd.DataFrame, file: str) -> dict[str, list[Hit]]:
    """Validate the rows of dataset.csv; every failure as a hit under the code of its rule."""
    try:
        DatasetCsvSchema.validate(rows, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return _hits(errors.failure_cases, rows, file)
    return {}


def _hits(failures: pd.DataFrame, rows: pd.DataFrame, file: str) -> dict[str, list[Hit]]:
    hits: dict[str, list[Hit]] = defaultdict(list)
    seen = set()
    for failure in failures.itertuples(index=False):
        code = _code(failure.check, failure.column)
        line = None if pd.isna(failure.index) else int(failure.index)
        if line is None:
            key = (code, str(failure.failure_case))
        elif code in _ROW_MESSAGES:
            key = (code, line)  # a table-wide check fails once per column of a failing row
        else:
            key = (code, line, failure.column)
        if key in seen:
            continue
        seen.add(key)
        if line is None:
            hits[code].append(_column_hit(failure.check, str(failure.failure_case), file))
        else:
            hits[code].append(_row_hit(code, failure.column, rows.loc[line], line, file))
    return _merge_duplicates(hits)


def _code(check: str, column: str) -> str:
    if check in _CODE_OF_CHECK:
        return _CODE_OF_CHECK[check]
    if column == "image_id":
        return "CSV005" if check == "field_uniqueness" else "CSV004"
    if column == "fracture_count":
        return "CSV007"
    return "CSV006" if column in FLAGS else "CSV002"


def _column_hit(check: str, column: str, file: str) -> Hit:
    if check == "column_in_dataframe":
        message = f"column {column!r} is missing from the header"
    elif column.startswith("(unnamed column "):
        position = int(column.removeprefix("(unnamed column ").rstrip(")"))
        message = (f"column {position} of the header has no name (a comma at the end of the "
                   f"header?): pandas.read_csv reads it as a column 'Unnamed: {position - 1}'")
    else:
        message = f"column {column!r} is not a dataset.csv column"
    return Hit(message, file=file, location="line 1", details={"column": column})


def _row_values(row: pd.Series, columns) -> str:
    return ", ".join(f"{c}={row.get(c, '?')}" for c in columns)


_ROW_MESSAGES = {
    "CSV008": lambda row: f"fractured and fracture_count disagree: "
    f"{_row_values(row, ['fractured', 'fracture_count'])}",
    "CSV009": lambda row: f"no body region is set: {_row_values(row, REGIONS)}",
    "CSV010": lambda row: "mixed must be 1 exactly when two or more regions are set: "
    f"{_row_values(row, [*REGIONS, 'mixed'])}",
    "CSV011": lambda row: f"no view is set: {_row_values(row, VIEWS)}",
}


def _row_hit(code: str, column: str, row: pd.Series, line: int, file: str) -> Hit:
    image_id = row.get("image_id")
    if code in _ROW_MESSAGES:
        message = _ROW_MESSAGES[code](row)
        details = {c: row[c] for c in row.index if c != "image_id"}
    else:
        message = _cell_message(code, column, row[column])
        details = {"column": column, "value": row[column], "line": line}
    return Hit(message, image_id, file, f"line {line}", details)


def _cell_message(code: str, column: str, value: str) -> str:
    shown = repr(value) if value != "" else "empty"
    if code == "CSV004":
        return f"image_id {shown} is not IMG + seven digits + .jpg"
    if code == "CSV005":
        return f"image_id {value} appears on more than one row"
    if code == "CSV007":
        return f"fracture_count is {shown}, not a whole number from 0 to {MAX_FRACTURE_COUNT}"
    return f"{column} is {shown}, not 0 or 1"


def _merge_duplicates(hits: dict[str, list[Hit]]) -> dict[str, list[Hit]]:
    """One CSV005 hit per repeated image_id, naming every line it is on."""
    by_id: dict[str, list[Hit]] = defaultdict(list)
    for hit in hits.get("CSV005", []):
        by_id[hit.image_id].append(hit)
    if by_id:
        hits["CSV005"] = [
            Hit(
                f"image_id {image_id} appears on {len(group)} rows "
                f"({', '.join(h.location for h in group)})",
                image_id,
                group[0].file,
                group[0].location,
                {"lines": [h.details["line"] for h in group]},
            )
            for image_id, group in sorted(by_id.items())
        ]
    return dict(hits)
