"""Issue 15's budget: the split-balance, shortcut and study-leakage rules (STA005-STA010) add
under 0.5 s to an audit of the full-size replica.

The release is loaded once (the image scan is what every audit pays anyway); each run then
gives the six rules a fresh release (nothing computed before is reused, not even the image
table's view that other image rules share in a real audit) and times them, 2,000 seeded
shuffles of the split and 2,000 of the label included.

    python -m benchmarks.balance [--repeat N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

from benchmarks.replica import full_replica, machine
from fracqa.catalogue import select_rules
from fracqa.release import RuleView
from fracqa.runner import _apply, audit_release

BUDGET_SECONDS = 0.5
CODES = ("STA005", "STA006", "STA007", "STA008", "STA009", "STA010")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    root = full_replica()
    _, release = audit_release(root, select=CODES)
    rules = select_rules(CODES)
    seconds, cpu, findings = [], [], []

    for _ in range(args.repeat):
        fresh = dataclasses.replace(release, _derived={})
        started, used = time.perf_counter(), time.process_time()
        findings = [f for rule in rules for f in _apply(rule, RuleView(fresh, rule))]
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    print(f"machine: {machine()}")
    print("findings: " + ", ".join(f"{f.rule} {f.location}" for f in findings))
    print(f"STA005-STA010 on the full-size replica: median {statistics.median(seconds):.3f} s, "
          f"min {min(seconds):.3f} s, max {max(seconds):.3f} s over {len(seconds)} runs "
          f"(budget {BUDGET_SECONDS:.1f} s); CPU time median {statistics.median(cpu):.3f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("PASS" if statistics.median(seconds) < BUDGET_SECONDS else "FAIL")


if __name__ == "__main__":
    main()
