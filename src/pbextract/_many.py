"""``pbextract.extract_many``: ``extract`` over many PDFs, in worker processes when asked."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pbextract.pipeline import FileResult, extract_file


def extract_many(paths: Iterable[str | Path], workers: int = 1) -> list[FileResult]:
    """One ``FileResult`` per path, in the order given; ``workers`` > 1 reads that many files at once."""
    files = [Path(p) for p in paths]
    if workers <= 1 or len(files) <= 1:
        return [extract_file(p) for p in files]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(extract_file, files))
