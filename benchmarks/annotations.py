"""Issue 3's budget: loading and checking every annotation of the full-size replica (COCO,
VGG, YOLO, VOC and the ANN/CSV003 rules) takes under 2 s on the 2-core CI machine.

    python -m benchmarks.annotations [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.replica import full_replica, machine
from fracqa import inputs
from fracqa.catalogue import all_rules
from fracqa.config import Settings
from fracqa.inputs import needed_inputs
from fracqa.layout import locate
from fracqa.load.images import image_table
from fracqa.release import RuleView, load_release, real_sizes
from fracqa.runner import _apply

BUDGET_SECONDS = 2.0
IMAGE_INPUTS = {inputs.IMAGE_FILES, inputs.IMAGE_HEADERS, inputs.IMAGE_SCAN}


def once(root) -> tuple[float, int, int]:
    layout = locate(root)
    images = image_table(layout, depth=inputs.IMAGE_HEADERS)  # not timed: budgeted apart
    rules = [r for r in all_rules() if r.family == "annotations" or r.code == "CSV003"]
    needs = needed_inputs(rules) - IMAGE_INPUTS
    started = time.perf_counter()
    release = load_release(layout, Settings(workers=1), needs)
    release.images, release.loaded = images, release.loaded | IMAGE_INPUTS
    release.annotations.place_yolo_boxes(real_sizes(images))
    findings = [f for rule in rules for f in _apply(rule, RuleView(release, rule))]
    return time.perf_counter() - started, len(release.annotations.instances), len(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = full_replica()
    runs = [once(root) for _ in range(args.repeat)]
    seconds = [r[0] for r in runs]
    print(f"machine: {machine()}")
    print(f"instances loaded: {runs[0][1]} (4 formats), findings: {runs[0][2]}")
    print(f"annotations load + check: median {statistics.median(seconds):.2f} s, "
          f"max {max(seconds):.2f} s over {len(seconds)} runs (budget {BUDGET_SECONDS:.1f} s)")
    print("PASS" if max(seconds) < BUDGET_SECONDS else "FAIL")


if __name__ == "__main__":
    main()
