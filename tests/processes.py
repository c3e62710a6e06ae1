"""The processes of an audit run as a command, seen through /proc: its children (the worker
processes and the processes of their own it starts), watched as they come and go."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def start_audit(*args: str, new_session: bool = False) -> subprocess.Popen:
    """`python -m fracqa audit ARGS` from this checkout, its output captured."""
    return subprocess.Popen([sys.executable, "-m", "fracqa", "audit", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=new_session)  # fmt: skip


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (none once it has ended)."""
    found: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found.update(int(child) for child in listing.read().split())
        except OSError:
            continue
    return found


def running(pid: int) -> bool:
    """True while `pid` is a process that has not ended (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def with_command_line(words: list[str]) -> set[int]:
    """The processes running with exactly this command line (a forked worker keeps its
    parent's: an orphan left by an audit has the audit's)."""
    wanted = "\0".join(words) + "\0"
    found = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline") as cmdline:
                    if cmdline.read() == wanted and running(int(name)):
                        found.add(int(name))
            except OSError:
                continue
    return found


def watch(process: subprocess.Popen, until, timeout: float = 600.0) -> set[int]:
    """Poll the children of `process` every millisecond or so until `until(seen, new)` is
    true or the process ends; `until` is called with every child seen so far and the ones just
    seen for the first time, and may act on them. Returns every child seen."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        new = children(process.pid) - seen
        seen |= new
        if until(seen, sorted(new)):
            break
        time.sleep(0.001)
    return seen
