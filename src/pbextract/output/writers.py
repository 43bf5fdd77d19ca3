"""Stage 7: records.jsonl, projects/indicators/flags Parquet, manifest.json and the record schema.

Every file is written to a temporary name and renamed into place, so an interrupted run never
leaves a half-written file; records.jsonl grows one whole input file at a time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pbextract import SCHEMA_VERSION, __version__
from pbextract.pipeline import FileResult
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
    ]
)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _money(v: Decimal | None) -> Decimal | None:
    return None if v is None else v.quantize(Decimal(1).scaleb(-10))


class OutputWriter:
    """Writes one batch's outputs into ``out_dir`` as input files finish."""

    def __init__(self, out_dir: Path) -> None:
        self.out = out_dir
        self.out.mkdir(parents=True, exist_ok=True)
        self.results: list[FileResult] = []
        self.records_path = self.out / "records.jsonl"
        self.records_path.write_text("", encoding="utf-8")
        _atomic_write(
            self.out / "record.schema.json",
            json.dumps(record_json_schema(), ensure_ascii=False, indent=2).encode(),
        )

    def add(self, result: FileResult) -> None:
        """Append one file's records (in one write) and refresh the manifest."""
        lines = "".join(r.model_dump_json() + "\n" for r in result.records)
        with open(self.records_path, "a", encoding="utf-8") as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())
        self.results.append(result)
        self.write_manifest()

    def write_manifest(self) -> None:
        files = [
            {
                "path": r.path,
                "sha256": r.sha256,
                "pages": r.pages,
                "page_kinds": r.page_kinds,
                "records": len(r.records),
                "flags": r.flags,
                "other_tables": r.other_tables,
                "other_table_notes": r.other_table_notes,
                "seconds": r.seconds,
                "status": r.status,
                "error": r.error,
                "page_errors": r.page_errors,
                "pages_without_tables": r.pages_without_tables,
            }
            for r in self.results
        ]
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "pbextract_version": __version__,
            "files": files,
            "totals": totals(self.results),
        }
        _atomic_write(self.out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())

    def finish(self) -> None:
        """Write the Parquet tables for everything added."""
        write_tables(self.out, [rec for r in self.results for rec in r.records])


def write_tables(out: Path, records: list[Record]) -> None:
    """The projects, indicators and flags Parquet tables of ``records``, in ``out``."""
    for name, table in zip(TABLES, arrow_tables(records), strict=True):
        _write_parquet(out / f"{name}.parquet", table)


def totals(results: list[FileResult]) -> dict[str, Any]:
    return {
        "files": len(results),
        "errors": sum(r.status == "error" for r in results),
        "pages": sum(r.pages for r in results),
        "records": sum(len(r.records) for r in results),
        "flags": sum(r.flags for r in results),
        "seconds": round(sum(r.seconds for r in results), 3),
    }


TABLES = ("projects", "indicators", "flags")  # the Parquet files, OUT/<name>.parquet, in this order


def arrow_tables(records: list[Record]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The projects, indicators and flags tables of ``records``, as written to Parquet."""
    return (
        pa.Table.from_pylist([_project_row(r) for r in records], schema=PROJECTS),
        pa.Table.from_pylist([row for r in records for row in _indicator_rows(r)], schema=INDICATORS),
        pa.Table.from_pylist([row for r in records for row in _flag_rows(r)], schema=FLAGS),
    )


def _write_parquet(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _keys(r: Record) -> dict[str, str]:
    return {"record_id": r.record_id, "source_sha256": r.source_sha256, "schema_version": r.schema_version}


def _project_row(r: Record) -> dict[str, Any]:
    row = r.model_dump(exclude={"indicators", "flags"})
    row.update({m: _money(getattr(r, m)) for m in _MONEY})
    row.update(form=r.form.value if r.form else None, n_indicators=len(r.indicators), n_flags=len(r.flags))
    return row


def _indicator_rows(r: Record) -> Iterable[dict[str, Any]]:
    for i, ind in enumerate(r.indicators):
        row = ind.model_dump()
        row.update(_keys(r), index=i, value=_money(ind.value))
        yield row


def _flag_rows(r: Record) -> Iterable[dict[str, Any]]:
    for f in r.flags:
        x0, y0, x1, y1 = f.bbox if f.bbox else (None, None, None, None)
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
        }
