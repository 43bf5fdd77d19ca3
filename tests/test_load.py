"""`pbextract load` into DuckDB and a real PostgreSQL server: keys, joins, idempotent reloads, re-runs
replacing a PDF's rows, one transaction, the reviewed view, and the DDL."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pbextract.batch import EXIT_OK
from pbextract.cli import app
from pbextract.load.ddl import EXTRACTED, TABLES, Dialect, ddl
from pbextract.load.source import read_batch
from pbextract.load.warehouse import load, open_warehouse
from pbextract.pipeline import FileResult
from pbextract.review.corrections import Action, Correction, append_correction, corrections_path
from pbextract.schema import Record
from tests.conftest import SAMPLES, expected_records, write_out
from tests.pgserver import new_database

runner = CliRunner()
KEYS = {"projects": "record_id", "indicators": "record_id || ':' || CAST(\"index\" AS VARCHAR)", "flags": "flag_id"}
SUMS = {
    "projects": ["budget_total", "budget_fiscal", "budget_other", "plan_mar", "plan_jun", "plan_oct", "plan_dec"],
    "indicators": ["value"],
    "flags": [],
}
_databases = iter(range(1, 1000))


@pytest.fixture(params=[Dialect.DUCKDB, Dialect.POSTGRES], ids=str)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty warehouse of each kind."""
    if request.param == Dialect.DUCKDB:
        return str(tmp_path / "w.duckdb")
    return new_database(request.getfixturevalue("pg_server"), f"t{next(_databases)}")


def query(target: str, sql: str) -> list[tuple[Any, ...]]:
    if target.startswith("postgresql://"):
        with psycopg.connect(target) as conn:
            return conn.execute(sql).fetchall()
    with duckdb.connect(target, read_only=True) as con:
        return con.execute(sql).fetchall()


def summary(target: str) -> dict[str, Any]:
    """Per table: row count, exact decimal sums, and the set of keys."""
    out: dict[str, Any] = {}
    for suffix in ("", "_reviewed"):
        for name, key in KEYS.items():
            table = name + suffix
            sums = "".join(f", sum({c})" for c in SUMS[name])
            (row,) = query(target, f"SELECT count(*){sums} FROM {table}")
            keys = [k for (k,) in query(target, f"SELECT {key} FROM {table}")]
            out[table] = {"count": row[0], "sums": row[1:], "keys": sorted(keys)}
    return out


def test_keys_unique_and_every_row_joins_one_project(batch_out: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    load(batch_out, db)
    s = summary(db)
    for table, facts in s.items():
        assert len(set(facts["keys"])) == facts["count"], table
    assert s["projects"]["count"] == 21 + 21 + 15 + 14 + 3 + 3 + 14  # samples + the other yantai.pdf's bytes
    assert s["flags"]["count"] > 0
    for child in ("indicators", "flags"):
        (row,) = query(
            db,
            f"SELECT count(*), count(p.record_id), count(DISTINCT c.record_id) FROM {child} c "
            "LEFT JOIN projects p ON p.record_id = c.record_id",
        )
        assert row[0] == row[1] == s[child]["count"]  # each joins exactly one project (record_id is its key)
    # the same project code from two different files stays two projects, told apart by source_sha256
    rows = query(
        db,
        "SELECT project_code, count(DISTINCT source_sha256) FROM projects WHERE source_file = 'yantai.pdf'"
        " GROUP BY project_code",
    )
    assert len(rows) == 14 and {n for _, n in rows} == {2}
    (n_ind,) = query(db, "SELECT sum(n_indicators) FROM projects")[0]
    assert n_ind == s["indicators"]["count"]


def test_loading_twice_gives_the_same_tables_in_duckdb_and_postgres(
    batch_out: Path, tmp_path: Path, pg_server: str
) -> None:
    duck, pg = str(tmp_path / "w.duckdb"), new_database(pg_server, "twice")
    for db in (duck, pg):
        first = load(batch_out, db)
        once = summary(db)
        second = load(batch_out, db)
        assert summary(db) == once
        assert all(c.deleted == 0 for c in first.tables.values())
        assert {n: c.deleted for n, c in second.tables.items()} == {n: c.inserted for n, c in first.tables.items()}
    assert summary(duck) == summary(pg)
    # exact: the printed budgets of every sample's expected records, the other yantai.pdf's once more
    printed = [r for pdf in SAMPLES.glob("*.pdf") for r in expected_records(pdf)] + expected_records(
        SAMPLES / "yantai.pdf"
    )
    assert summary(pg)["projects"]["sums"][0] == sum(Decimal(r["budget_total"]) for r in printed)
    values = [i["value"] for r in printed for i in r["indicators"] if i["value"] is not None]
    assert summary(pg)["indicators"]["sums"][0] == sum(Decimal(v) for v in values)


def test_a_rerun_replaces_a_pdfs_rows(
    batch_out: Path, image_results: dict[str, FileResult], target: str, tmp_path: Path
) -> None:
    load(batch_out, target)
    before = summary(target)
    scan = image_results["mixed-scan.pdf"]
    dropped = next(r for r in scan.records if r.flags)
    rerun = scan.model_copy(update={"records": [r for r in scan.records if r is not dropped]})
    report = load(write_out(tmp_path / "rerun", [rerun]), target)
    assert report.tables["projects"].deleted == len(scan.records)
    after = summary(target)
    for table in ("projects", "indicators", "flags"):
        for name in (table, table + "_reviewed"):
            gone = [k for k in before[name]["keys"] if k not in after[name]["keys"]]
            assert gone and all(k.startswith(dropped.record_id) for k in gone), name
            assert after[name]["count"] == before[name]["count"] - len(gone)
    assert len([k for k in before["indicators"]["keys"] if k not in after["indicators"]["keys"]]) == len(
        dropped.indicators
    )


def execute(target: str, sql: str) -> None:
    if target.startswith("postgresql://"):
        with psycopg.connect(target) as conn:
            conn.execute(sql)
    else:
        with duckdb.connect(target) as con:
            con.execute(sql)


HEADER = ("header_x0", "header_y0", "header_x1", "header_y1")


def test_each_flag_s_header_box_reaches_a_warehouse_made_before_it_had_one(
    batch_out: Path, target: str, tmp_path: Path
) -> None:
    """The flags tables hold the box of the column header over each flagged cell, as records.jsonl
    does; a warehouse made before those columns gains them on its next load, and an output folder
    written before them loads with them empty."""
    load(batch_out, target)
    for table in ("flags", "flags_reviewed"):
        for column in HEADER:
            execute(target, f'ALTER TABLE {table} DROP COLUMN "{column}"')
    load(batch_out, target)
    records = [Record.model_validate_json(line) for line in (batch_out / "records.jsonl").read_text().splitlines()]
    boxes = {f.flag_id: f.header_bbox for r in records for f in r.flags}
    assert any(boxes.values()) and any(b is None for b in boxes.values())
    rows = query(target, f"SELECT flag_id, {', '.join(HEADER)} FROM flags")
    assert {k: (tuple(box) if box[0] is not None else None) for k, *box in rows} == boxes

    older = tmp_path / "older"
    shutil.copytree(batch_out, older)
    flags = pq.read_table(older / "flags.parquet")
    pq.write_table(flags.drop_columns(list(HEADER)), older / "flags.parquet")
    load(older, target)
    assert query(target, "SELECT count(*) FROM flags WHERE header_x0 IS NOT NULL") == [(0,)]


def test_a_failed_load_changes_nothing(batch_out: Path, target: str) -> None:
    """Deleting and inserting happen in one transaction: a failure in the last table undoes the first."""
    load(batch_out, target)
    before = summary(target)
    batch = read_batch(batch_out)
    broken = dict(batch.tables)
    last = TABLES[-1].name
    broken[last] = pa.concat_tables([broken[last], broken[last]])  # every key twice
    warehouse = open_warehouse(target)
    try:
        with pytest.raises((duckdb.Error, psycopg.Error)):
            warehouse.replace(batch.shas, broken)
    finally:
        warehouse.close()
    assert summary(target) == before


def test_corrections_show_in_the_reviewed_tables(
    image_results: dict[str, FileResult], target: str, tmp_path: Path
) -> None:
    out = write_out(tmp_path / "out", [image_results["mixed-scan.pdf"]])
    edited, accepted, rejected = image_results["mixed-scan.pdf"].records
    flag = accepted.flags[0]
    read: Any = accepted.model_dump(mode="json")
    for step in flag.field.split("."):
        read = read[int(step)] if isinstance(read, list) else read[step]
    for c in (
        Correction(
            record_id=edited.record_id,
            field="budget_total",
            action=Action.EDIT,
            value="1234.50",
            previous=format(edited.budget_total, "f"),
            reviewer="qa",
            at="2026-11-22T10:00:00+08:00",
        ),
        Correction(
            record_id=accepted.record_id,
            field=flag.field,
            action=Action.ACCEPT,
            previous=read,
            flag_id=flag.flag_id,
            reviewer="qa",
            at="2026-11-22T10:01:00+08:00",
        ),
        Correction(
            record_id=rejected.record_id,
            field="record",
            action=Action.REJECT,
            reviewer="qa",
            at="2026-11-22T10:02:00+08:00",
        ),
    ):
        append_correction(corrections_path(out), c)
    report = load(out, target)
    assert report.rejected == 1
    rows = dict(query(target, "SELECT record_id, budget_total FROM projects_reviewed"))
    assert rows[edited.record_id] == Decimal("1234.50") and rejected.record_id not in rows
    assert dict(query(target, "SELECT record_id, budget_total FROM projects"))[edited.record_id] == edited.budget_total
    changed = dict(query(target, "SELECT record_id, corrected_fields FROM projects_reviewed"))
    assert list(changed[edited.record_id]) == ["budget_total"] and list(changed[accepted.record_id]) == []
    resolved = dict(query(target, "SELECT flag_id, resolved FROM flags_reviewed"))
    assert resolved[flag.flag_id] is True
    assert sum(resolved.values()) == sum(f.field == flag.field for f in accepted.flags)


def test_load_command_defaults_to_a_duckdb_file_in_out(image_results: dict[str, FileResult], tmp_path: Path) -> None:
    out = write_out(tmp_path / "out", [image_results["mixed-ocr.pdf"]])
    res = runner.invoke(app, ["load", str(out)])
    assert res.exit_code == EXIT_OK, res.output
    assert "projects: 0 rows deleted, 3 inserted" in res.output
    assert query(str(out / "warehouse.duckdb"), "SELECT count(*) FROM projects") == [(3,)]
    assert runner.invoke(app, ["load", str(tmp_path)]).exit_code == 1  # not an output folder


@pytest.mark.parametrize("dialect", list(Dialect), ids=str)
def test_ddl_command_prints_what_load_creates(dialect: Dialect, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    res = runner.invoke(app, ["ddl", "--dialect", dialect.value])
    assert res.exit_code == EXIT_OK and res.output == ddl(dialect)
    assert 'PRIMARY KEY ("record_id", "index")' in res.output and "(38, 10)" in res.output
    if dialect == Dialect.DUCKDB:
        with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
            con.execute(res.output)
            names = {n for (n,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    else:
        url = new_database(request.getfixturevalue("pg_server"), "ddl")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(res.output)
            names = {
                n
                for (n,) in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                ).fetchall()
            }
    assert names == {t.name for t in TABLES}
    assert {t.name for t in EXTRACTED} < names
