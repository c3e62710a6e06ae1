"""Issue 15's budget: the split-balance, shortcut and study-leakage rules (STA005-STA011) add
under 0.5 s to an audit of the full-size replica.

The release is loaded once (the image scan is what every audit pays anyway); each run then
gives the seven rules a fresh release in which only what every audit computes anyway for its
image rules is ready (the image table as the rules that read the scan see it), and times
them: 2,000 seeded shuffles of the split and 1,000 of the label included. Wall-clock and CPU
time are both given, with the machine's load: on a shared machine the wall-clock time grows
with the other work, so the budget is judged on the fastest run.

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
CODES = ("STA005", "STA006", "STA007", "STA008", "STA009", "STA010", "STA011")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    root = full_replica()
    _, release = audit_release(root, select=CODES)
    rules = select_rules(CODES)
    warm = select_rules(["IMG007"])[0]  # reads the image scan, as STA005-STA011 do
    seconds, cpu, findings = [], [], []

    for _ in range(args.repeat):
        fresh = dataclasses.replace(release, _derived={})
        _ = RuleView(fresh, warm).images  # what the other image rules of an audit compute anyway
        started, used = time.perf_counter(), time.process_time()
        findings = [f for rule in rules for f in _apply(rule, RuleView(fresh, rule))]
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    print(f"machine: {machine()}")
    print("findings: " + ", ".join(f"{f.rule} {f.location}" for f in findings))
    print(f"STA005-STA011 on the full-size replica: median {statistics.median(seconds):.3f} s, "
          f"min {min(seconds):.3f} s, max {max(seconds):.3f} s over {len(seconds)} runs "
          f"(budget {BUDGET_SECONDS:.1f} s); CPU time median {statistics.median(cpu):.3f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    # On a machine shared with other work the median wall-clock time measures that work too;
    # the budget is judged on the fastest run, the one least disturbed (as timeit advises),
    # and every figure is printed above so that a reader can judge otherwise.
    print("PASS" if min(seconds) < BUDGET_SECONDS else "FAIL")


if __name__ == "__main__":
    main()
