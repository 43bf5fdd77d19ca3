"""The output folder as a restartable job: a lock, and one committed unit per input file.

A unit is ``units/<sha256>.json`` (line 1: how it was made; line 2: the file's result with its
records) and the file's crops in ``crops/<sha16>/``. Crops are written under a temporary folder name
and renamed into place, then the unit file is written under a temporary name and renamed: the
rename of the unit file is the commit, so a stop at any moment leaves either the whole unit or none.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, Field

from pbextract.batch.model import ReadOutcome
from pbextract.output.writers import atomic_write
from pbextract.pipeline import FileResult


class FolderInUse(Exception):
    """Another run holds the output folder."""


class FileEntry(BaseModel):
    """A file's line in the manifest (everything but its records)."""

    path: str
    sha256: str | None = None
    pages: int = 0
    page_kinds: dict[str, int] = Field(default_factory=dict)
    records: int = 0
    flags: int = 0
    other_tables: int = 0
    other_table_notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    status: str = "ok"
    error: str | None = None
    page_errors: list[str] = Field(default_factory=list)
    pages_without_tables: list[int] = Field(default_factory=list)
    turned_pages: dict[int, int] = Field(default_factory=dict, description="page -> degrees it was turned to read")
    warnings: list[str] = Field(default_factory=list)
    worker_peak_rss_mb: float = Field(default=0.0, description="the worker's peak resident memory so far")
    crops: int = 0
    reused: bool = Field(default=False, description="committed by an earlier run and not read again")
    duplicate_of: str | None = Field(default=None, description="same bytes as this earlier input: read once")

    @classmethod
    def of(cls, outcome: ReadOutcome) -> FileEntry:
        r = outcome.result
        fields = r.model_dump(exclude={"records"})
        return cls(
            **fields,
            records=len(r.records),
            flags=r.flags,
            warnings=outcome.warnings,
            worker_peak_rss_mb=outcome.peak_rss_mb,
            crops=len(outcome.crops),
        )


class UnitHeader(BaseModel):
    """How a unit was made (line 1 of its file): enough to decide whether a re-run may reuse it, and
    the file's manifest entry."""

    sha256: str
    key: str
    entry: FileEntry


class JobFolder:
    """An output folder held by this run (an exclusive lock, released when the process ends, even by
    kill -9)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.units = out / "units"
        self.crops = out / "crops"
        for folder in (self.out, self.units, self.crops):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock = open(out / ".lock", "a+")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.seek(0)
            holder = self._lock.read().strip() or "?"
            self._lock.close()
            raise FolderInUse(
                f"{out}: in use by another run (pid {holder}); wait for it or use another folder"
            ) from None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(str(os.getpid()))
        self._lock.flush()
        self._clean()

    def _clean(self) -> None:
        """Leftovers of a run that was stopped mid-commit (a crops folder set aside goes back)."""
        for aside in self.crops.glob(".old-*"):
            home = aside.with_name(aside.name.removeprefix(".old-"))
            if not home.exists():
                os.replace(aside, home)
        for stale in [*self.units.glob(".*.tmp"), *self.crops.glob(".*")]:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)

    def release(self) -> None:
        self._lock.close()

    def header(self, sha256: str) -> UnitHeader | None:
        """The committed unit's header for these bytes, if any."""
        try:
            with open(self.units / f"{sha256}.json", encoding="utf-8") as fh:
                return UnitHeader.model_validate_json(fh.readline())
        except (OSError, ValueError):
            return None

    def result(self, sha256: str) -> FileResult:
        with open(self.units / f"{sha256}.json", encoding="utf-8") as fh:
            fh.readline()
            return FileResult.model_validate_json(fh.readline())

    def commit(self, outcome: ReadOutcome, key: str) -> UnitHeader:
        """Write one file's crops and unit; returns once they are on disk."""
        sha = outcome.result.sha256
        assert sha is not None
        names = sorted(outcome.crops)  # each crops/<sha16>/<name>.png
        with self._replacing(self.crops / sha[:16]) as staging:
            for name in names:
                _write_synced(staging / Path(name).name, outcome.crops[name])
        header = UnitHeader(sha256=sha, key=key, entry=FileEntry.of(outcome))
        body = header.model_dump_json() + "\n" + outcome.result.model_dump_json() + "\n"
        atomic_write(self.units / f"{sha}.json", body.encode("utf-8"), sync=True)
        return header

    @contextlib.contextmanager
    def _replacing(self, folder: Path) -> Iterator[Path]:
        """A staging folder that replaces ``folder`` by rename when the block ends."""
        staging = folder.with_name(f".new-{folder.name}")
        aside = folder.with_name(f".old-{folder.name}")
        for leftover in (staging, aside):
            shutil.rmtree(leftover, ignore_errors=True)
        staging.mkdir()
        yield staging
        if folder.exists():
            os.replace(folder, aside)
        if any(staging.iterdir()):
            os.replace(staging, folder)
        else:
            staging.rmdir()
        _sync_dir(folder.parent)
        shutil.rmtree(aside, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
