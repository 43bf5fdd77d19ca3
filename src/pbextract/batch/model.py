"""The objects that cross the batch's boundaries: options, a file to read, what a worker sends back."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pydantic import BaseModel, Field

from pbextract import __version__
from pbextract.pipeline import FileResult

BASE_TIMEOUT, TIMEOUT_PER_PAGE = 60.0, 20.0  # default time limit: 60 s + 20 s a page
DEFAULT_MEMORY_MB = 4096  # per worker


class Limits(BaseModel):
    """What one worker may spend on one file."""

    file_timeout: float | None = Field(default=None, gt=0, description="seconds a file; None: scaled by pages")
    memory_mb: int = Field(default=DEFAULT_MEMORY_MB, ge=256, description="data memory a worker may hold")

    def timeout_for(self, pages: int) -> float:
        return self.file_timeout if self.file_timeout else BASE_TIMEOUT + TIMEOUT_PER_PAGE * max(1, pages)


class BatchOptions(BaseModel):
    """One ``pbextract run``."""

    inputs: list[Path]
    out: Path
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    ray: str | None = Field(default=None, description="None: local processes; 'local' or a Ray address")
    reprocess: bool = False
    limits: Limits = Field(default_factory=Limits)
    password: str | None = None
    log_file: Path | None = None
    quiet: bool = False

    def resume_key(self) -> str:
        """What a committed unit must have been made with to be reused: the version and the options that
        change what is read (the password; limits and workers do not change a result that was read)."""
        password = hashlib.sha256(self.password.encode()).hexdigest()[:16] if self.password else ""
        return f"{__version__}|password={password}"

    def limits_key(self) -> str:
        """Added to the key of a unit that failed on a limit: a re-run with other limits reads it again."""
        return f"|limits={self.limits.file_timeout},{self.limits.memory_mb}"

    def described(self) -> dict[str, object]:
        """The options for the manifest (the password only as given or not)."""
        return {
            "workers": self.workers,
            "ray": self.ray,
            "reprocess": self.reprocess,
            "file_timeout": self.limits.file_timeout,
            "memory_limit_mb": self.limits.memory_mb,
            "password": self.password is not None,
        }


class ReadTask(BaseModel):
    """One file for a worker. ``path`` is the file to open (``os.fsdecode`` form); ``source`` names it in
    records and messages (valid UTF-8)."""

    index: int
    path: str
    source: str
    sha256: str | None = None
    password: str | None = None
    crops: bool = True


class ReadOutcome(BaseModel):
    """What a worker sends back for one file: the result, its crops as PNG bytes (by path relative to
    the output folder), library warnings, and the worker's peak memory so far."""

    index: int
    result: FileResult
    crops: dict[str, bytes] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    peak_rss_mb: float = 0.0
    fatal: str | None = Field(default=None, description="a model or configuration problem: stop the batch")
    limited: bool = Field(default=False, description="failed on a time or memory limit, or its worker died")
