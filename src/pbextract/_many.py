"""``pbextract.extract_many``: ``extract`` over many PDFs in worker processes.

A plain map, kept until the batch runner's ``extract_many`` (limits, contained workers) takes its
place with the same call: ``extract_many(paths, workers=None)``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pbextract.pipeline import FileResult, extract_file


def extract_many(paths: Sequence[Path | str], workers: int | None = None) -> list[FileResult]:
    """One ``FileResult`` per path, in the order given; ``workers`` files at once (default: one per CPU core)."""
    files = [Path(p) for p in paths]
    count = min(workers or os.cpu_count() or 1, len(files))
    if count <= 1:
        return [extract_file(p) for p in files]
    with ProcessPoolExecutor(max_workers=count) as pool:
        return list(pool.map(extract_file, files))
