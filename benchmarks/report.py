"""Issue 5's budget: the HTML report of the full-size replica is under 15 MB and is written in
under 3 s beyond the audit itself. Measured on the clean replica and on a copy in which the
YOLO box of N fractured images has drifted (N findings, each drawn with its thumbnails).

    python -m benchmarks.report [--drifted N]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.replica import full_replica
from fixtures import defects
from fixtures import defects_annotations as annotations
from fracqa.reports import html
from fracqa.runner import run_audit

BUDGET_SECONDS, BUDGET_BYTES = 3.0, 15 * 1024 * 1024


def measure(root: Path, label: str, output: Path) -> None:
    started = time.perf_counter()
    result = run_audit(root, evidence=True)
    audited = time.perf_counter() - started
    started = time.perf_counter()
    output.write_text(html.render(result, "error"), encoding="utf-8")
    written = time.perf_counter() - started
    size = output.stat().st_size
    verdict = "PASS" if written < BUDGET_SECONDS and size < BUDGET_BYTES else "FAIL"
    print(f"{label}: {len(result.findings)} findings; audit {audited:.2f} s; report written in "
          f"{written:.2f} s, {size / 1024 / 1024:.2f} MB: {verdict}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--drifted", type=int, default=500)
    args = parser.parse_args()
    root = full_replica()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        measure(root, "clean replica", scratch / "clean.html")
        broken = defects.clone_release(root, scratch / "broken")
        labels = pd.read_csv(broken / "dataset.csv")
        for image_id in labels.loc[labels["fractured"] == 1, "image_id"][: args.drifted]:
            annotations.move_yolo_box(broken, image_id)
        measure(broken, f"replica with {args.drifted} drifted YOLO boxes", scratch / "broken.html")
        shutil.rmtree(broken)


if __name__ == "__main__":
    main()
