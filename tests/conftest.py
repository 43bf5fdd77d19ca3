"""Shared fixtures: the committed sample PDFs, extracted once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pbextract.pipeline import FileResult, extract_file
from pbextract.score import score_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DIGITAL = sorted(p for p in SAMPLES.glob("*.pdf") if not p.stem.endswith(("-scan", "-ocr")))


def expected_records(pdf: Path) -> list[dict[str, Any]]:
    path = pdf.with_suffix(".expected.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assert_equals_truth(pdf: Path, result: FileResult, fold: bool = False) -> None:
    """Every expected record of ``pdf`` is extracted, in order, field by field (``fold``: after NFKC)."""
    expected = expected_records(pdf)
    got = [json.loads(r.model_dump_json()) for r in result.records]
    assert result.status == "ok", result.page_errors
    assert [r["project_code"] for r in got] == [r["project_code"] for r in expected]
    score = score_file(expected, got, fold=fold)
    assert score.mismatches == []
    assert score.indicator_recall == 1.0
    assert score.fields > 100 * len(expected)  # every indicator field was compared


@pytest.fixture(scope="session")
def extracted() -> dict[str, FileResult]:
    return {p.name: extract_file(p) for p in DIGITAL}
