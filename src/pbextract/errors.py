"""Errors that name the input file (and page) they concern."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input: not a PDF, corrupt, encrypted, empty, or a page that cannot be read."""

    def __init__(self, path: Path, message: str, page: int | None = None) -> None:
        self.path = path
        self.page = page
        self.message = message
        where = f"{path}" + (f" page {page}" if page is not None else "")
        super().__init__(f"{where}: {message}")
