"""Every sample PDF's extraction equals its expected records, field by field."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pbextract.pipeline import FileResult
from tests.conftest import DIGITAL, assert_equals_truth, expected_records


def test_samples_exist() -> None:
    assert len(DIGITAL) >= 4, "samples/ should hold the digital sample PDFs"


@pytest.mark.parametrize("pdf", DIGITAL, ids=lambda p: p.name)
def test_sample_fields_equal_truth(pdf: Path, extracted: dict[str, FileResult]) -> None:
    assert_equals_truth(pdf, extracted[pdf.name])


@pytest.mark.parametrize("pdf", DIGITAL, ids=lambda p: p.name)
def test_sample_provenance_and_no_flags(pdf: Path, extracted: dict[str, FileResult]) -> None:
    result = extracted[pdf.name]
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    for record in result.records:
        assert record.source_file == pdf.name
        assert record.source_sha256 == sha
        assert record.flags == [], record.flags  # a clean digital table leaves nothing for QA


def test_tables_that_cross_pages_are_stitched(extracted: dict[str, FileResult]) -> None:
    """Records whose table runs onto the next page keep all indicator rows and the repeated header is dropped."""
    crossing = 0
    for pdf in DIGITAL:
        by_code = {r.project_code: r for r in extracted[pdf.name].records}
        for exp in expected_records(pdf):
            if exp["page_end"] > exp["page_start"]:
                crossing += 1
                rec = by_code[exp["project_code"]]
                assert (rec.page_start, rec.page_end) == (exp["page_start"], exp["page_end"])
                assert [i.name for i in rec.indicators] == [i["name"] for i in exp["indicators"]]
                assert all(i.level1 != "一级指标" for i in rec.indicators)
    assert crossing >= 3


def test_non_project_tables_are_not_records(extracted: dict[str, FileResult]) -> None:
    """The summary table at the front of the 烟台 sample is a table, but not a project table."""
    result = extracted["yantai.pdf"]
    assert result.other_tables >= 1
    assert "page 3" in result.other_table_notes[0] and "项目名称" in result.other_table_notes[0]
    assert len(result.records) == len(expected_records(Path("samples/yantai.pdf")))
