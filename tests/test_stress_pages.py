"""Pages made by other renderers (LibreOffice, Chromium), other templates and a damaged scan:
their extraction equals the truth field by field, and a wrong OCR reading never passes unflagged."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from pbextract.output.pageimages import page_images
from pbextract.pipeline import FileResult, extract_file
from pbextract.score import score_file
from tests.conftest import ROOT, assert_equals_truth, expected_records

STRESS = ROOT / "tests" / "data" / "stress"
DIGITAL = [
    "chromium-form2.pdf",  # separate cell borders, a row cut by the page break, header repeated
    "libreoffice-form1.pdf",  # 第二部分 form, bottom-aligned merged text, print-title header
    "reportlab-form1-top.pdf",  # top-aligned merged 一级/二级 text over a page break
    "libreoffice-form1-clipped.pdf",  # a 二级 span's text drawn, clipped away, over the repeated header
    "libreoffice-form2-foot.pdf",  # a 一级 span printed at its foot two pages on: a whole page's part blank
    "libreoffice-form2-middle.pdf",  # a 一级 span's middle part fills its page: no rule crosses its column
]


@pytest.fixture(scope="module")
def results() -> dict[str, FileResult]:
    return {p.name: extract_file(p) for p in sorted(STRESS.glob("*.pdf"))}


@pytest.mark.parametrize("name", DIGITAL)
def test_other_renderers_equal_truth(name: str, results: dict[str, FileResult]) -> None:
    assert_equals_truth(STRESS / name, results[name])
    assert all(r.flags == [] for r in results[name].records)


def test_unknown_template_is_a_flagged_record(results: dict[str, FileResult]) -> None:
    """A project table of neither known form (实施单位, 财政拨款/其他资金/合计 rows, 年度总体目标,
    no 指标值 sub-columns) is read by its labels, with ``form`` null and an ``unknown_form`` flag."""
    result = results["unknown-form.pdf"]
    assert_equals_truth(STRESS / "unknown-form.pdf", result)
    (record,) = result.records
    assert record.form is None
    assert [f.reason for f in record.flags] == ["unknown_form"]
    assert record.project_name and record.budget_total is not None and record.indicators


DAMAGED_SCAN = STRESS / "scan-realistic-form1.pdf"


def _read_well(result: FileResult) -> None:
    """The damaged scan page read: nearly every field right, none wrong unflagged."""
    got = [json.loads(r.model_dump_json()) for r in result.records]
    score = score_file(expected_records(DAMAGED_SCAN), got, fold=True)
    flagged = {(r["project_code"], f["field"]) for r in got for f in r["flags"]}
    assert score.indicator_recall == 1.0
    assert score.accuracy >= 0.97, score.mismatches
    assert [m for m in score.mismatches if (m.project_code, m.field) not in flagged] == []
    assert got[0]["form"] == "project_target_table"


def _scanned_again(angle: float, expand: bool, out: Path) -> Path:
    """The damaged scan page's image turned counter-clockwise by ``angle``, as a new scan."""
    image = pdfium.PdfDocument(DAMAGED_SCAN)[0].render(scale=200 / 72, grayscale=True).to_pil()
    turned = image.rotate(angle, expand=expand, fillcolor=255, resample=Image.Resampling.BILINEAR)
    turned.save(out, "PDF", resolution=200)
    return out


def test_damaged_scan_wrong_fields_are_flagged(results: dict[str, FileResult]) -> None:
    """170 dpi, broken and faint rules, specks, JPEG: nearly every field right, none wrong unflagged."""
    _read_well(results[DAMAGED_SCAN.name])


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_scan_fed_sideways_or_upside_down_is_read_turned(turn: int, tmp_path: Path) -> None:
    """The damaged scan page as a scanner fed sideways or upside down would give it (the image
    turned, no /Rotate): read turned upright, nearly every field right and none wrong unflagged, the
    turn in the file's result, and the page shown to a reviewer upright."""
    turned = _scanned_again(turn, True, tmp_path / DAMAGED_SCAN.name)
    result = extract_file(turned)
    assert result.turned_pages == {1: turn}
    _read_well(result)
    _, shown, _ = next(page_images(turned, [1], result.turned_pages))
    assert shown.height > shown.width  # the portrait form, upright


def test_a_scan_fed_four_degrees_askew(tmp_path: Path) -> None:
    _read_well(extract_file(_scanned_again(4.0, False, tmp_path / DAMAGED_SCAN.name)))


def test_stress_pages_are_committed() -> None:
    assert {p.name for p in STRESS.glob("*.pdf")} == {*DIGITAL, "unknown-form.pdf", "scan-realistic-form1.pdf"}
    assert all(Path(str(p).replace(".pdf", ".expected.jsonl")).is_file() for p in STRESS.glob("*.pdf"))
