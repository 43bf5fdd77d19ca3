"""What a batch says while it runs: a progress bar and one line per problem on stderr, and the same
lines as JSON to ``--log-file``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

_STYLE = {"error": "red", "page": "yellow", "fatal": "bold red", "note": "cyan", "info": "default"}


class Report:
    """Progress and problem lines; ``close`` when the batch ends."""

    def __init__(self, quiet: bool = False, log_file: Path | None = None) -> None:
        self.console = Console(stderr=True, soft_wrap=True, highlight=False)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            disable=quiet,
        )
        self._task: TaskID | None = None
        self._log: IO[str] | None = open(log_file, "a", encoding="utf-8") if log_file else None  # noqa: SIM115

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("extracting", total=total)

    def page(self, source: str, done: int, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, description=f"{escape(Path(source).name)} page {done}/{total}")

    def advance(self) -> None:
        if self._task is not None:
            self._progress.advance(self._task)

    def line(self, level: str, message: str, path: str | None = None) -> None:
        """One line: ``<level> <message>`` on stderr (problems are printed even with --quiet)."""
        self._progress.console.print(f"[{_STYLE.get(level, 'default')}]{level}[/] {escape(message)}")
        if self._log is not None:
            entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "level": level, "message": message}
            if path is not None:
                entry["path"] = path
            self._log.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self._log.flush()

    def close(self) -> None:
        self._progress.stop()
        if self._log is not None:
            self._log.close()
