"""Compilations printed to PDF by a browser, made outside this project (``../shared/fieldset/html``):
every field equals the truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbextract.pipeline import extract_file
from tests.conftest import ROOT, assert_equals_truth

FIELDSET = ROOT.parent / "shared" / "fieldset" / "html"
PDFS = sorted(FIELDSET.glob("*.pdf"))


@pytest.mark.skipif(not PDFS, reason=f"{FIELDSET} not found (the shared field set sits beside the repository)")
@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.name)
def test_browser_printed_compilation_equals_truth(pdf: Path) -> None:
    result = extract_file(pdf)
    assert_equals_truth(pdf, result)
    assert all(r.flags == [] for r in result.records)
