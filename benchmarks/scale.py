"""Issue 6's targets: the whole audit at 1x and 10x the release (4,083 and 40,830 images, the
fixture builder's scale option): wall time, time per image, and peak memory of the audit and
its worker processes together (the sum of their proportional set sizes, so pages the forked
workers share with the main process count once). Targets: time per image at 10x within 1.25x
of 1x; peak memory under 600 MB at 10x.

    python -m benchmarks.scale [--scales 1 10] [--heavy]
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.heavy import heavy_replica
from benchmarks.replica import full_replica, machine

TARGET_RATIO, TARGET_MB = 1.25, 600


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_mb(root_pid: int) -> float:
    tree, pending, total = _children(), [root_pid], 0
    while pending:
        pid = pending.pop()
        total += _pss_kb(pid)
        pending.extend(tree.get(pid, []))
    return total / 1024


def measure(root: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "fracqa", "audit", str(root), "--fail-on", "never"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, tree_pss_mb(process.pid))
        time.sleep(0.05)
    return time.perf_counter() - started, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--heavy", action="store_true",
                        help="on replicas as heavy as the real release (benchmarks.heavy)")
    args = parser.parse_args()
    rows = {}
    for scale in args.scales:
        root = heavy_replica(scale) if args.heavy else full_replica(scale)
        images = sum(1 for _ in (root / "images").rglob("*.jpg"))
        seconds, peak = measure(root)
        rows[scale] = (images, seconds, seconds / images * 1000, peak)
    print(f"{machine()}, {datetime.date.today()}")
    print("| scale | images | wall time | per image | peak memory (all processes) |")
    print("|---|---|---|---|---|")
    for scale, (images, seconds, per_image, peak) in rows.items():
        print(f"| {scale}x | {images:,} | {seconds:.1f} s | {per_image:.2f} ms | {peak:.0f} MB |")
    if 1 in rows and 10 in rows:
        ratio = rows[10][2] / rows[1][2]
        print(f"per-image time 10x / 1x = {ratio:.2f} (target <= {TARGET_RATIO}): "
              f"{'PASS' if ratio <= TARGET_RATIO else 'FAIL'}")  # fmt: skip
        print(f"peak memory at 10x = {rows[10][3]:.0f} MB (target < {TARGET_MB}): "
              f"{'PASS' if rows[10][3] < TARGET_MB else 'FAIL'}")  # fmt: skip


if __name__ == "__main__":
    main()
