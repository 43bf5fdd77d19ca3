"""The PostgreSQL warehouse, reached by a ``postgresql://`` URL; rows go in by COPY."""

from __future__ import annotations

import psycopg
import pyarrow as pa

from pbextract.load.ddl import TABLES, Dialect, column_list, create_statements, ident


class PostgresWarehouse:
    dialect = Dialect.POSTGRES

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)

    def create(self) -> None:
        with self.conn.transaction():
            for statement in create_statements(self.dialect):
                self.conn.execute(statement)

    def replace(self, shas: list[str], tables: dict[str, pa.Table]) -> dict[str, int]:
        """In one transaction: every row of these PDFs deleted, ``tables`` copied in; deleted counts by table."""
        deleted: dict[str, int] = {}
        with self.conn.transaction(), self.conn.cursor() as cur:
            for t in TABLES:
                cur.execute(f"DELETE FROM {ident(t.name)} WHERE source_sha256 = ANY(%s)", [shas])
                deleted[t.name] = cur.rowcount
                with cur.copy(f"COPY {ident(t.name)} ({column_list(t)}) FROM STDIN") as copy:
                    for row in tables[t.name].to_pylist():
                        copy.write_row([row[c] for c in t.columns])
        return deleted

    def close(self) -> None:
        self.conn.close()
