"""Worker processes on this machine: each file read in a worker with a time and memory limit; a
worker that overruns or dies is replaced and its file becomes one error."""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType

from pbextract.batch.model import Limits, ReadOutcome, ReadTask
from pbextract.batch.worker import serve
from pbextract.pipeline import FileResult

PageCallback = Callable[[ReadTask, int, int], None]  # (file, pages done, pages)

_ctx = multiprocessing.get_context("forkserver")  # workers fork from a clean server, not the driver
_ctx.set_forkserver_preload(["pbextract.batch.worker"])


@dataclass
class _Slot:
    process: BaseProcess
    conn: Connection
    task: ReadTask | None = None
    started: float = 0.0
    pages: int = 0
    done: int = 0


class LocalPool:
    """``workers`` persistent processes; ``run`` yields an outcome per task as each finishes."""

    def __init__(self, workers: int, limits: Limits) -> None:
        self.limits = limits
        self._slots = [self._start() for _ in range(workers)]
        self.peak_rss_mb = 0.0

    def _start(self) -> _Slot:
        parent, child = _ctx.Pipe()
        process = _ctx.Process(target=serve, args=(child, self.limits), daemon=True, name="pbextract-worker")
        process.start()
        child.close()
        return _Slot(process, parent)

    def run(
        self,
        tasks: Iterable[ReadTask],
        stopping: Callable[[], bool] = lambda: False,
        on_page: PageCallback | None = None,
    ) -> Iterator[ReadOutcome]:
        """Read every task (until ``stopping()``: then only the files in hand are finished)."""
        queue = iter(tasks)
        more = True
        while True:
            for i, slot in enumerate(self._slots):
                if slot.task is None and more and not stopping():
                    task = next(queue, None)
                    if task is None:
                        more = False
                    else:
                        self._slots[i] = slot = self._assign(slot, task)
            busy = [s for s in self._slots if s.task is not None]
            if not busy:
                return
            wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout=0.5)
            for i, slot in enumerate(self._slots):
                if slot.task is not None:
                    outcome = self._check(i, slot, on_page)
                    if outcome is not None:
                        self.peak_rss_mb = max(self.peak_rss_mb, outcome.peak_rss_mb)
                        yield outcome

    def _assign(self, slot: _Slot, task: ReadTask) -> _Slot:
        if not slot.process.is_alive():
            slot = self._start()
        slot.task, slot.started, slot.pages, slot.done = task, time.monotonic(), 0, 0
        with contextlib.suppress(OSError):  # died just now: _check reports it
            slot.conn.send(task)
        return slot

    def _check(self, i: int, slot: _Slot, on_page: PageCallback | None) -> ReadOutcome | None:
        """The slot's outcome if its file is finished, timed out, or its worker died; else None."""
        assert slot.task is not None
        task = slot.task
        try:
            while slot.conn.poll():
                message = slot.conn.recv()
                if message[0] == "done":
                    slot.task = None
                    outcome: ReadOutcome = message[1]
                    if message[2]:  # the worker retires (its memory grew): start a fresh one
                        self._replace(i)
                    return outcome
                slot.done, slot.pages = message[1], message[2]
                if on_page is not None:
                    on_page(task, slot.done, slot.pages)
        except (EOFError, OSError):
            pass
        where = f"page {slot.done + 1} of {slot.pages}" if slot.pages else "opening the file"
        if not slot.process.is_alive():
            reason = f"its worker died ({_exit_reason(slot.process.exitcode)}) at {where}"
        elif time.monotonic() - slot.started > (limit := self.limits.timeout_for(slot.pages)):
            reason = f"timed out after {limit:.0f} s at {where} (--file-timeout)"
        else:
            return None
        self._replace(i)
        result = FileResult(path=task.source, sha256=task.sha256, pages=slot.pages, status="error")
        result.error = f"{task.source}: {reason}"
        return ReadOutcome(index=task.index, result=result, limited=True)

    def _replace(self, i: int) -> None:
        old = self._slots[i]
        old.process.kill()
        old.process.join(5)
        old.conn.close()
        self._slots[i] = self._start()

    def close(self) -> None:
        """Stop every worker (a file in hand is abandoned)."""
        for slot in self._slots:
            slot.process.kill()
        for slot in self._slots:
            slot.process.join(5)
            slot.conn.close()

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        return f"{name}, perhaps killed for memory" if name == "SIGKILL" else name
    return f"exit code {code}"
