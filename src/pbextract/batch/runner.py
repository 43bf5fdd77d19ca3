"""A batch: inputs -> one committed unit per file -> combined outputs and the manifest.

Whichever executor reads the files (worker processes here, or Ray tasks), the driver hashes the
inputs, skips files already committed with the same bytes, version and options, commits each
outcome as it arrives, and rebuilds records.jsonl and the Parquet tables from the committed units
(every minute and at the end), so they never mix two runs.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from pbextract import SCHEMA_VERSION, __version__
from pbextract.batch.inputs import InputFile, collect, display
from pbextract.batch.model import BatchOptions, Limits, ReadOutcome, ReadTask
from pbextract.batch.pool import LocalPool, PageCallback
from pbextract.batch.report import Report
from pbextract.batch.store import FileEntry, FolderInUse, JobFolder
from pbextract.output.writers import atomic_write, write_combined
from pbextract.pipeline import FileResult
from pbextract.read.ocr.engine import ModelError
from pbextract.read.pdfopen import sha256_of
from pbextract.schema import Record

EXIT_OK = 0  # every file was read (records may carry QA flags)
EXIT_FILE_ERRORS = 1  # some input, file or page could not be read; everything else was written
EXIT_USAGE = 2  # bad command line
EXIT_OUTPUT = 3  # the output folder cannot be used: in use by another run, not writable, disk full
EXIT_MODEL = 4  # a model or configuration problem that would fail every page: the batch stopped at once
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM: the files in hand were finished, the rest are pending

CHECKPOINT_SECONDS = 60.0  # combined outputs and manifest rebuilt at least this often


class UsageError(Exception):
    """An input path that does not exist."""


class _OutputFailed(Exception):
    """The output folder could not be written (disk full, permissions)."""


class Executor(Protocol):
    peak_rss_mb: float

    def run(
        self, tasks: Sequence[ReadTask], stopping: Callable[[], bool], on_page: PageCallback | None = None
    ) -> Iterator[ReadOutcome]: ...

    def close(self) -> None: ...


class _Item:
    """One input file's state in this run."""

    def __init__(self, file: InputFile) -> None:
        self.file = file
        self.sha256: str | None = None
        self.entry: FileEntry | None = None  # set once done (committed, reused, unreadable or duplicate)
        self.primary = True


def regular_file_sha256(path: Path) -> str:
    """The file's hash; OSError if it cannot be read, ValueError if it is not a regular file."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ValueError("not a regular file")
    return sha256_of(path)


def run_batch(options: BatchOptions) -> int:
    """Run one batch into ``options.out``; returns the exit code (``EXIT_*``). Raises UsageError."""
    try:
        inputs = collect(options.inputs)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    report = Report(options.quiet, options.log_file)
    try:
        try:
            job = JobFolder(options.out)
        except FolderInUse as exc:
            report.line("fatal", str(exc))
            return EXIT_OUTPUT
        except OSError as exc:
            report.line("fatal", f"{options.out}: output folder cannot be used: {exc}")
            return EXIT_OUTPUT
        try:
            for problem in inputs.problems:
                report.line("error", problem)
            for note in inputs.notes:
                report.line("note", note)
            return _Run(options, job, [_Item(f) for f in inputs.files], inputs.problems, report).go()
        finally:
            job.release()
    finally:
        report.close()


class _Run:
    def __init__(
        self, options: BatchOptions, job: JobFolder, items: list[_Item], problems: list[str], report: Report
    ) -> None:
        self.options, self.job, self.items, self.problems, self.report = options, job, items, problems, report
        self.key = options.resume_key()
        self.id = uuid.uuid4().hex[:12]
        self.started = _now()
        self.status = "running"
        self.reason: str | None = None
        self.stopping = False
        self.output_failed = False
        self.peak_rss_mb = 0.0
        self.pages_read = 0
        self.clock = time.perf_counter()

    def go(self) -> int:
        todo = self._plan()
        self.report.start(len(self.items))
        for item in self.items:
            if item.entry is not None:
                self.report.advance()
        previous = {s: signal.signal(s, self._interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._checkpoint()
            self._read(todo)
            if self.status != "stopped":
                pending = any(i.entry is None for i in self.items)
                self.status = "interrupted" if pending else "complete"
                self.reason = self.reason if pending else None
            self._checkpoint()
        except KeyboardInterrupt:
            self.status, self.reason = "interrupted", "stopped at once (second Ctrl-C)"
            self._checkpoint()
        except _OutputFailed as exc:
            self.status, self.reason, self.output_failed = "stopped", f"output folder: {exc}", True
            self.report.line("fatal", f"{self.options.out}: cannot write the output folder: {exc}")
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        return self._finish()

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            raise KeyboardInterrupt
        self.stopping = True
        self.status, self.reason = "interrupted", f"{signal.Signals(signum).name}: stopped after the files in hand"
        self.report.line("note", "stopping after the files in hand (Ctrl-C again to stop at once)")

    def _plan(self) -> list[_Item]:
        """Hash every input; mark unreadable files, byte-identical copies and committed units."""
        first: dict[str, _Item] = {}
        todo: list[_Item] = []
        for item in self.items:
            source = item.file.source
            try:
                item.sha256 = regular_file_sha256(item.file.path)
            except (OSError, ValueError) as exc:
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                item.entry = FileEntry(path=source, status="error", error=f"{source}: cannot be read: {why}")
                self.report.line("error", item.entry.error or "", source)
                continue
            if item.sha256 in first:
                item.primary = False
                original = first[item.sha256].file.source
                item.entry = FileEntry(path=source, sha256=item.sha256, status="duplicate", duplicate_of=original)
                self.report.line("note", f"{source}: same bytes as {original}; read once", source)
                continue
            first[item.sha256] = item
            header = None if self.options.reprocess else self.job.header(item.sha256)
            if header is not None and header.key in (self.key, self.key + self.options.limits_key()):
                item.entry = header.entry.model_copy(update={"path": source, "reused": True})
            else:
                todo.append(item)
        return todo

    def _read(self, todo: list[_Item]) -> None:
        tasks = [
            ReadTask(
                index=i,
                path=os.fsdecode(it.file.path),
                source=it.file.source,
                sha256=it.sha256,
                password=self.options.password,
            )
            for i, it in enumerate(todo)
        ]
        last = time.monotonic()
        executor = self._executor()
        try:
            for outcome in executor.run(tasks, lambda: self.stopping, self._on_page):
                item = todo[outcome.index]
                if outcome.fatal is not None:
                    self.status, self.reason = "stopped", f"model or configuration problem: {outcome.fatal}"
                    self.report.line("fatal", f"{outcome.fatal} (the batch is stopped: every page would fail)")
                    return
                try:
                    key = self.key + (self.options.limits_key() if outcome.limited else "")
                    header = self.job.commit(outcome, key)
                except OSError as exc:
                    raise _OutputFailed(exc) from exc
                item.entry = header.entry.model_copy(update={"path": item.file.source})
                self.pages_read += outcome.result.pages
                self._say(item.entry)
                self.report.advance()
                if time.monotonic() - last > CHECKPOINT_SECONDS:
                    self._checkpoint()
                    last = time.monotonic()
        finally:
            self.peak_rss_mb = executor.peak_rss_mb
            executor.close()

    def _executor(self) -> Executor:
        limits, workers = self.options.limits, self.options.workers
        if self.options.ray is not None:
            from pbextract.batch.ray_executor import RayExecutor

            return RayExecutor(self.options.ray, workers, limits)
        pending = sum(1 for i in self.items if i.entry is None)
        return LocalPool(max(1, min(workers, pending)), limits)

    def _on_page(self, task: ReadTask, done: int, total: int) -> None:
        self.report.page(task.source, done, total)

    def _say(self, entry: FileEntry) -> None:
        if entry.status == "error":
            self.report.line("error", entry.error or entry.path, entry.path)
            return
        for message in entry.page_errors:
            self.report.line("page", message, entry.path)

    def _records(self) -> Iterator[Record]:
        """The committed records of this run's inputs, in input order, named by this run's paths."""
        for item in self.items:
            if item.primary and item.sha256 and item.entry is not None and item.entry.status != "error":
                result = self.job.result(item.sha256)
                for record in result.records:
                    record.source_path, record.source_file = item.file.source, Path(item.file.source).name
                    yield record

    def _checkpoint(self) -> None:
        """Rebuild the combined outputs from the committed units, then the manifest."""
        try:
            self._write_outputs()
        except OSError as exc:
            raise _OutputFailed(exc) from exc

    def _write_outputs(self) -> None:
        n = write_combined(self.options.out, self._records())
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "pbextract_version": __version__,
            "run": {
                "id": self.id,
                "started": self.started,
                "ended": None if self.status == "running" else _now(),
                "status": self.status,
                "reason": self.reason,
                "options": self.options.described(),
            },
            "combined_records": n,
            "input_problems": self.problems,
            "pending": [i.file.source for i in self.items if i.entry is None],
            "files": [i.entry.model_dump(mode="json") for i in self.items if i.entry is not None],
            "totals": self._totals(),
        }
        atomic_write(self.options.out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())

    def _totals(self) -> dict[str, Any]:
        entries = [i.entry for i in self.items if i.entry is not None]
        return {
            "files": len(self.items),
            "read_now": sum(1 for e in entries if not e.reused and e.status != "duplicate"),
            "reused": sum(e.reused for e in entries),
            "duplicates": sum(e.status == "duplicate" for e in entries),
            "pending": sum(1 for i in self.items if i.entry is None),
            "errors": sum(e.status == "error" for e in entries) + len(self.problems),
            "partial": sum(e.status == "partial" for e in entries),
            "pages": sum(e.pages for e in entries),
            "failed_pages": sum(len(e.page_errors) for e in entries),
            "records": sum(e.records for e in entries),
            "flags": sum(e.flags for e in entries),
            "seconds": round(sum(e.seconds for e in entries if not e.reused), 3),
        }

    def _finish(self) -> int:
        t = self._totals()
        seconds = time.perf_counter() - self.clock
        rate = self.pages_read / seconds if seconds > 0 else 0.0
        self.report.line(
            "info",
            f"{t['files']} files ({t['reused']} reused, {t['duplicates']} duplicates, {t['pending']} pending), "
            f"{t['pages']} pages ({t['failed_pages']} failed), {t['records']} records, {t['flags']} flags, "
            f"{t['errors']} errors; read {self.pages_read} pages in {seconds:.1f}s ({rate:.1f} pages/s, "
            f"peak RSS per worker {self.peak_rss_mb:.0f} MB); {self.status} -> {self.options.out}",
        )
        if self.status == "stopped":
            return EXIT_OUTPUT if self.output_failed else EXIT_MODEL
        if self.status == "interrupted":
            return EXIT_INTERRUPTED
        return EXIT_FILE_ERRORS if t["errors"] or t["partial"] else EXIT_OK


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def extract_many(
    paths: Sequence[Path | str], workers: int | None = None, limits: Limits | None = None, password: str | None = None
) -> list[FileResult]:
    """Read many PDFs in worker processes (each with the batch's time and memory limits); one FileResult
    per path, in input order (a path given twice is read once). No output folder, no crops.
    Raises ModelError if the OCR model cannot be loaded."""
    unique: dict[str, int] = {}
    tasks: list[ReadTask] = []
    for p in paths:
        real = os.path.realpath(p)
        if real not in unique:
            unique[real] = len(tasks)
            tasks.append(
                ReadTask(
                    index=len(tasks),
                    path=os.fsdecode(p),
                    source=display(p),
                    sha256=None,
                    password=password,
                    crops=False,
                )
            )
    results: dict[int, FileResult] = {}
    count = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    with LocalPool(count, limits or Limits()) as pool:
        for outcome in pool.run(tasks):
            if outcome.fatal is not None:
                raise ModelError(outcome.fatal)
            results[outcome.index] = outcome.result
    return [results[unique[os.path.realpath(p)]] for p in paths]
