"""The standby process: forked early to import what a later job needs (Great Expectations),
then given that one job; it never holds up the audit, and never outlives it."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fracqa import workers
from fracqa.cli import main
from fracqa.workers import Standby, Workers
from tests.helpers import SAMPLE_EXPECTATIONS

PARENT = os.getpid()


def _ready_slowly() -> None:
    time.sleep(0.5)


def _refuse_to_get_ready() -> None:
    raise ImportError("no such module")


def _where(value: int) -> tuple[int, int]:
    return value, os.getpid()


def test_a_standby_runs_its_one_job_once_ready():
    standby = Standby(_ready_slowly)
    value, pid = standby.submit(_where, (7,)).result()
    standby.close()
    assert value == 7 and pid not in (PARENT, os.getpid())
    assert multiprocessing.active_children() == []


def test_a_standby_that_could_not_get_ready_still_runs_its_job():
    standby = Standby(_refuse_to_get_ready)
    assert standby.submit(_where, (3,)).result()[0] == 3
    standby.close()


def test_a_standby_given_no_job_is_ended_at_once():
    standby = Standby(lambda: time.sleep(30))
    started = time.perf_counter()
    standby.close()
    assert time.perf_counter() - started < 5
    assert multiprocessing.active_children() == []


def test_a_job_that_cannot_be_sent_runs_in_a_process_forked_with_it():
    def local(value):  # defined here: pickle cannot send it, a fork carries it
        return value * 2, os.getpid()

    standby = Standby(_ready_slowly)
    with Workers(2) as pool:
        value, pid = pool.submit_alone(local, 21, standby=standby).result()
    assert value == 42 and pid != os.getpid()
    assert not standby.used and multiprocessing.active_children() == []


def test_a_standby_that_dies_has_its_job_run_again():
    standby = Standby(lambda: os._exit(9))
    with Workers(2) as pool:
        assert pool.submit_alone(_where, 5, standby=standby).result()[0] == 5
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(("select", "standing"), [([], 1), (["--select", "CSV"], 0)])
def test_the_audit_measures_the_figures_in_a_standby_when_it_needs_them(
        select, standing, sample_root, monkeypatch, capsys):  # fmt: skip
    started = []
    real = workers.Standby.__init__

    def counted(self, prepare):
        started.append(prepare)
        real(self, prepare)

    monkeypatch.setattr(workers.Standby, "__init__", counted)
    code = main(["audit", str(sample_root), "--expect", str(SAMPLE_EXPECTATIONS), "--workers",
                 "2", "-qq", *select])  # fmt: skip
    assert code == 0 and len(started) == standing
    assert multiprocessing.active_children() == []


ORPHANED = """
import os, sys, time
from fracqa.workers import Standby
standby = Standby(lambda: None)
print(standby._process.pid, flush=True)
os._exit(0)  # gone without a word to it, as a process killed at once
"""


def test_a_standby_whose_audit_is_gone_ends_too():
    run = subprocess.run([sys.executable, "-c", ORPHANED], capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    pid = int(run.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
