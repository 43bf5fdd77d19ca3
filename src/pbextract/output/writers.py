"""Stage 7: records.jsonl, projects/indicators/flags Parquet and the record schema, written together
from a batch's records; every file goes to a temporary name and is renamed into place, so an
interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pbextract.schema import Record, record_json_schema

DECIMAL = pa.decimal128(38, 10)
_MONEY = ("budget_total", "budget_fiscal", "budget_other", "plan_mar", "plan_jun", "plan_oct", "plan_dec")

_KEYS = [("record_id", pa.string()), ("source_sha256", pa.string()), ("schema_version", pa.string())]

PROJECTS = pa.schema(
    _KEYS
    + [
        ("source_file", pa.string()),
        ("source_path", pa.string()),
        ("page_start", pa.int32()),
        ("page_end", pa.int32()),
        ("form", pa.string()),
        ("year", pa.int32()),
        ("project_code", pa.string()),
        ("project_name", pa.string()),
        ("department_code", pa.string()),
        ("department_name", pa.string()),
        ("unit_code", pa.string()),
        ("unit_name", pa.string()),
        ("amount_unit", pa.string()),
    ]
    + [(m, DECIMAL) for m in _MONEY]
    + [
        ("fund_use", pa.string()),
        ("goals", pa.list_(pa.string())),
        ("n_indicators", pa.int32()),
        ("n_flags", pa.int32()),
        ("corrected_fields", pa.list_(pa.string())),
    ]
)
INDICATORS = pa.schema(
    [
        *_KEYS,
        ("index", pa.int32()),
        ("page", pa.int32()),
        ("level1", pa.string()),
        ("level2", pa.string()),
        ("name", pa.string()),
        ("description", pa.string()),
        ("operator", pa.string()),
        ("value", DECIMAL),
        ("unit", pa.string()),
        ("value_text", pa.string()),
        ("basis", pa.string()),
        ("scoring", pa.string()),
    ]
)
FLAGS = pa.schema(
    [
        *_KEYS,
        ("flag_id", pa.string()),
        ("field", pa.string()),
        ("page", pa.int32()),
        ("x0", pa.float64()),
        ("y0", pa.float64()),
        ("x1", pa.float64()),
        ("y1", pa.float64()),
        ("confidence", pa.float64()),
        ("reason", pa.string()),
        ("text", pa.string()),
        ("crop", pa.string()),
        ("resolved", pa.bool_()),
        ("header_x0", pa.float64()),  # the column header over the flagged cell, where there is one
        ("header_y0", pa.float64()),
        ("header_x1", pa.float64()),
        ("header_y1", pa.float64()),
    ]
)


def atomic_write(path: Path, data: bytes, sync: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary name and a rename (``sync``: on disk before the rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def _money(v: Decimal | None) -> Decimal | None:
    return None if v is None else v.quantize(Decimal(1).scaleb(-10))


ROWS_PER_GROUP = 50_000
_TABLES = {"projects": PROJECTS, "indicators": INDICATORS, "flags": FLAGS}


class _Tables:
    """The projects, indicators and flags Parquet tables, written a row group at a time under temporary
    names and renamed into place by ``close``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.tmp = {name: out / f".{name}.parquet.tmp" for name in _TABLES}
        self.writers = {name: pq.ParquetWriter(self.tmp[name], schema) for name, schema in _TABLES.items()}
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _TABLES}

    def add(self, record: Record) -> None:
        self.rows["projects"].append(_project_row(record))
        self.rows["indicators"] += _indicator_rows(record)
        self.rows["flags"] += _flag_rows(record)
        for name, rows in self.rows.items():
            if len(rows) >= ROWS_PER_GROUP:
                self._flush(name)

    def _flush(self, name: str) -> None:
        self.writers[name].write_table(pa.Table.from_pylist(self.rows[name], schema=_TABLES[name]))
        self.rows[name].clear()

    def close(self) -> None:
        for name in _TABLES:
            self._flush(name)
            self.writers[name].close()
            os.replace(self.tmp[name], self.out / f"{name}.parquet")


def write_tables(out: Path, records: Iterable[Record]) -> None:
    """The projects, indicators and flags Parquet tables of ``records``, in ``out``."""
    tables = _Tables(out)
    for record in records:
        tables.add(record)
    tables.close()


def write_combined(out: Path, records: Iterable[Record]) -> int:
    """records.jsonl, the Parquet tables and record.schema.json in ``out`` from ``records`` (streamed:
    memory stays flat in their number). Returns the number of records."""
    schema = json.dumps(record_json_schema(), ensure_ascii=False, indent=2)
    atomic_write(out / "record.schema.json", schema.encode())
    tables = _Tables(out)
    n = 0
    jsonl_tmp = out / ".records.jsonl.tmp"
    with open(jsonl_tmp, "w", encoding="utf-8") as jsonl:
        for record in records:
            jsonl.write(record.model_dump_json() + "\n")
            tables.add(record)
            n += 1
    tables.close()
    os.replace(jsonl_tmp, out / "records.jsonl")
    return n


TABLES = ("projects", "indicators", "flags")  # the Parquet files, OUT/<name>.parquet, in this order


def arrow_tables(records: list[Record]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The projects, indicators and flags tables of ``records``, as written to Parquet."""
    return (
        pa.Table.from_pylist([_project_row(r) for r in records], schema=PROJECTS),
        pa.Table.from_pylist([row for r in records for row in _indicator_rows(r)], schema=INDICATORS),
        pa.Table.from_pylist([row for r in records for row in _flag_rows(r)], schema=FLAGS),
    )


def _keys(r: Record) -> dict[str, str]:
    return {"record_id": r.record_id, "source_sha256": r.source_sha256, "schema_version": r.schema_version}


def _project_row(r: Record) -> dict[str, Any]:
    row = r.model_dump(exclude={"indicators", "flags"})
    row.update({m: _money(getattr(r, m)) for m in _MONEY})
    row.update(form=r.form.value if r.form else None, n_indicators=len(r.indicators), n_flags=len(r.flags))
    return row


def _indicator_rows(r: Record) -> Iterator[dict[str, Any]]:
    for i, ind in enumerate(r.indicators):
        row = ind.model_dump()
        row.update(_keys(r), index=i, value=_money(ind.value))
        yield row


def _flag_rows(r: Record) -> Iterator[dict[str, Any]]:
    for f in r.flags:
        x0, y0, x1, y1 = f.bbox if f.bbox else (None, None, None, None)
        hx0, hy0, hx1, hy1 = f.header_bbox if f.header_bbox else (None, None, None, None)
        yield {
            **_keys(r),
            "flag_id": f.flag_id,
            "field": f.field,
            "page": f.page,
            "x0": x0,
            "y0": y0,
            "x1": x1,
            "y1": y1,
            "confidence": f.confidence,
            "reason": f.reason,
            "text": f.text,
            "crop": f.crop,
            "resolved": f.resolved,
            "header_x0": hx0,
            "header_y0": hy0,
            "header_x1": hx1,
            "header_y1": hy1,
        }
