"""The Python API behind ``pbextract.extract`` and ``pbextract.to_frames``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pbextract.batch import extract_many
from pbextract.output.writers import arrow_tables
from pbextract.pipeline import FileResult, extract_file
from pbextract.schema import Record

__all__ = ["extract", "extract_many", "to_frames"]


def extract(path: str | Path) -> FileResult:
    """Every project table of one PDF as ``Record`` models; a bad file gives ``status == "error"``."""
    return extract_file(Path(path))


def to_frames(records: Iterable[Record]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The projects, indicators and flags tables of ``records``: the columns and types of the Parquet files."""
    projects, indicators, flags = arrow_tables(list(records))
    return projects.to_pandas(), indicators.to_pandas(), flags.to_pandas()
