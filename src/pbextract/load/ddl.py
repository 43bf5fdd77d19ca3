"""The warehouse tables and their DDL, derived from the Parquet schemas so the two never drift apart.

Six tables: ``projects``, ``indicators`` and ``flags`` as extracted, and the same three with
``_reviewed`` appended holding the reviewed view (corrections applied, rejected records left out;
``projects_reviewed.corrected_fields`` names the values a reviewer changed, ``flags_reviewed.resolved``
the flags decided).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

import pyarrow as pa

from pbextract.output.writers import DECIMAL, FLAGS, INDICATORS, PROJECTS


class Dialect(StrEnum):
    DUCKDB = "duckdb"
    POSTGRES = "postgres"


@dataclass(frozen=True)
class Table:
    """One warehouse table: its Parquet schema and primary key."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)


EXTRACTED = (
    Table("projects", PROJECTS, ("record_id",)),
    Table("indicators", INDICATORS, ("record_id", "index")),
    Table("flags", FLAGS, ("flag_id",)),
)
REVIEWED = tuple(replace(t, name=t.name + "_reviewed") for t in EXTRACTED)
TABLES = EXTRACTED + REVIEWED
NOT_NULL = {"record_id", "source_sha256", "schema_version", "index", "flag_id"}
# columns added after a table was first created: a warehouse made before gains them on its next load
ADDED = {"flags": ("header_x0", "header_y0", "header_x1", "header_y1")}

_TYPES: dict[Dialect, dict[pa.DataType, str]] = {
    Dialect.DUCKDB: {
        pa.string(): "VARCHAR",
        pa.int32(): "INTEGER",
        DECIMAL: "DECIMAL(38, 10)",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.list_(pa.string()): "VARCHAR[]",
    },
    Dialect.POSTGRES: {
        pa.string(): "TEXT",
        pa.int32(): "INTEGER",
        DECIMAL: "NUMERIC(38, 10)",
        pa.float64(): "DOUBLE PRECISION",
        pa.bool_(): "BOOLEAN",
        pa.list_(pa.string()): "TEXT[]",
    },
}
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def ident(name: str) -> str:
    """A table or column name of this schema, quoted (they are constants; anything else is refused)."""
    if not _NAME.match(name):
        raise ValueError(f"not a warehouse identifier: {name!r}")
    return f'"{name}"'


def column_list(table: Table) -> str:
    return ", ".join(ident(c) for c in table.columns)


def create_statements(dialect: Dialect) -> list[str]:
    """CREATE TABLE (and, for Postgres, an index on source_sha256) for every table, and the columns
    added since (``ADDED``) for a table made before them; idempotent."""
    out: list[str] = []
    for t in TABLES:
        cols = [
            f"  {ident(f.name)} {_TYPES[dialect][f.type]}{' NOT NULL' if f.name in NOT_NULL else ''}" for f in t.schema
        ]
        cols.append(f"  PRIMARY KEY ({', '.join(ident(k) for k in t.key)})")
        out.append(f"CREATE TABLE IF NOT EXISTS {ident(t.name)} (\n" + ",\n".join(cols) + "\n)")
        for name in ADDED.get(t.name.removesuffix("_reviewed"), ()):
            kind = _TYPES[dialect][t.schema.field(name).type]
            out.append(f"ALTER TABLE {ident(t.name)} ADD COLUMN IF NOT EXISTS {ident(name)} {kind}")
        if dialect == Dialect.POSTGRES:
            out.append(
                f"CREATE INDEX IF NOT EXISTS {ident(t.name + '_sha')} ON {ident(t.name)} ({ident('source_sha256')})"
            )
    return out


def ddl(dialect: Dialect) -> str:
    """The DDL as a script, for ``pbextract ddl``."""
    return "".join(s + ";\n\n" for s in create_statements(dialect))
