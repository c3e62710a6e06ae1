"""Issue 14's budget: `fracqa audit --ocr` reads the burned-in text of the whole full-size
replica in minutes on two cores, and stays silent on it, also when side markers, view names, a
scale bar and a hospital's logo are drawn on some of its images.

A copy of the replica (hard links; `--heavy`: of benchmarks.heavy's copy, as heavy as the real
release, with film grain) gets `fixtures.defects_privacy.normal_markings` on MARKED images;
then the audit without and with --ocr (fresh processes, `--ignore STA`) is timed, and the
privacy findings of both are counted (there must be none).

    python -m benchmarks.ocr [--heavy] [--marked N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.replica import full_replica, machine
from fixtures import defects_privacy
from fixtures.defects import clone_release

BUDGET = 600.0  # seconds for the audit with --ocr: "minutes"
MARKED = 60


def _audit(root: Path, report: Path, *extra: str) -> tuple[float, dict]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fracqa", "audit", str(root), "--no-config",
                    "--ignore", "STA", "-qq", "--json", str(report), *extra],
                   check=False)  # fmt: skip
    return time.perf_counter() - started, json.loads(report.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--heavy", action="store_true", help="on the heavy copy of the replica")
    parser.add_argument("--marked", type=int, default=MARKED,
                        help=f"images given markers, views, a scale and a logo ({MARKED})")
    args = parser.parse_args()
    if args.heavy:
        from benchmarks.heavy import heavy_replica

        source = heavy_replica()
    else:
        source = full_replica()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as work:
        root = clone_release(source, Path(work) / "copy")
        images = sorted((root / "images").rglob("*.jpg"))
        step = max(1, len(images) // max(1, args.marked))
        chosen = [path.name for path in images[::step][:args.marked]]
        defects_privacy.mark_images(root, chosen)
        plain, plain_report = _audit(root, Path(work) / "plain.json")
        ocr, ocr_report = _audit(root, Path(work) / "ocr.json", "--ocr")
    privacy = [f for f in ocr_report["findings"] if f["family"] == "privacy"]
    others = [f for f in ocr_report["findings"] if f["family"] != "privacy"]
    print(f"{ocr_report['summary']['images']:,} images, {len(chosen)} with markers, views, "
          f"a scale bar and a logo")  # fmt: skip
    print(f"audit without --ocr: {plain:.1f} s; with --ocr: {ocr:.1f} s (budget {BUDGET:.0f} s)")
    print(f"privacy findings: {len(privacy)} with --ocr, "
          f"{sum(f['family'] == 'privacy' for f in plain_report['findings'])} without; "
          f"other findings: {len(others)}")  # fmt: skip
    for finding in privacy[:10]:
        print(f"  {finding['rule']} {finding['message']}")
    print("PASS" if ocr < BUDGET and not privacy else "FAIL")


if __name__ == "__main__":
    main()
