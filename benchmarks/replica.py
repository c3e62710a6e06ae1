"""What the benchmarks share: the full-size replica (found, or built once), a line saying
which machine the numbers were measured on, and the timing of a fresh process."""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

from fixtures.spec import full_spec
from fixtures.writer import write_release


def machine() -> str:
    """e.g. `x86_64, 2 cores, CPython 3.11.7`."""
    return (f"{platform.machine()}, {os.cpu_count()} cores, "
            f"{platform.python_implementation()} {platform.python_version()}")  # fmt: skip


def timed(command: list[str]) -> float:
    """Seconds a command takes as a fresh process, its output discarded."""
    started = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def full_replica(scale: int = 1) -> Path:
    """The full-size replica at `scale`, built under $FRACQA_BENCH_DIR (or the temp folder) on
    first use and reused afterwards."""
    base = Path(os.environ.get("FRACQA_BENCH_DIR", Path(tempfile.gettempdir()) / "fracqa-bench"))
    parent = base / f"replica-x{scale}"
    root = parent / "FracAtlas"
    if not (root / "dataset.csv").is_file():
        parent.mkdir(parents=True, exist_ok=True)
        print(f"building the x{scale} replica in {parent} ...", flush=True)
        write_release(full_spec(scale=scale), parent)
    return root
