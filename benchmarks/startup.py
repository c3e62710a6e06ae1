"""Issue 11's budgets: the commands that audit nothing answer in well under half a second, and
an audit of dataset.csv alone (`--select CSV`) of the full-size replica takes under 2 s, each
timed as a fresh process (interpreter start and imports included), median of N runs.

    python -m benchmarks.startup [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from benchmarks.replica import full_replica, machine, timed

BUDGETS = {"--version": 0.5, "--help": 0.5, "rules": 0.5, "explain IMG011": 0.5,
           "audit ROOT --select CSV": 2.0}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = str(full_replica())
    print(f"machine: {machine()}")
    passed = True
    for command, budget in BUDGETS.items():
        words = [root if word == "ROOT" else word for word in command.split()]
        runs = [timed([sys.executable, "-m", "fracqa", *words]) for _ in range(args.repeat)]
        median = statistics.median(runs)
        passed &= median < budget
        print(f"fracqa {command}: median {median:.2f} s, max {max(runs):.2f} s "
              f"(budget {budget:.1f} s)")  # fmt: skip
    print("PASS" if passed else "FAIL")


if __name__ == "__main__":
    main()
