"""The audit's process pool: the image scan and the statistics run in it while the main process
reads the release's tables. With one worker, jobs run in the main process when asked for.

A worker process can die in the middle of a job: the out-of-memory killer ends the process
that meets a hostile image. The pool then fails every job it had not finished
(BrokenProcessPool) and is of no further use. `Workers` builds a new pool, and
`Chunks.results` reads the items of every lost chunk again, one item per job. Each job marks
its start in memory shared with the pool, so that when a pool dies again the jobs that were
running (the one that killed its process among them) are told from those that only waited:
these go to a new pool, those are run once more each in a process of its own, where a death
can only be the job's own. An item whose process dies there too is handed to the caller's
`lost`, which makes it a finding. A job that raises is a bug and its exception is raised here.

Worker processes ignore SIGINT (Ctrl-C in a terminal reaches the whole process group: only the
main process handles it) and take SIGTERM's default action; the main process terminates them
when it stops early (an exception, Ctrl-C, SIGTERM), so that none is left running.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from typing import Any

from fracqa.errors import InternalFault

MARKS = 1 << 16  # start marks shared with a pool; a job's is its number modulo this
FRUITLESS = 3  # pools in a row that die before any job is done or found guilty: give up
LOOK = 0.5  # seconds between looks at whether the pool of a job still pending has died
STUCK = 5.0  # seconds a worker may be dead before its pool is presumed stuck on its last words


class Deferred:
    """A job run in this process the first time its result is asked for."""

    def __init__(self, function: Callable, args: tuple):
        self._function, self._args = function, args
        self._callbacks: list[Callable] = []
        self._done, self._value = False, None

    def add_done_callback(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def result(self) -> Any:
        if not self._done:
            self._value, self._done = self._function(*self._args), True
            for callback in self._callbacks:
                callback(self)
        return self._value


class Done:
    """A result already at hand, with the interface of a pending one."""

    def __init__(self, value: Any):
        self._value = value

    def result(self) -> Any:
        return self._value


class WorkerDied(BrokenProcessPool):
    """A process of fracqa's own died before its job was done."""

    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode
        super().__init__(how_it_died(exitcode))


def how_it_died(exitcode: int | None) -> str:
    """In words: "killed by SIGKILL", "exited with code 9"."""
    if exitcode is None:
        return "it died"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a process of fracqa's own, as text."""

    def __init__(self, text: str):
        super().__init__(text)
        self.tb = text

    def __str__(self) -> str:
        return self.tb


class Workers:
    """`count` worker processes (every core when None); used as a context manager."""

    def __init__(self, count: int | None = None):
        self.count = count or os.cpu_count() or 1
        self._pool = _Pool(self.count) if self.count > 1 else None
        self._alone: list[Alone] = []
        self._standing: list[Standby] = []

    def submit(self, function: Callable, *args) -> _Job | Deferred:
        """`function(*args)` in the pool (its `.result()` raises BrokenProcessPool if the job
        was lost with its worker)."""
        if self._pool is None:
            return Deferred(function, args)
        return self._job(function, args)

    def in_chunks(self, function: Callable, items: list) -> Chunks:
        """`function(chunk)` for consecutive chunks of `items`, spread over the workers (a few
        chunks per worker, so that one slow chunk does not keep the others waiting)."""
        size = max(1, min(64, len(items) // (self.count * 8)))
        return Chunks(self, function, items, size)

    def each(self, function: Callable, tasks: list[tuple],
             lost: Callable[[tuple, str], Any]) -> list:  # fmt: skip
        """`function(*task)` for every task, a job each, in order, whatever worker dies: a task
        whose job was running when its pool died is run again in a process of its own, and
        `lost(task, how)` stands for its result when that process dies too (`how`: "killed by
        SIGKILL", ...)."""
        if self._pool is None:
            return [function(*task) for task in tasks]
        results: list = [None] * len(tasks)
        waiting, suspects, fruitless = list(range(len(tasks))), [], 0
        while waiting:
            jobs = [(index, self._job(function, tasks[index])) for index in waiting]
            before, waiting = len(jobs), []
            for index, job in jobs:
                try:
                    results[index] = job.result()
                except BrokenProcessPool:
                    self._renew(job.pool)
                    (suspects if job.started() else waiting).append(index)
            fruitless = fruitless + 1 if len(waiting) == before else 0
            if fruitless >= FRUITLESS:
                raise InternalFault(f"the worker processes died {fruitless} times in a row "
                                    "before any job was done")  # fmt: skip
        for start in range(0, len(suspects), self.count):
            batch = [(index, self._alone_job(function, tasks[index]))
                     for index in suspects[start:start + self.count]]  # fmt: skip
            for index, alone in batch:
                try:
                    results[index] = alone.result()
                except WorkerDied as died:
                    results[index] = lost(tasks[index], str(died))
        return results

    def submit_alone(self, function: Callable, *args, what: str | None = None,
                     standby: Standby | None = None) -> Retried | Deferred:  # fmt: skip
        """Run a heavy job in a process of its own, which ends as soon as its job is done, so
        that its memory is not held through the rest of the audit (the `standby` process, if
        given and not used yet, readied for it). If that process dies, the job is run once
        more; a second death is an InternalFault naming `what`."""
        if self._pool is None:
            return Deferred(function, args)
        return Retried(self, function, args, what or f"the process running {function.__name__}",
                       standby)  # fmt: skip

    def _alone_job(self, function: Callable, args: tuple) -> Alone:
        alone = Alone.start(function, args)
        self._alone.append(alone)
        return alone

    def _job(self, function: Callable, args: tuple) -> _Job:
        try:
            return self._pool.submit(function, args)
        except BrokenProcessPool:  # it died since the last job was given to it
            self._renew(self._pool)
            return self._pool.submit(function, args)

    def _renew(self, broken: _Pool) -> None:
        """A new pool in place of `broken`, unless that was done already."""
        if self._pool is not broken:
            return
        broken.stop()
        self._pool = _Pool(self.count)

    def stop(self) -> None:
        """End every process of the pool and every process of its own now, their jobs
        unfinished."""
        with _undisturbed():
            for standby in self._standing:
                standby.terminate()
            for alone in self._alone:
                alone.terminate()
            if self._pool is not None:
                self._pool.stop()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:  # an error, Ctrl-C or SIGTERM: no job's result is wanted any more
            self.stop()
            return
        for standby in self._standing:
            standby.close()  # normally done already
        for alone in self._alone:
            alone.terminate()  # normally done and reaped already
        if self._pool is not None:
            self._pool.executor.shutdown(cancel_futures=True)


class Chunks:
    """`function(chunk)` for consecutive chunks of `items`, under way in the pool (see
    Workers.in_chunks)."""

    def __init__(self, workers: Workers, function: Callable, items: list, size: int):
        self._workers, self._function = workers, function
        self._chunks = [items[i:i + size] for i in range(0, len(items), size)]
        self._jobs = [workers.submit(function, chunk) for chunk in self._chunks]
        self._callbacks: list[Callable[[int], Any]] = []

    def add_done_callback(self, callback: Callable[[int], Any]) -> None:
        """`callback(n)` whenever n more items are read."""
        self._callbacks.append(callback)
        for chunk, job in zip(self._chunks, self._jobs, strict=True):
            job.add_done_callback(_Counted(callback, len(chunk)))

    def add_result_callback(self, callback: Callable[[int, Any], Any]) -> None:
        """`callback(start, value)` as each chunk is read: `value` is its `function(chunk)`,
        `start` the position of its first item among the items (called from the pool's
        thread; not called for a chunk lost with its worker, which `results` reads again)."""
        start = 0
        for chunk, job in zip(self._chunks, self._jobs, strict=True):
            job.add_done_callback(_Delivered(callback, start))
            start += len(chunk)

    def results(self, lost: Callable[[Any, str], Any]) -> list:
        """Each chunk's `function(chunk)`, in order. A chunk whose worker died (taking the
        chunk with it) is read again an item at a time: in its place come `function([item])`
        for each of its items, or `lost(item, how)` for an item that killed the process
        reading it again (see Workers.each)."""
        parts: list[list | None] = []
        again = []
        for position, job in enumerate(self._jobs):
            try:
                parts.append([job.result()])
            except BrokenProcessPool:
                parts.append(None)
                again.append(position)
        if again:
            items = [item for position in again for item in self._chunks[position]]
            found = iter(self._workers.each(self._function, [([item],) for item in items],
                                            lambda task, how: lost(task[0][0], how)))
            for position in again:
                parts[position] = [next(found) for _ in self._chunks[position]]
            for callback in self._callbacks:
                callback(len(items))
        return [part for chunk_parts in parts for part in chunk_parts]


class Alone:
    """A job in a one-off process of its own, which sends its result on `receiver` and ends."""

    def __init__(self, receiver, process):
        self._receiver, self._process = receiver, process
        self._outcome: tuple | None = None

    @classmethod
    def start(cls, function: Callable, args: tuple) -> Alone:
        """`function(*args)` in a process forked for it."""
        context = multiprocessing.get_context()
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_run_alone, args=(sender, function, args), daemon=True)
        with _signals_held():
            process.start()
        sender.close()  # so that the receiver sees the end of the pipe when the process dies
        return cls(receiver, process)

    def result(self) -> Any:
        """The job's result; raises WorkerDied when its process died without one, or the
        exception the job raised."""
        if self._outcome is None:
            try:
                self._outcome = self._receiver.recv()
            except EOFError:
                self._process.join()
                raise WorkerDied(self._process.exitcode) from None
            finally:
                self._receiver.close()
            self._process.join()
        kind, value, text = self._outcome
        if kind == "error":
            raise value from RemoteTraceback(text)
        return value

    def terminate(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


class Standby:
    """A process forked early, which readies itself (`prepare()`: imports that take seconds)
    while this one goes on, then runs the one job `submit` sends it and ends, as an Alone does.
    Great Expectations, two seconds to import, is imported so while the audit starts (one core
    is idle then) rather than while the images are read (both are busy). Not sent a job, it
    ends when `close`d."""

    def __init__(self, prepare: Callable[[], Any]):
        context = multiprocessing.get_context()
        jobs, self._jobs = context.Pipe(duplex=False)
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_stand_by, args=(prepare, jobs, sender, (self._jobs, self._receiver)),
            daemon=True)  # fmt: skip
        self.used = False
        with _signals_held():  # a Ctrl-C arrives once it is known, and ended with the rest
            self._process.start()
            _STANDING.add(self)
        jobs.close()
        sender.close()

    def submit(self, function: Callable, args: tuple) -> Alone | None:
        """The job under way in the standby process (its `.result()` as an Alone's), or None
        when the job cannot be sent to another process (a function defined in a function):
        an Alone, forked with the job, then runs it."""
        try:
            job = pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - not picklable: run where a fork carries it
            return None
        self.used = True
        pending = Alone(self._receiver, self._process)
        # sent from a thread: the process reads its job only once ready, and a job larger
        # than the pipe holds would keep this one waiting till then
        threading.Thread(target=self._send, args=(job,), daemon=True).start()
        return pending

    def _send(self, job: bytes) -> None:
        # Whatever stops the sending (the process died, or was ended and the pipe closed
        # meanwhile), the job's result() then says the process ended without a result.
        with suppress(Exception):
            self._jobs.send_bytes(job)
            self._jobs.close()

    def close(self) -> None:
        """End the process: it has done its job (and ends of itself), or none will come (it is
        terminated)."""
        if self.used:
            self._process.join(timeout=1)
        self.terminate()

    def terminate(self) -> None:
        """End the process now, its job unfinished."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._jobs.close()
        _STANDING.discard(self)


_STANDING: set[Standby] = set()  # the standby processes not ended yet


def end_standbys() -> None:
    """End every standby process now (the audit stops early: an error, Ctrl-C, SIGTERM)."""
    with _undisturbed():
        for standby in list(_STANDING):
            standby.terminate()


class Retried:
    """A job in a process of its own, run a second time if its process dies (see
    Workers.submit_alone)."""

    def __init__(self, workers: Workers, function: Callable, args: tuple, what: str,
                 standby: Standby | None = None):  # fmt: skip
        self._workers, self._function, self._args, self._what = workers, function, args, what
        self._first: Alone | None = None
        if standby is not None and not standby.used:
            workers._standing.append(standby)
            self._first = standby.submit(function, args)
        if self._first is None:
            self._first = workers._alone_job(function, args)

    def result(self) -> Any:
        try:
            return self._first.result()
        except WorkerDied as died:
            try:
                return self._workers._alone_job(self._function, self._args).result()
            except WorkerDied as again:
                raise InternalFault(f"{self._what} died twice ({died}, then {again})") from again


class _Pool:
    """A ProcessPoolExecutor whose jobs mark their start in memory shared with it."""

    def __init__(self, count: int):
        self.marks = multiprocessing.RawArray("b", MARKS)
        self.executor = ProcessPoolExecutor(count, initializer=_start_worker,
                                            initargs=(self.marks,))  # fmt: skip
        if isinstance(getattr(self.executor, "_pending_work_items", None), dict):
            self.executor._pending_work_items = _Pending()
        self._jobs = 0
        self._death_seen: float | None = None

    def submit(self, function: Callable, args: tuple) -> _Job:
        mark = self._jobs % MARKS
        self._jobs += 1
        if mark == 0 and self._jobs == 1:  # the first job starts the processes
            with _signals_held():
                return _Job(self.executor.submit(_marked, mark, function, args), self, mark)
        return _Job(self.executor.submit(_marked, mark, function, args), self, mark)

    def dead(self) -> bool:
        """Broken, and done marking its jobs lost."""
        thread = getattr(self.executor, "_executor_manager_thread", None)
        return bool(getattr(self.executor, "_broken", False)) and not (thread and thread.is_alive())

    def unstick(self) -> None:
        """A worker killed while it sent a result leaves the pool's thread waiting for the
        rest of the message, blind to the death: once a worker has been dead for STUCK seconds
        with the pool not yet broken, the pool is stopped, which breaks it (its jobs are then
        lost, and read again)."""
        if getattr(self.executor, "_broken", False):
            return
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        if not any(process.exitcode is not None for process in processes):
            return
        if self._death_seen is None:
            self._death_seen = time.monotonic()
        elif time.monotonic() - self._death_seen > STUCK:
            self.stop()

    def stop(self) -> None:
        """Terminate its processes, then let it go.

        A worker terminated while it sends a result leaves half a message in the result pipe,
        which the pool's thread then waits for the rest of forever (this process holds the
        pipe's other end too). Once the workers are gone, that end is closed: the thread reads
        the end of the pipe, marks the pool broken and ends."""
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
        results = getattr(self.executor, "_result_queue", None)
        if results is not None and getattr(results, "_writer", None) is not None:
            results._writer.close()
        self.executor.shutdown(wait=True, cancel_futures=True)


class _Pending(dict):
    """A pool's jobs not yet done. CPython 3.11's pool, when a worker dies, fails them all by
    iterating over them in its own thread, while this one may be adding a job: the iteration
    then fails ("dictionary changed size") and leaves the jobs pending, with a traceback on
    stderr. Iterated over a copy, the jobs added meanwhile are only left pending (see
    _Job.result)."""

    def items(self):
        return list(super().items())


class _Job:
    """One job given to a pool."""

    __slots__ = ("future", "pool", "mark")

    def __init__(self, future: Future, pool: _Pool, mark: int):
        self.future, self.pool, self.mark = future, pool, mark

    def add_done_callback(self, callback: Callable) -> None:
        self.future.add_done_callback(callback)

    def result(self) -> Any:
        """The job's result; BrokenProcessPool when it was lost with its pool. (CPython 3.11
        can leave a job given to a pool in the instant it breaks pending for ever: once the
        pool is dead, such a job is lost too.)"""
        while True:
            if not self.future.done():
                if self.pool.dead():
                    raise BrokenProcessPool("the pool died before the job reached a worker")
                self.pool.unstick()
            try:
                return self.future.result(timeout=LOOK)
            except TimeoutError:
                continue
            except CancelledError:
                raise BrokenProcessPool("the job was cancelled with its pool") from None

    def started(self) -> bool:
        """True when the job was running (not only waiting) when its pool died."""
        return bool(self.pool.marks[self.mark])


class _Counted:
    """A chunk's done-callback: `callback(n)` when the chunk was read (not lost)."""

    def __init__(self, callback: Callable[[int], Any], n: int):
        self._callback, self._n = callback, n

    def __call__(self, done) -> None:
        if isinstance(done, Deferred) or (not done.cancelled() and done.exception() is None):
            self._callback(self._n)


class _Delivered:
    """A chunk's done-callback: `callback(start, value)` when the chunk was read (not lost)."""

    def __init__(self, callback: Callable[[int, Any], Any], start: int):
        self._callback, self._start = callback, start

    def __call__(self, done) -> None:
        if isinstance(done, Deferred) or (not done.cancelled() and done.exception() is None):
            self._callback(self._start, done.result())


_MARKS = None  # in a worker process: the start marks of its pool


def _start_worker(marks) -> None:
    global _MARKS
    _MARKS = marks
    _quiet_signals()


def _quiet_signals() -> None:
    """Ctrl-C is for the main process; SIGTERM (from the main process) just ends this one.
    The process was started with both held (see _signals_held): they arrive now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)


_STOPPING = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back while processes are forked, and delivered after: one that
    arrives in the middle of a fork would be raised (and lost) in an at-fork hook of this
    process, or in the new one before it ignores it. The new processes start with both held."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _marked(mark: int, function: Callable, args: tuple) -> Any:
    _MARKS[mark] = 1
    try:
        return function(*args)
    finally:
        _MARKS[mark] = 0  # done (or raised): it did not kill its process


def _stand_by(prepare: Callable[[], Any], jobs, sender, parent_ends: tuple) -> None:
    _quiet_signals()
    for end in parent_ends:  # this process's copies of the other ends: the pipes' ends are
        end.close()  # seen when the main process closes (or loses) its own
    parent = os.getppid()
    with suppress(Exception):  # the job then fails as it would have, and says so
        prepare()
    try:
        while not jobs.poll(LOOK):
            if os.getppid() != parent:  # the main process is gone (a later fork holds the
                return  # pipe's end open, so its end is not seen)
        function, args = pickle.loads(jobs.recv_bytes())
    except EOFError:  # no job after all
        return
    _run_alone(sender, function, args)


def _run_alone(sender, function: Callable, args: tuple) -> None:
    _quiet_signals()
    try:
        outcome = ("ok", function(*args), "")
    except Exception as error:  # noqa: BLE001 - raised again in the main process
        outcome = ("error", error, traceback.format_exc())
    try:
        sender.send(outcome)
    except Exception:  # noqa: BLE001 - the exception or value could not be pickled
        kind, value, text = outcome
        sender.send(("error", RuntimeError(f"{type(value).__name__}: {value}"), text))
    sender.close()


@contextmanager
def _undisturbed() -> Iterator[None]:
    """SIGINT and SIGTERM held off while the processes are ended (a second Ctrl-C must not
    leave one running)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {number: signal.signal(number, signal.SIG_IGN)
             for number in (signal.SIGINT, signal.SIGTERM)}  # fmt: skip
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
