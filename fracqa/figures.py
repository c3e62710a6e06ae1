"""The published figures measured on the release's tables with Great Expectations.

The expected figures (fracqa/profiles/fracatlas-2023.yaml, or --expect FILE) become one
expectation each, over two tables: dataset.csv's labels and the split lists. The observed value
of every figure is kept, passing or not, for the report's statistics table. Great Expectations
takes seconds to import, so an audit runs `measure` in a process of its own while it loads the
rest, and only when a statistics rule runs.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import pandas as pd

from fracqa.columns import FLAGS, REGIONS
from fracqa.load.expectations import SPLIT_NAMES, Expectations, Figure


def statistics_frames(dataset_csv, meta: pd.DataFrame, splits) -> dict:
    """The two tables the figures are measured on: dataset.csv's labels (with `regions`, the
    number of region flags set) and the split lists (with an indicator column per split)."""
    return {"meta": _meta_frame(dataset_csv, meta), "splits": _split_frame(splits)}


def measure(expectations: Expectations, frames: dict) -> dict[str, float]:
    """{figure: observed value}, as Great Expectations measures each expected figure on
    `frames` (this runs in a worker process of its own)."""
    return _validate(expectations, frames)


@dataclass(frozen=True)
class PublishedFigures:
    """The published figures input: what was expected and what Great Expectations observed."""

    expectations: Expectations
    observed: dict[str, float]

    def rows(self) -> list[dict]:
        """One row per expected figure: figure, published, observed, tolerance, ok (None when
        the figure could not be observed, e.g. dataset.csv unreadable)."""
        rows = []
        for figure in self.expectations.figures:
            value = self.observed.get(figure.name)
            ok = (None if value is None
                  else abs(value - figure.published) <= figure.tolerance + 1e-9)  # fmt: skip
            rows.append({"figure": figure.name, "published": figure.published,
                         "observed": value, "tolerance": figure.tolerance, "ok": ok})  # fmt: skip
        return rows


def _meta_frame(dataset_csv, meta: pd.DataFrame) -> pd.DataFrame | None:
    if dataset_csv is None or dataset_csv.rows is None:
        return None
    meta = meta[meta["image_id"].notna()]
    columns = [c for c in (*FLAGS, "fracture_count") if c in dataset_csv.rows]
    frame = meta[columns].astype("float64")
    if all(r in columns for r in REGIONS):
        frame["regions"] = frame[list(REGIONS)].sum(axis=1)
    return frame


def _split_frame(splits) -> pd.DataFrame | None:
    """The split lists; None unless all three files were read (with one missing, LAY005 or
    SPL001 says so, and every split figure would only repeat it)."""
    if not splits.complete:
        return None
    frame = pd.DataFrame({"split": splits.table["split"].astype(str)})
    for split in SPLIT_NAMES:
        frame[f"is_{split}"] = (frame["split"] == split).astype("float64")
    return frame


def import_great_expectations():
    """The great_expectations module, imported with its usage analytics off (an audit makes no
    network calls)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations

    return great_expectations


def _validate(expectations: Expectations, frames: dict) -> dict[str, float]:
    """{figure: observed value} as Great Expectations measures it."""
    gx = import_great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("release")
    observed: dict[str, float] = {}
    for table, frame in frames.items():
        wanted = [f for f in expectations.figures if _table_of(f.name) == table]
        if frame is None or not wanted or not _observable(table, frame):
            continue
        batch = (source.add_dataframe_asset(table).add_batch_definition_whole_dataframe("all")
                 .get_batch(batch_parameters={"dataframe": frame}))  # fmt: skip
        suite = gx.ExpectationSuite(name=table, expectations=[_expectation(f) for f in wanted])
        for result in batch.validate(suite).results:
            value = (result.result or {}).get("observed_value")
            if value is not None and not result.exception_info.get("raised_exception"):
                value = float(value)
                if math.isfinite(value):
                    figure = result.expectation_config.meta["figure"]
                    observed[figure] = int(value) if value.is_integer() else value
    return observed


def _observable(table: str, frame: pd.DataFrame) -> bool:
    return table == "splits" or "fractured" in frame


def _table_of(name: str) -> str:
    return "splits" if name.startswith("splits.") else "meta"


def _expectation(figure: Figure):
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    low, high = figure.published - figure.tolerance, figure.published + figure.tolerance
    bounds = {"min_value": low, "max_value": high, "meta": {"figure": figure.name}}
    section, *rest = figure.name.split(".")

    def where(condition) -> dict:
        return {"row_condition": condition} if condition is not None else {}

    fractured, non_fractured = Column("fractured") == 1, Column("fractured") == 0
    class_condition = {"fractured": fractured, "non_fractured": non_fractured, "total": None}
    if section == "splits":
        split = rest[0]
        if split.endswith("_ratio"):
            return gxe.ExpectColumnMeanToBeBetween(column=f"is_{split[:-6]}", **bounds)
        return gxe.ExpectTableRowCountToBeBetween(**bounds, **where(Column("split") == split))
    if section in ("regions", "views"):
        column, part = rest
        return gxe.ExpectColumnSumToBeBetween(column=column, **bounds,
                                              **where(class_condition[part]))  # fmt: skip
    name = rest[0]
    if name in ("images", "fractured_images", "non_fractured_images"):
        condition = {"images": None, "fractured_images": fractured,
                     "non_fractured_images": non_fractured}[name]  # fmt: skip
        return gxe.ExpectTableRowCountToBeBetween(**bounds, **where(condition))
    if name == "fracture_count_min_on_fractured":
        return gxe.ExpectColumnMinToBeBetween(column="fracture_count", **bounds,
                                              **where(fractured))  # fmt: skip
    if name == "fracture_count_max":
        return gxe.ExpectColumnMaxToBeBetween(column="fracture_count", **bounds)
    column = {"fracture_instances": "fracture_count", "locales": "regions",
              "multiscan_images": "multiscan", "hardware_images": "hardware"}[name]  # fmt: skip
    return gxe.ExpectColumnSumToBeBetween(column=column, **bounds)


def figure_value(name: str, frames: dict) -> float | None:
    """Figure `name` computed with pandas on `frames` (as statistics_frames builds them), as
    its expectation above measures it: what the published-figure rules use to work out what a
    change to the tables would make of a figure (Great Expectations measures the release)."""
    section, *rest = name.split(".")
    if section == "splits":
        frame = frames.get("splits")
        if frame is None:
            return None
        split = rest[0]
        if split.endswith("_ratio"):
            return float(frame[f"is_{split[:-6]}"].mean()) if len(frame) else None
        return float((frame["split"] == split).sum())
    meta = frames.get("meta")
    if meta is None or "fractured" not in meta:
        return None
    rows = {"fractured": meta["fractured"] == 1, "non_fractured": meta["fractured"] == 0,
            "total": pd.Series(True, index=meta.index)}  # fmt: skip
    if section in ("regions", "views"):
        column, part = rest
        return float(meta.loc[rows[part], column].sum()) if column in meta else None
    name = rest[0]
    if name in ("images", "fractured_images", "non_fractured_images"):
        key = {"images": "total", "fractured_images": "fractured",
               "non_fractured_images": "non_fractured"}[name]  # fmt: skip
        return float(rows[key].sum())
    if "fracture_count" not in meta and name.startswith("fracture_"):
        return None
    if name == "fracture_count_min_on_fractured":
        return float(meta.loc[rows["fractured"], "fracture_count"].min())
    if name == "fracture_count_max":
        return float(meta["fracture_count"].max())
    column = {"fracture_instances": "fracture_count", "locales": "regions",
              "multiscan_images": "multiscan", "hardware_images": "hardware"}[name]  # fmt: skip
    return float(meta[column].sum()) if column in meta else None
