"""Digital pages read through pdfium give the same records as through pdfplumber (pdfminer): the
samples, a fake-bold page and the stress pages from other renderers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
import pytest

from pbextract.pipeline import FileResult, extract_file
from pbextract.read import pdfopen
from tests.conftest import DIGITAL, ROOT, SAMPLES


def _records(result: FileResult) -> list[dict[str, Any]]:
    return [json.loads(r.model_dump_json()) for r in result.records]


def _same(a: Any, b: Any) -> bool:
    """Equal, except that a flag's boxes may differ in the 2nd decimal (pdfium computes in float32)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return False
        return all(_bbox_close(a[k], b[k]) if k.endswith("bbox") else _same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _bbox_close(a: list[float] | None, b: list[float] | None) -> bool:
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(abs(x - y) <= 0.01 for x, y in zip(a, b, strict=True))


DATA = ROOT / "tests" / "data"
OTHER_DIGITAL = [DATA / "fake-bold.pdf", *sorted(p for p in (DATA / "stress").glob("*.pdf") if "scan" not in p.name)]


@pytest.mark.parametrize("pdf", [*DIGITAL, *OTHER_DIGITAL], ids=lambda p: p.name)
def test_pdfium_and_pdfplumber_give_the_same_records(
    pdf: Path, extracted: dict[str, FileResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = extracted[pdf.name] if pdf.name in extracted else extract_file(pdf)
    monkeypatch.setattr(pdfopen, "_open_fast", lambda path: None)
    slow = extract_file(pdf)
    assert fast.page_kinds == slow.page_kinds
    assert fast.pages_without_tables == slow.pages_without_tables
    assert fast.other_tables == slow.other_tables
    assert _same(_records(fast), _records(slow))


@pytest.mark.parametrize("pdf", sorted(SAMPLES.glob("*.pdf")), ids=lambda p: p.name)
def test_pages_are_classified_as_pdfplumber_classifies_them(pdf: Path) -> None:
    with pdfplumber.open(pdf) as slow:
        fast = pdfium.PdfDocument(str(pdf))
        try:
            for page in slow.pages:
                assert pdfopen.classify_fast(page, fast).kind == pdfopen.classify(page).kind
        finally:
            fast.close()
