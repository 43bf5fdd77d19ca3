"""QA crops: each flag points at its own cell and gets its own PNG, with the row and header around it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pbextract.forms.mapping import Mapped, map_table
from pbextract.forms.repair import stitch
from pbextract.forms.validate import _flag
from pbextract.output.crops import CELL, crop_name, write_crops
from pbextract.output.pageimages import DIGITAL_DPI
from pbextract.pipeline import assign_keys, page_tables
from pbextract.read.pdfopen import classify, iter_pages, open_pdf
from pbextract.schema import Flag, Record
from pbextract.stages import PageKind
from tests.conftest import SAMPLES

YANTAI = SAMPLES / "yantai.pdf"


@pytest.fixture(scope="module")
def form2() -> list[Mapped]:
    """The form-2 (年度目标) tables of yantai.pdf's first pages."""
    with open_pdf(YANTAI) as (doc, pdf):
        pages = [(classify(p), p) for number, p in iter_pages(pdf) if number <= 8]
        tables = [t for page, p in pages if page.kind == PageKind.TEXT for t in page_tables(p, page)]
        sha = doc.sha256
    projects, _ = stitch(tables)
    return [map_table(p, YANTAI.name, sha) for p in projects[:2]]


def _value_flags(m: Mapped, i: int) -> list[Flag]:
    return [_flag(m, f"indicators.{i}.{part}", "unparsed_value") for part in ("operator", "value", "unit")]


def test_form2_value_and_unit_point_at_their_own_cells(form2: list[Mapped]) -> None:
    m = form2[0]
    ind = m.record.indicators[0]
    assert (ind.operator, ind.unit) == ("=", "万平方米")
    op, value, unit = _value_flags(m, 0)
    assert len({op.bbox, value.bbox, unit.bbox}) == 3
    assert op.bbox and value.bbox and unit.bbox
    assert op.bbox[2] <= value.bbox[0] + 1 and value.bbox[2] <= unit.bbox[0] + 1  # left to right
    assert (op.text, value.text, unit.text) == ("=", "668.62", "万平方米")
    assert value.header_bbox is not None and value.header_bbox[3] <= value.bbox[1]  # 指标值 above


def test_every_flag_gets_its_own_crop(form2: list[Mapped], tmp_path: Path) -> None:
    records: list[Record] = []
    for m in form2:
        record = m.record.model_copy(deep=True)
        record.project_code = None  # records without a code used to share crop names
        record.flags = _value_flags(m, 0) + _value_flags(m, 1) + [_flag(m, "budget_total", "missing_field")]
        records.append(record)
    assign_keys(records, str(YANTAI))
    flags = [f for r in records for f in r.flags]
    assert write_crops(YANTAI, records, tmp_path) == len(flags) == 14
    crops = [f.crop for f in flags]
    assert len(set(crops)) == len(crops)
    for flag in flags:
        assert flag.crop == f"crops/{records[0].source_sha256[:16]}/{crop_name(flag.flag_id)}"
        assert flag.crop.isascii()
        assert flag.bbox is not None
        with Image.open(tmp_path / flag.crop) as im:
            cell_px = (flag.bbox[2] - flag.bbox[0]) * DIGITAL_DPI / 72
            assert im.width > cell_px + 100  # the row on either side, at the page's resolution
            red = (np.asarray(im.convert("RGB")) == CELL).all(axis=2).sum()
            assert red > 100  # the cell is boxed
