"""A worker process killed mid-audit (what the out-of-memory killer does to a process that meets
a hostile image) loses no image: the pool is rebuilt, what it lost is read again a file per
job, and a file that kills its reader again is a finding while the audit completes. Great
Expectations' process gets a second chance; a second death is a fault of fracqa (exit 3).

Worker processes are forked: a reading function patched here is theirs too. Every audit whose
reading can end its process runs with two workers, so that it never runs in this process."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import defects_annotations as annotations
from fixtures.defects import find_image
from fracqa import figures, workers
from fracqa.catalogue import select_rules
from fracqa.cli import main
from fracqa.config import Settings
from fracqa.load import images as image_loader
from fracqa.load import voc, yolo
from fracqa.runner import audit_release
from tests.helpers import EXPECTED_ON_REPLICA, SAMPLE_EXPECTATIONS, image_with
from tests.processes import start_audit, watch
from tests.report_schema import read_report

POOL = Settings(workers=2, expectations=SAMPLE_EXPECTATIONS)
TEST_PROCESS = os.getpid()
EXPECT = ("--expect", str(SAMPLE_EXPECTATIONS))


def _die(code: int = 9) -> None:
    """End the calling process at once, as the out-of-memory killer would (never this one)."""
    if os.getpid() == TEST_PROCESS:
        raise AssertionError("a job meant for a worker ran in the test's own process")
    os._exit(code)


def _logged(log: Path, line: str) -> None:
    with open(log, "a") as handle:  # one short append: whole lines from every process
        handle.write(line + "\n")


def test_a_worker_killed_mid_audit_loses_no_image(full_replica, tmp_path):
    """The audit's first two child processes (Great Expectations' own, then a pool worker) are
    killed as soon as they appear; the audit still reads every image and reports."""
    report = tmp_path / "audit.json"
    audit = start_audit(str(full_replica), "--json", str(report))
    killed: list[int] = []

    def kill_the_first_two(seen, new):
        for pid in new[: 2 - len(killed)]:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        return len(killed) == 2

    watch(audit, kill_the_first_two)
    seen = watch(audit, lambda seen, new: False)  # every process it starts from then on
    out, err = audit.communicate(timeout=600)
    assert len(killed) == 2
    assert audit.returncode == 0, err
    assert "Traceback" not in err and err == ""
    document = read_report(report)
    assert document["summary"]["images"] == 4083
    assert document["summary"]["rules_run"] == len(select_rules())
    found = {(f["rule"], f["location"]) for f in document["findings"]}
    assert found == {(code, where) for code, places in EXPECTED_ON_REPLICA.items()
                     for where in places}  # the replica's own split statistics, nothing else
    assert all(row["ok"] for row in document["statistics"])  # measured by the second attempt
    assert len(seen) >= 3  # a new pool (two workers) and Great Expectations again


def test_an_image_that_kills_its_reader_again_is_one_finding(sample_copy, tmp_path, monkeypatch):
    killer = image_with(sample_copy, fractured=1)
    log = tmp_path / "reads.log"
    real = image_loader.read_image

    def read_image(path, *args):
        _logged(log, Path(path).name)
        if Path(path).name == killer:
            _die()
        return real(path, *args)

    monkeypatch.setattr(image_loader, "read_image", read_image)
    record, release = audit_release(sample_copy, ignore=["STA"], settings=POOL)
    assert [(f.rule, f.image_id, f.severity.value) for f in record.findings] == [
        ("IMG019", killer, "error")]  # fmt: skip
    [finding] = record.findings
    assert "killed the process reading it, twice (exited with code 9)" in finding.message
    table = release.images
    others = table[table["image_id"] != killer]
    assert len(table) == 40 and others["decoded"].all() and others["sha256"].notna().all()
    assert not others["killed_reader"].any()
    reads = log.read_text().split()
    assert reads.count(killer) == 3  # in its chunk, alone in the new pool, in a process of its own
    assert set(reads) == set(table["image_id"])
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(("fmt", "module", "path_of"),
                         [("yolo", yolo, annotations.yolo_path),
                          ("voc", voc, annotations.voc_path)], ids=["YOLO", "VOC"])  # fmt: skip
def test_an_annotation_file_that_kills_its_reader_again_is_an_ann001_finding(
    fmt, module, path_of, sample_copy, monkeypatch
):
    image_id = image_with(sample_copy, fractured=1)
    file = path_of(sample_copy, image_id).relative_to(sample_copy).as_posix()
    real = module._load_file

    def load_file(path, name, *args):
        if name == file:
            _die(-signal.SIGKILL % 256)
        return real(path, name, *args)

    monkeypatch.setattr(module, "_load_file", load_file)
    record, _ = audit_release(sample_copy, ignore=["STA"], settings=POOL)
    [finding] = record.findings
    assert (finding.rule, finding.file, finding.image_id) == ("ANN001", file, image_id)
    assert "killed the process reading it, twice" in finding.message
    assert finding.details["killed_reader"] is True


def _measure_dying(times: int, marks: Path):
    """Great Expectations' job, whose process dies the first `times` times it runs."""
    real = figures.measure

    def measure(*args):
        marks.mkdir(exist_ok=True)
        if len(list(marks.iterdir())) < times:
            (marks / str(os.getpid())).touch()
            _die()
        return real(*args)

    return measure


def test_great_expectations_dying_once_is_run_again(sample_copy, tmp_path, monkeypatch):
    monkeypatch.setattr("fracqa.release.measure", _measure_dying(1, tmp_path / "deaths"))
    record, _ = audit_release(sample_copy, select=["STA"], settings=POOL)
    assert len(list((tmp_path / "deaths").iterdir())) == 1
    assert record.findings == [] and record.statistics
    assert all(row["ok"] for row in record.statistics)


def test_great_expectations_dying_twice_is_a_fault_of_fracqa(sample_copy, tmp_path, monkeypatch,
                                                             capsys):  # fmt: skip
    monkeypatch.setattr("fracqa.release.measure", _measure_dying(2, tmp_path / "deaths"))
    report = tmp_path / "audit.json"
    assert main(["audit", str(sample_copy), *EXPECT, "--workers", "2", "--select", "STA",
                 "--json", str(report)]) == 3  # fmt: skip
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "fracqa: internal error: the Great Expectations process died twice (exited with code 9, "
        "then exited with code 9); no report was written (this is a fault of fracqa, not of the "
        "release; --debug shows the traceback)"]  # fmt: skip
    assert not report.exists() and list(tmp_path.glob(".audit.json.*")) == []


def test_workers_that_die_before_any_job_is_done_are_a_fault_of_fracqa(sample_copy, monkeypatch,
                                                                       capsys):  # fmt: skip
    monkeypatch.setattr(workers, "_start_worker", lambda marks: _die(7))
    assert main(["audit", str(sample_copy), *EXPECT, "--workers", "2", "--ignore", "STA"]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("fracqa: internal error: the worker processes died 3 times in a row "
                           "before any job was done")  # fmt: skip
    assert multiprocessing.active_children() == []


def test_a_job_that_raises_in_a_worker_is_a_bug_not_a_lost_worker(sample_copy, monkeypatch, capsys):
    def read_image(path, *args):
        raise ValueError(f"no reading {Path(path).name} today")

    monkeypatch.setattr(image_loader, "read_image", read_image)
    assert main(["audit", str(sample_copy), *EXPECT, "--workers", "2", "--ignore", "STA"]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("fracqa: internal error: ValueError: no reading IMG")
    assert "at fracqa/load/images.py:" in line  # where the job called the reading function


def test_worker_deaths_in_a_release_with_a_killer_image_and_a_killer_voc_file(
    sample_copy, monkeypatch
):
    """Two files kill their readers in one audit: the image table and the VOC files both lose
    chunks in the same pool; each file is one finding, nothing else is."""
    image = image_with(sample_copy, fractured=0)
    voc_owner = image_with(sample_copy, fractured=1)
    voc_file = annotations.voc_path(sample_copy, voc_owner).relative_to(sample_copy).as_posix()
    real_read, real_load = image_loader.read_image, voc._load_file
    image_path = str(find_image(sample_copy, image))

    def read_image(path, *args):
        return _die() if path == image_path else real_read(path, *args)

    def load_file(path, name, *args):
        return _die() if name == voc_file else real_load(path, name, *args)

    monkeypatch.setattr(image_loader, "read_image", read_image)
    monkeypatch.setattr(voc, "_load_file", load_file)
    record, _ = audit_release(sample_copy, ignore=["STA"], settings=POOL)
    assert sorted((f.rule, f.image_id) for f in record.findings) == [
        ("ANN001", voc_owner), ("IMG019", image)]  # fmt: skip


HALF_A_RESULT = """
import os, struct, sys, time
from concurrent.futures.process import BrokenProcessPool
from fracqa import workers

def half_a_result(writer: int, wait: float) -> None:
    # a result's header announcing a megabyte, ten bytes of it, then the end of the worker
    os.write(writer, struct.pack("!i", 1 << 20) + bytes(10))
    time.sleep(wait)
    os._exit(9)

pool = workers.Workers(2)
pool.submit(abs, 1).result()  # the workers are up
writer = pool._pool.executor._result_queue._writer.fileno()
job = pool.submit(half_a_result, writer, float(sys.argv[1]))
if sys.argv[2] == "stop":
    time.sleep(0.5)
    pool.stop()
    print("stopped")
else:
    try:
        job.result()
    except BrokenProcessPool:
        print("lost")
    pool.stop()
"""


@pytest.mark.parametrize(("wait", "then", "said"), [
    (5.0, "stop", "stopped"),  # stopped while a worker is half way through sending its result
    (0.0, "wait", "lost"),  # a worker died half way through sending its result
])  # fmt: skip
def test_a_worker_ended_while_it_sends_its_result_leaves_no_pool_stuck(wait, then, said):
    """The pool's thread reads a result message whole: a worker ended half way through one
    (by fracqa's own stop, or by the out-of-memory killer) must not leave it waiting for ever."""
    run = subprocess.run([sys.executable, "-c", HALF_A_RESULT, str(wait), then],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (run.returncode, run.stdout, run.stderr) == (0, said + "\n", "")
