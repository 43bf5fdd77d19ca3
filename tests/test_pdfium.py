"""Digital pages read through pdfium give the same records as through pdfplumber (pdfminer): the
samples, a fake-bold page and the stress pages from other renderers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pbextract import pipeline
from pbextract.pipeline import FileResult, extract_file
from pbextract.read import pdfopen
from pbextract.stages import PageKind
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
# libreoffice-form1-clipped.pdf: pdfium leaves out glyphs clipped away, which pdfminer reads (they
# spill over a repeated header, whose label is still told): the records agree all the same
OTHER_DIGITAL = [DATA / "fake-bold.pdf", *sorted(p for p in (DATA / "stress").glob("*.pdf") if "scan" not in p.name)]


@pytest.mark.parametrize("pdf", [*DIGITAL, *OTHER_DIGITAL], ids=lambda p: p.name)
def test_pdfium_and_pdfplumber_give_the_same_records(
    pdf: Path, extracted: dict[str, FileResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = extracted[pdf.name] if pdf.name in extracted else extract_file(pdf)
    monkeypatch.setattr(pipeline, "fast_pdf", _no_pdfium)
    slow = extract_file(pdf)
    assert fast.page_kinds == slow.page_kinds
    assert fast.pages_without_tables == slow.pages_without_tables
    assert fast.other_tables == slow.other_tables
    assert _same(_records(fast), _records(slow))


@contextmanager
def _no_pdfium(path: Path) -> Iterator[None]:
    yield None


@pytest.mark.parametrize("pdf", sorted(SAMPLES.glob("*.pdf")), ids=lambda p: p.name)
def test_a_page_pdfium_reads_as_text_is_text_to_pdfplumber(pdf: Path) -> None:
    with pdfopen.open_pdf(pdf) as (_, handle), pdfopen.fast_pdf(pdf) as fast:
        assert fast is not None
        for _, page in pdfopen.iter_pages(handle):
            read = pdfopen.read_text_page(fast, page)
            slow = pdfopen.classify(page)
            assert (read is not None) == (slow.kind == PageKind.TEXT)
            if read is not None:
                assert read[0].kind == slow.kind
            page.close()
