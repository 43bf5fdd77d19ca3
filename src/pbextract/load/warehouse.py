"""``pbextract load``: an output folder into DuckDB or PostgreSQL, replacing each PDF's rows as a whole."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pyarrow as pa
from pydantic import BaseModel

from pbextract.load.ddl import TABLES
from pbextract.load.source import read_batch

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_DB = "warehouse.duckdb"  # inside the output folder


class Warehouse(Protocol):
    def create(self) -> None: ...

    def replace(self, shas: list[str], tables: dict[str, pa.Table]) -> dict[str, int]: ...

    def close(self) -> None: ...


class TableCounts(BaseModel):
    deleted: int
    inserted: int


class LoadReport(BaseModel):
    """What one load did."""

    pdfs: int
    tables: dict[str, TableCounts]
    rejected: int
    stale: int
    unknown: int


def open_warehouse(target: str) -> Warehouse:
    """A ``postgresql://`` URL, or else the path of a DuckDB file (created if missing)."""
    if target.startswith(POSTGRES_SCHEMES):
        from pbextract.load.postgres import PostgresWarehouse

        return PostgresWarehouse(target)
    from pbextract.load.duck import DuckDbWarehouse

    return DuckDbWarehouse(Path(target))


def load(out: Path, target: str | None = None) -> LoadReport:
    """Create the tables if needed, then replace the rows of every PDF in ``out`` in one transaction:
    loading the same folder twice changes nothing; a re-run's folder replaces its PDFs' rows."""
    batch = read_batch(out)
    warehouse = open_warehouse(target or str(out / DEFAULT_DB))
    try:
        warehouse.create()
        deleted = warehouse.replace(batch.shas, batch.tables)
    finally:
        warehouse.close()
    return LoadReport(
        pdfs=len(batch.shas),
        tables={t.name: TableCounts(deleted=deleted[t.name], inserted=batch.tables[t.name].num_rows) for t in TABLES},
        rejected=batch.rejected,
        stale=batch.stale,
        unknown=batch.unknown,
    )
