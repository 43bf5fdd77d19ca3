"""Shared fixtures: the committed sample PDFs, extracted once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pbextract.pipeline import FileResult, extract_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DIGITAL = sorted(p for p in SAMPLES.glob("*.pdf") if not p.stem.endswith(("-scan", "-ocr")))


def expected_records(pdf: Path) -> list[dict[str, Any]]:
    path = pdf.with_suffix(".expected.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def extracted() -> dict[str, FileResult]:
    return {p.name: extract_file(p) for p in DIGITAL}
