"""The loaded release: its layout and one table per kind of fact, which every rule reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fracqa.layout import Layout
from fracqa.load.dataset_csv import DatasetCsv, read_dataset_csv, typed_meta
from fracqa.load.images import inventory
from fracqa.model import Hit


@dataclass
class Release:
    """What the loaders read. Rules only look at this; none of them opens a file."""

    layout: Layout
    dataset_csv: DatasetCsv | None
    meta: pd.DataFrame
    images: pd.DataFrame
    _derived: dict[str, Any] = field(default_factory=dict)

    def problems(self, code: str) -> Iterator[Hit]:
        """The loaders' problems that rule `code` reports."""
        sources = [self.dataset_csv.problems] if self.dataset_csv else []
        for problems in sources:
            yield from (hit for problem_code, hit in problems if problem_code == code)

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value computed from the tables once and shared by the rules that need it."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


def load_release(layout: Layout) -> Release:
    dataset_csv = None
    if layout.dataset_csv is not None:
        dataset_csv = read_dataset_csv(layout.dataset_csv, layout.relative(layout.dataset_csv))
    return Release(
        layout=layout,
        dataset_csv=dataset_csv,
        meta=typed_meta(dataset_csv.rows if dataset_csv else None),
        images=inventory(layout),
    )
