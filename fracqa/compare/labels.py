"""dataset.csv: the rows added or removed, the columns added or removed, and every cell that
changed for the images in both versions. Cells are compared as written (stripped strings)."""

from __future__ import annotations

import pandas as pd

from fracqa.compare.sources import csv_readable
from fracqa.release import Release


def row_changes(old: Release, new: Release, gone: set[str], came: set[str]) -> dict:
    """dataset.csv rows added or removed, apart from those of images added or removed."""
    before, after = set(_csv_rows(old).index), set(_csv_rows(new).index)
    return {"added": sorted(after - before - came), "removed": sorted(before - after - gone)}


def label_changes(old: Release, new: Release, common: set[str]) -> tuple[dict, list[dict]]:
    """The columns added and removed, and every cell of dataset.csv that changed."""
    old_rows, new_rows = _csv_rows(old), _csv_rows(new)
    old_columns = [c for c in old_rows.columns if c != "image_id"]
    new_columns = [c for c in new_rows.columns if c != "image_id"]
    columns = {"added": [c for c in new_columns if c not in old_columns],
               "removed": [c for c in old_columns if c not in new_columns]}  # fmt: skip
    shared = [c for c in old_columns if c in new_columns]
    ids = sorted(common & set(old_rows.index) & set(new_rows.index))
    changes = []
    for column in shared:
        before, after = old_rows.loc[ids, column], new_rows.loc[ids, column]
        for image_id in before.index[before.to_numpy() != after.to_numpy()]:
            changes.append({"image_id": image_id, "column": column,
                            "old": before[image_id], "new": after[image_id]})  # fmt: skip
    return columns, changes


def _csv_rows(release: Release) -> pd.DataFrame:
    """dataset.csv as written (strings), one row per image id (its first), by image id."""
    if not csv_readable(release):
        return pd.DataFrame(columns=["image_id"]).set_index("image_id", drop=False)
    rows = release.dataset_csv.rows.fillna("").map(str.strip)
    return rows.drop_duplicates("image_id").set_index("image_id", drop=False)
