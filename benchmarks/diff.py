"""`fracqa diff` on the full-size replica against a next version of it (3 images removed, 2
labels changed, 1 instance moved 20 px, 1 image moved from train to test), as fresh processes,
beside a plain `fracqa audit` of one version: the diff should cost about two audits, the
comparison itself being small.

    python -m benchmarks.diff [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.audit_vs_decode import timed
from benchmarks.replica import full_replica, machine
from fixtures import changes, defects
from fixtures.defects import clone_release
from fixtures.defects_images import move_between_splits
from tests.helpers import labels


def next_version(root: Path, into: Path) -> Path:
    new = clone_release(root, into)
    table = labels(new)
    fractured = sorted(table[table["fractured"] == 1]["image_id"])
    non_fractured = sorted(table[table["fractured"] == 0]["image_id"])
    for image_id in (*non_fractured[:2], fractured[0]):
        changes.remove_image(new, image_id)
    hardware = table.set_index("image_id")["hardware"]
    for image_id in non_fractured[10:12]:
        defects.set_csv_value(new, image_id, "hardware", 1 - hardware[image_id])
    changes.move_instance(new, fractured[5], 20)
    move_between_splits(new, 1, "train", "test")
    return new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    old = full_replica()
    with tempfile.TemporaryDirectory() as scratch:
        new = next_version(old, Path(scratch))
        report = Path(scratch) / "diff.json"
        fracqa = [sys.executable, "-m", "fracqa"]
        diff = [*fracqa, "diff", str(old), str(new), "--json", str(report), "--ignore", "STA"]
        audit = [*fracqa, "audit", str(new), "--fail-on", "never", "--ignore", "STA"]
        diffs, audits = [], []
        for _ in range(args.repeat):
            audits.append(timed(audit))
            diffs.append(timed(diff))
        summary = json.loads(report.read_text())["summary"]
    print(f"machine: {machine()}")
    print(f"changes found: { {k: v for k, v in summary.items() if v} }")
    print(f"one audit: median {statistics.median(audits):.2f} s")
    print(f"diff (two audits and the comparison): median {statistics.median(diffs):.2f} s")


if __name__ == "__main__":
    main()
