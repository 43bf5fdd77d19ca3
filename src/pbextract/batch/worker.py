"""What runs inside a worker process: limits, captured library output, one file read (repaired or
decrypted with qpdf when pdfminer cannot open it), and its crops as bytes."""

from __future__ import annotations

import logging
import os
import resource
import signal
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

import pikepdf

from pbextract.batch.model import Limits, ReadOutcome, ReadTask
from pbextract.output.crops import write_crops
from pbextract.pipeline import FileResult, extract_file
from pbextract.read.ocr.engine import ModelError

MAX_WARNINGS = 20  # distinct warning lines kept per file


class _Capture(logging.Handler):
    """Library log records (pdfminer's "Could not get FontBBox…") kept for the manifest, not stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


_capture = _Capture()


def contain(limits: Limits) -> None:
    """Set up this process as a worker: a data-memory limit, Ctrl-C left to the driver, library
    warnings and C-level stderr captured."""
    limit = limits.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    root = logging.getLogger()
    root.handlers = [_capture]
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    global _spill
    _spill = tempfile.TemporaryFile()  # noqa: SIM115 - the worker's stderr, read after each file
    os.dup2(_spill.fileno(), 2)


_spill: IO[bytes] | None = None


def _spilled() -> list[str]:
    """Lines written to the worker's stderr since the last call (C libraries print there)."""
    if _spill is None:
        return []
    _spill.seek(0)
    text = _spill.read().decode("utf-8", "replace")
    _spill.seek(0)
    _spill.truncate()
    return [line for line in text.splitlines() if line.strip()]


def _summarised(lines: list[str]) -> list[str]:
    counts = Counter(lines)
    return [f"{line} (x{n})" if n > 1 else line for line, n in list(counts.items())[:MAX_WARNINGS]]


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextmanager
def _repaired(path: Path, password: str | None) -> Iterator[Path | None]:
    """A copy rewritten by qpdf (broken xref rebuilt, encryption removed), or None if qpdf cannot open it."""
    with tempfile.TemporaryDirectory(prefix="pbextract-") as tmp:
        copy = Path(tmp) / "repaired.pdf"
        try:
            with pikepdf.open(path, password=password or "") as pdf:
                pdf.save(copy)
        except (pikepdf.PdfError, pikepdf.PasswordError, OSError, ValueError):
            yield None
            return
        yield copy


@contextmanager
def _read(task: ReadTask, on_page: Callable[[int, int], None] | None) -> Iterator[tuple[FileResult, Path, list[str]]]:
    """The file's result, the file it was read from (the input, or a repaired copy while in the block),
    and notes. A file pdfminer cannot open at all is tried again from a qpdf copy."""
    path = Path(task.path)
    result = extract_file(path, on_page=on_page, source=task.source, sha256=task.sha256)
    if result.status != "error" or result.pages or not _is_pdf(path):
        yield result, path, []
        return
    with _repaired(path, task.password) as copy:
        retry = extract_file(copy, on_page=on_page, source=task.source, sha256=task.sha256) if copy else None
        if copy is not None and retry is not None and retry.pages:
            yield retry, copy, [f"read from a copy repaired or decrypted by qpdf (first try: {result.error})"]
            return
        if task.password and "encrypted" in (result.error or ""):
            result.error = f"{task.source}: encrypted PDF: the password given does not open it"
        yield result, path, []


def read_one(task: ReadTask, on_page: Callable[[int, int], None] | None = None) -> ReadOutcome:
    """Read one file in this (worker) process; never raises for a bad file."""
    _capture.lines.clear()
    _spilled()
    try:
        with _read(task, on_page) as (result, readable, notes):
            crops = _crops(readable, result, task)
        result.sha256 = result.sha256 or task.sha256
        limited = bool(result.error and "MemoryError" in result.error)
        if limited:
            result.error = f"{result.error} (memory limit {_limit_mb()} MB per worker, --memory-limit)"
    except ModelError as exc:
        return ReadOutcome(index=task.index, result=FileResult(path=task.source, sha256=task.sha256), fatal=str(exc))
    except MemoryError:
        result = FileResult(path=task.source, sha256=task.sha256, status="error")
        result.error = f"{task.source}: out of memory (memory limit {_limit_mb()} MB per worker, --memory-limit)"
        crops, notes, limited = {}, [], True
    warn = _summarised(notes + _capture.lines + _spilled())
    return ReadOutcome(
        index=task.index, result=result, crops=crops, warnings=warn, peak_rss_mb=peak_rss_mb(), limited=limited
    )


def _limit_mb() -> int:
    return resource.getrlimit(resource.RLIMIT_DATA)[0] >> 20


def _is_pdf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return b"%PDF-" in fh.read(1024)
    except OSError:
        return False


def _crops(pdf: Path, result: FileResult, task: ReadTask) -> dict[str, bytes]:
    """Each flagged cell's PNG, by its path relative to the output folder."""
    if not task.crops or not any(r.flags for r in result.records):
        return {}
    with tempfile.TemporaryDirectory(prefix="pbextract-crops-") as tmp:
        write_crops(pdf, result.records, Path(tmp), result.turned_pages)
        return {str(p.relative_to(tmp)): p.read_bytes() for p in sorted(Path(tmp).rglob("*.png"))}


def serve(conn: Connection, limits: Limits) -> None:
    """A worker's loop: read each task sent, report pages as they are done, send the outcome back."""
    contain(limits)

    def progress(done: int, total: int) -> None:
        conn.send(("page", done, total))

    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the driver is gone
            return
        if task is None:
            return
        outcome = read_one(task, progress)
        retire = outcome.peak_rss_mb > limits.memory_mb / 2  # a heap grown this far stays fragmented
        conn.send(("done", outcome, retire))
        if retire:
            return
