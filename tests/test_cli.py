"""The batch command over a folder that holds good and broken files."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from pbextract.batch import EXIT_FILE_ERRORS, EXIT_OK
from pbextract.cli import app
from tests.conftest import ROOT, SAMPLES, expected_records

runner = CliRunner()


def test_batch_goes_on_past_broken_files(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    shutil.copy(SAMPLES / "liaocheng-part2.pdf", src / "sub" / "good.pdf")
    (src / "notes.pdf").write_text("not a pdf at all", encoding="utf-8")
    (src / "empty.pdf").write_bytes(b"")
    shutil.copy(ROOT / "tests" / "data" / "encrypted.pdf", src / "locked.pdf")
    (src / "truncated.pdf").write_bytes((SAMPLES / "yantai.pdf").read_bytes()[:2000])
    out = tmp_path / "out"

    res = runner.invoke(app, ["run", str(src), "-o", str(out), "--quiet"])

    assert res.exit_code == EXIT_FILE_ERRORS, res.output
    for name, words in (
        ("notes.pdf", "not a PDF"),
        ("empty.pdf", "empty file"),
        ("locked.pdf", "encrypted"),
        ("truncated.pdf", "corrupt PDF"),
    ):
        assert any(name in line and words in line for line in res.output.splitlines()), (name, res.output)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    status = {Path(f["path"]).name: f["status"] for f in manifest["files"]}
    assert status == {
        "good.pdf": "ok",
        "notes.pdf": "error",
        "empty.pdf": "error",
        "locked.pdf": "error",
        "truncated.pdf": "error",
    }
    expected = expected_records(SAMPLES / "liaocheng-part2.pdf")
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["project_code"] for line in lines] == [r["project_code"] for r in expected]
    assert manifest["totals"]["records"] == len(expected) and manifest["totals"]["errors"] == 4
    good = next(f for f in manifest["files"] if f["path"].endswith("good.pdf"))
    assert good["pages_without_tables"][:2] == [1, 2]  # cover and contents

    projects = pq.read_table(out / "projects.parquet")
    assert projects.schema.field("budget_total").type == pa.decimal128(38, 10)
    assert projects.column("budget_total").to_pylist() == [Decimal(r["budget_total"]) for r in expected]
    indicators = pq.read_table(out / "indicators.parquet")
    assert indicators.num_rows == sum(len(r["indicators"]) for r in expected)
    assert pq.read_table(out / "flags.parquet").num_rows == 0
    schema = json.loads((out / "record.schema.json").read_text(encoding="utf-8"))
    assert "indicators" in schema["properties"]


def test_clean_batch_exits_zero(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", str(SAMPLES / "yantai.pdf"), "-o", str(tmp_path), "--quiet"])
    assert res.exit_code == EXIT_OK, res.output
    assert "14 records" in res.output


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", str(tmp_path / "nope.pdf"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2


def test_inspect_prints_grid_and_cells() -> None:
    res = runner.invoke(app, ["inspect", str(SAMPLES / "yantai.pdf"), "--page", "4"])
    assert res.exit_code == 0, res.output
    page = json.loads(res.output)
    assert page["page"]["kind"] == "text"
    texts = [c["text"] for c in page["tables"][0]["cells"]]
    assert "项目单位" in texts


def test_fake_bold_glyphs_are_read_once() -> None:
    """Some exports make bold by drawing each glyph twice, a hair apart."""
    import pdfplumber

    from pbextract.pipeline import _without_fake_bold

    with pdfplumber.open(ROOT / "tests" / "data" / "fake-bold.pdf") as pdf:
        page = pdf.pages[0]
        assert len(page.chars) == 4 * 2 + 21
        assert "".join(c["text"] for c in _without_fake_bold(page)) == "项目编码37150022P99001810047B"
