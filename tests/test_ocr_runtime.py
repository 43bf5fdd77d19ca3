"""OpenVINO runs the recogniser as ONNX Runtime does at f32 (the same text on real scanned cells),
and at bf16, an option, still reads the scanned sample right."""

from __future__ import annotations

import json

import pdfplumber
import pytest

from pbextract.pipeline import extract_file
from pbextract.read.imagegrid import find_image_grids
from pbextract.read.imaging import page_image
from pbextract.read.ocr.engine import RapidOcrEngine, model_files
from pbextract.read.ocrcells import ocr_cells
from pbextract.score import load_jsonl, score_file
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


def test_openvino_bf16_reads_the_scanned_sample_right() -> None:
    """bfloat16 recognition (faster on a CPU with AVX-512 BF16) changes some readings, so it is an
    option: on the scanned sample it still gives every expected field."""
    pytest.importorskip("openvino")
    pdf = SAMPLES / "mixed-scan.pdf"
    engine = RapidOcrEngine(model_files(), runtime="openvino", precision="bf16")
    got = [json.loads(r.model_dump_json()) for r in extract_file(pdf, engine=engine).records]
    score = score_file(load_jsonl(pdf.with_suffix(".expected.jsonl")), got, fold=True)
    assert score.fields > 400
    assert score.accuracy == 1.0, score.mismatches
