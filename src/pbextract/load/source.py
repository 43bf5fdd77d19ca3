"""What a load reads from an output folder: the Parquet tables as extracted, and the reviewed view
(records.jsonl with the folder's corrections.jsonl applied), each with one row per key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pbextract.load.ddl import EXTRACTED, TABLES
from pbextract.output.writers import arrow_tables
from pbextract.review.corrections import apply_corrections, corrections_path, read_corrections
from pbextract.schema import Record


class LoadError(RuntimeError):
    """The output folder cannot be loaded (missing or unreadable files)."""


@dataclass(frozen=True)
class Batch:
    """One output folder, ready to replace its PDFs' rows."""

    shas: list[str]  # every PDF read into this folder: its rows in the warehouse are replaced
    tables: dict[str, pa.Table]  # by warehouse table name, one row per primary key
    rejected: int  # records a reviewer rejected (left out of the reviewed tables)
    stale: int  # decisions not applied: the extraction changed since
    unknown: int  # decisions about a record or field that is not there


def read_batch(out: Path) -> Batch:
    """Read ``out`` (written by ``pbextract run``)."""
    needed = [out / f"{t.name}.parquet" for t in EXTRACTED] + [out / "records.jsonl", out / "manifest.json"]
    if missing := [p.name for p in needed if not p.exists()]:
        raise LoadError(f"{out}: not a finished output folder (missing {', '.join(missing)})")
    extracted = [_conformed(pq.read_table(out / f"{t.name}.parquet"), t.schema) for t in EXTRACTED]
    reviewed = apply_corrections(_records(out / "records.jsonl"), read_corrections(corrections_path(out)))
    data = [*extracted, *arrow_tables(reviewed.records)]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    shas = {f["sha256"] for f in manifest["files"] if f.get("sha256") and f.get("status") != "error"}
    shas |= set(extracted[0].column("source_sha256").to_pylist())
    return Batch(
        shas=sorted(shas),
        tables={t.name: _first_per_key(d, t.key) for t, d in zip(TABLES, data, strict=True)},
        rejected=len(reviewed.rejected),
        stale=len(reviewed.stale),
        unknown=len(reviewed.unknown),
    )


def _conformed(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A Parquet table in the warehouse's columns and types; a column that a folder written by an
    earlier version lacks (see ``ddl.ADDED``) is null."""
    for field in schema:
        if field.name not in table.column_names:
            table = table.append_column(field.name, pa.nulls(table.num_rows, field.type))
    return table.select(schema.names).cast(schema)


def _records(path: Path) -> list[Record]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Record.model_validate_json(line) for line in lines if line.strip()]


def _first_per_key(table: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """One row per key, the first: the same PDF read under two names gives the same keys (and rows)."""
    seen: set[tuple[object, ...]] = set()
    keep: list[int] = []
    for i, k in enumerate(zip(*(table.column(c).to_pylist() for c in key), strict=True)):
        if k not in seen:
            seen.add(k)
            keep.append(i)
    return table if len(keep) == table.num_rows else table.take(keep)
