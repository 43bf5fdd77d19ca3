"""The files a batch reads: PDFs given and found below folders, each once, named in valid UTF-8."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel


class InputFile(BaseModel):
    """A file to read: ``path`` to open it, ``source`` to name it (the path as found from the inputs)."""

    path: Path
    source: str


class Inputs(BaseModel):
    files: list[InputFile]
    problems: list[str]  # folders that could not be listed (errors)
    notes: list[str]  # folders skipped because already searched (symlink loops), paths given twice


def display(path: str | Path) -> str:
    """``path`` as valid UTF-8 text: bytes of a name that are not UTF-8 (a GBK name from a Windows
    share, say) are written as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def collect(paths: list[Path]) -> Inputs:
    """Files as given and every ``*.pdf`` below each folder (sorted, symlinks followed, each folder and
    file once by its resolved path). A missing input raises FileNotFoundError."""
    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise FileNotFoundError(f"{display(p)}: no such file or folder")
    out = Inputs(files=[], problems=[], notes=[])
    seen_files: set[str] = set()
    seen_dirs: set[str] = set()

    def add(path: Path) -> None:
        real = os.path.realpath(path)
        if real in seen_files:
            out.notes.append(f"{display(path)}: given twice (the same file as an earlier input); read once")
            return
        seen_files.add(real)
        out.files.append(InputFile(path=path, source=display(path)))

    for p in paths:
        if p.is_dir():
            for f in _walk(p, seen_dirs, out):
                add(f)
        else:
            add(p)
    return out


def _walk(top: Path, seen_dirs: set[str], out: Inputs) -> list[Path]:
    found: list[Path] = []

    def failed(exc: OSError) -> None:
        out.problems.append(f"{display(exc.filename or top)}: folder cannot be read: {exc.strerror or exc}")

    for folder, dirs, files in os.walk(top, onerror=failed, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen_dirs:
            out.notes.append(f"{display(folder)}: folder already searched (a symlink loop or a second path); skipped")
            dirs.clear()
            continue
        seen_dirs.add(real)
        dirs.sort()
        found += [Path(folder, f) for f in sorted(files) if f.lower().endswith(".pdf")]
    return found
