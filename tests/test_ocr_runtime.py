"""OpenVINO runs the recogniser as ONNX Runtime does: the same text on real scanned cells."""

from __future__ import annotations

import pdfplumber
import pytest

from pbextract.read.imagegrid import find_image_grids
from pbextract.read.imaging import page_image
from pbextract.read.ocr.engine import RapidOcrEngine, model_files
from pbextract.read.ocrcells import ocr_cells
from tests.conftest import SAMPLES


def test_openvino_reads_scanned_cells_as_onnxruntime_does() -> None:
    pytest.importorskip("openvino")
    pdf = SAMPLES / "mixed-scan.pdf"
    with pdfplumber.open(pdf) as doc:
        img = page_image(pdf, doc.pages[0])
        grid = find_image_grids(img)[0]
    files = model_files()
    ours = ocr_cells(img, grid, RapidOcrEngine(files, runtime="openvino"))
    reference = ocr_cells(img, grid, RapidOcrEngine(files, runtime="onnxruntime"))
    assert sum(1 for c in reference if c.text) > 40
    assert [c.text for c in ours] == [c.text for c in reference]
    assert all(abs(a.confidence - b.confidence) < 1e-3 for a, b in zip(ours, reference, strict=True))
