"""The DuckDB warehouse: an embedded database file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from pbextract.load.ddl import TABLES, Dialect, column_list, create_statements, ident


class DuckDbWarehouse:
    dialect = Dialect.DUCKDB

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))

    def create(self) -> None:
        for statement in create_statements(self.dialect):
            self.con.execute(statement)

    def replace(self, shas: list[str], tables: dict[str, pa.Table]) -> dict[str, int]:
        """In one transaction: every row of these PDFs deleted, ``tables`` inserted; deleted counts by table."""
        deleted: dict[str, int] = {}
        self.con.begin()
        try:
            for t in TABLES:
                row = self.con.execute(f"DELETE FROM {ident(t.name)} WHERE source_sha256 = ANY(?)", [shas]).fetchone()
                deleted[t.name] = int(row[0]) if row else 0
                self.con.register("incoming", tables[t.name])
                cols = column_list(t)
                self.con.execute(f"INSERT INTO {ident(t.name)} ({cols}) SELECT {cols} FROM incoming")
                self.con.unregister("incoming")
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return deleted

    def close(self) -> None:
        self.con.close()
