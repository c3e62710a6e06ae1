"""The audit's budget (issue 12): on the full-size replica the whole audit, image decoding
included, takes at most 0.75 of a plain single-process loop that opens and fully decodes every
image with Pillow, measured in the same run on the same machine.

Both are timed as fresh processes (interpreter start and imports included), alternately, and
the medians compared.

    python -m benchmarks.audit_vs_decode [--repeat N] [--scale K] [--heavy]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from benchmarks.heavy import heavy_replica
from benchmarks.replica import full_replica, machine, timed

BUDGET = 0.75  # the audit's time as a share of the plain decode loop's
PLAIN_LOOP = """
import sys
from pathlib import Path
from PIL import Image
for path in sorted(Path(sys.argv[1], "images").rglob("*.jpg")):
    with Image.open(path) as image:
        image.load()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--heavy", action="store_true",
                        help="on the replica as heavy as the real release (benchmarks.heavy)")
    args = parser.parse_args()
    root = heavy_replica(args.scale) if args.heavy else full_replica(args.scale)
    audit = [sys.executable, "-m", "fracqa", "audit", str(root), "--fail-on", "never"]
    loop = [sys.executable, "-c", PLAIN_LOOP, str(root)]
    audits, loops = [], []
    for _ in range(args.repeat):
        loops.append(timed(loop))
        audits.append(timed(audit))
    audit_s, loop_s = statistics.median(audits), statistics.median(loops)
    print(f"machine: {machine()}")
    print(f"plain decode loop: median {loop_s:.2f} s ({', '.join(f'{t:.2f}' for t in loops)})")
    print(f"whole fracqa audit: median {audit_s:.2f} s ({', '.join(f'{t:.2f}' for t in audits)})")
    ratio = audit_s / loop_s
    verdict = "PASS" if ratio <= BUDGET else "FAIL"
    print(f"audit / loop = {ratio:.2f} (budget <= {BUDGET}): {verdict}")


if __name__ == "__main__":
    main()
