"""The audit's process pool: the image scan and the statistics run in it while the main process
reads the release's tables. With one worker, jobs run in the main process when asked for."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any


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


class Workers:
    """`count` worker processes (every core when None); used as a context manager."""

    def __init__(self, count: int | None = None):
        self.count = count or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(max_workers=self.count) if self.count > 1 else None

    def submit(self, function: Callable, *args) -> Future | Deferred:
        if self._pool is None:
            return Deferred(function, args)
        return self._pool.submit(function, *args)

    def in_chunks(self, function: Callable, items: list) -> list[Future | Deferred]:
        """`function(chunk)` for consecutive chunks of `items`, spread over the workers (a few
        chunks per worker, so that one slow chunk does not keep the others waiting)."""
        size = max(1, min(64, len(items) // (self.count * 8)))
        return [self.submit(function, items[i:i + size]) for i in range(0, len(items), size)]

    def submit_alone(self, function: Callable, *args) -> Alone | Deferred:
        """Run a heavy job in a process of its own, which ends as soon as its result is taken,
        so that its memory is not held through the rest of the audit."""
        if self._pool is None:
            return Deferred(function, args)
        return Alone(function, args)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


class Alone:
    """A job in a one-off process (see Workers.submit_alone)."""

    def __init__(self, function: Callable, args: tuple):
        self._pool = ProcessPoolExecutor(max_workers=1)
        self._future = self._pool.submit(function, *args)
        # The process exits as soon as the job is done, not when its result is asked for.
        self._future.add_done_callback(lambda _: self._pool.shutdown(wait=False))

    def result(self) -> Any:
        try:
            return self._future.result()
        finally:
            self._pool.shutdown()
