"""The documented Python API: extract, extract_many, to_frames; a light ``import pbextract``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pbextract
from pbextract.output.writers import TABLES
from pbextract.pipeline import FileResult
from tests.conftest import ROOT, SAMPLES


def test_public_names() -> None:
    assert set(pbextract.__all__) == {
        "SCHEMA_VERSION",
        "FileResult",
        "Record",
        "__version__",
        "extract",
        "extract_many",
        "to_frames",
    }
    assert all(getattr(pbextract, name) is not None for name in pbextract.__all__)
    with pytest.raises(AttributeError):
        _ = pbextract.nothing_here


def test_import_is_light() -> None:
    heavy = "('pandas', 'pyarrow', 'pbextract.pipeline')"
    code = f"import sys, pbextract; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_extract_takes_a_str(extracted: dict[str, FileResult]) -> None:
    result = pbextract.extract(str(SAMPLES / "liaocheng-part2.pdf"))
    assert isinstance(result, pbextract.FileResult) and all(isinstance(r, pbextract.Record) for r in result.records)
    assert [r.model_dump() for r in result.records] == [
        r.model_dump() for r in extracted["liaocheng-part2.pdf"].records
    ]


def test_extract_many_keeps_the_order_given() -> None:
    files = [ROOT / "tests" / "data" / "fake-bold.pdf", ROOT / "tests" / "data" / "encrypted.pdf", SAMPLES / "nope.pdf"]
    results = pbextract.extract_many(files, workers=2)
    assert [Path(r.path).name for r in results] == ["fake-bold.pdf", "encrypted.pdf", "nope.pdf"]
    assert [r.status for r in results] == ["ok", "error", "error"]


def test_to_frames_match_the_parquet_files(batch_out: Path) -> None:
    records = [pbextract.Record.model_validate_json(line) for line in (batch_out / "records.jsonl").open()]
    for name, frame in zip(TABLES, pbextract.to_frames(records), strict=True):
        pd.testing.assert_frame_equal(frame, pd.read_parquet(batch_out / f"{name}.parquet"))
