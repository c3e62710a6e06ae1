"""The official split: Utilities/Fracture Split/{train,valid,test}.csv, header `image_id`, one
image id per line."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from fracqa.layout import SPLITS, Layout
from fracqa.load.files import Unreadable, read_text
from fracqa.model import Hit

SPLIT_COLUMNS = ("image_id", "split", "file", "line")


@dataclass
class SplitTables:
    """The split lists as one table, the files that could be read, and what went wrong."""

    table: pd.DataFrame
    complete: bool  # all three files present and readable
    problems: list[tuple[str, Hit]] = field(default_factory=list)

    @classmethod
    def empty(cls) -> SplitTables:
        """No split read (the splits were not asked for)."""
        return cls(pd.DataFrame(columns=SPLIT_COLUMNS), complete=False)


def load_splits(layout: Layout) -> SplitTables:
    rows, problems, read = [], [], 0
    for split in SPLITS:
        path = layout.split_files.get(split)
        if path is None:
            continue
        file = layout.relative(path)
        try:
            lines = read_text(path).splitlines()
        except Unreadable as error:
            problems.append(("SPL001", Hit(f"{file} {error}", file=file)))
            continue
        numbered = [(n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
        if not numbered or numbered[0][1] != "image_id":
            first = numbered[0][1][:40] if numbered else "nothing"
            problems.append(("SPL001", Hit(f"{file} does not start with the header `image_id` "
                                           f"(its first line is {first!r}): not read",
                                           file=file, location="line 1")))  # fmt: skip
            continue
        read += 1
        rows.extend((image_id, split, file, n) for n, image_id in numbered[1:])
    table = pd.DataFrame(rows, columns=SPLIT_COLUMNS)
    return SplitTables(table, complete=read == len(SPLITS), problems=problems)
