"""Scanned and OCR'd PDFs: page images, grids from ruling lines, OCR'd cells, text-layer checks."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pytest
from PIL import Image

from pbextract.forms.values import parse_value_parts, repair_code
from pbextract.output.crops import write_crops
from pbextract.pipeline import PAGE_THREADS, FileResult, extract_file
from pbextract.read import layercheck
from pbextract.read.grid import find_grids
from pbextract.read.imagegrid import find_image_grids
from pbextract.read.imaging import PageImage, estimate_skew, page_image, render, rotate
from pbextract.read.layercheck import LAYER_CONFIDENCE, checked_cells
from pbextract.read.ocr.ctc import Decoded, FoldedDecoder
from pbextract.read.ocr.engine import OcrEngine, RapidOcrEngine, Recognised, Strip, model_files
from pbextract.read.ocrcells import ocr_cells
from pbextract.read.textlayer import read_cells
from pbextract.schema import Flag
from pbextract.stages import Cell, Grid, PageKind
from tests.conftest import IMAGE_SAMPLES, ROOT, SAMPLES, assert_equals_truth, expected_records


@pytest.mark.parametrize("pdf", IMAGE_SAMPLES, ids=lambda p: p.name)
def test_image_sample_fields_equal_truth(pdf: Path, image_results: dict[str, FileResult]) -> None:
    """OCR'd text is judged after NFKC width folding, as the contract says."""
    assert_equals_truth(pdf, image_results[pdf.name], fold=True)


def test_pages_read_in_parallel_give_the_records_of_one_at_a_time(image_results: dict[str, FileResult]) -> None:
    """Pages OCR'd two at a time with their batches on every core (the default) give exactly what
    reading them one by one, one batch at a time, gives."""
    pdf = SAMPLES / "mixed-scan.pdf"
    assert PAGE_THREADS > 1
    one_by_one = extract_file(pdf, RapidOcrEngine(model_files(), threads=1), threads=1)
    assert [r.model_dump() for r in one_by_one.records] == [r.model_dump() for r in image_results[pdf.name].records]
    assert one_by_one.pages_without_tables == image_results[pdf.name].pages_without_tables


def test_page_kinds(image_results: dict[str, FileResult]) -> None:
    assert image_results["mixed-scan.pdf"].page_kinds == {PageKind.SCAN.value: 5}
    assert image_results["mixed-ocr.pdf"].page_kinds == {PageKind.OCR.value: 5}


@pytest.mark.parametrize("angle", [-4.4, -1.7, -0.7, 0.4, 1.2, 3.6])
def test_deskew_finds_the_rotation(angle: float) -> None:
    gray = render(SAMPLES / "yantai.pdf", 4, 150)
    assert estimate_skew(rotate(gray, -angle)) == pytest.approx(angle, abs=0.1)


def test_image_grid_equals_vector_grid() -> None:
    with pdfplumber.open(SAMPLES / "liaocheng-part1b.pdf") as pdf:
        for page in pdf.pages[2:5]:
            vector = find_grids(page)
            image = find_image_grids(page_image(SAMPLES / "liaocheng-part1b.pdf", page))
            assert [[(c.row, c.col, c.rowspan, c.colspan) for c in g.cells] for g in image] == [
                [(c.row, c.col, c.rowspan, c.colspan) for c in g.cells] for g in vector
            ]


class ScriptedEngine:
    """An OCR engine that reads every line crop as the same text."""

    name = "scripted"

    def __init__(self, text: str, score: float = 0.99) -> None:
        self.text, self.score = text, score

    def recognize(self, crops: list[np.ndarray]) -> list[Recognised]:
        return [Recognised(text=self.text, score=self.score) for _ in crops]


@pytest.fixture(scope="module")
def ocrd_page() -> tuple[list[dict[str, object]], PageImage, Grid]:
    path = SAMPLES / "liaocheng-part2.pdf"
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[2]
        img = page_image(path, page)
        return page.chars, img, find_image_grids(img)[0]


def test_text_layer_that_disagrees_is_replaced_by_ocr(
    ocrd_page: tuple[list[dict[str, object]], PageImage, Grid],
) -> None:
    """Our reading wins; where it is unsure, the layer's disagreement lowers it further."""
    chars, img, grid = ocrd_page
    for score in (0.99, 0.9):
        engine = ScriptedEngine("错", score)
        ours = ocr_cells(img, grid, engine)
        checked = checked_cells(img, grid, chars, engine)
        assert all(c.source == "ocr" and c.text == "错" * len(c.lines) for c in checked if c.text)
        for mine, c in zip(ours, checked, strict=True):
            sure = mine.confidence >= layercheck.SURE
            assert c.confidence == pytest.approx(mine.confidence * (1 if sure else layercheck.DISAGREE_FACTOR))
        assert any(m.confidence >= layercheck.SURE for m in ours if m.text) == (score >= layercheck.SURE)


def test_text_layer_that_agrees_is_used(
    ocrd_page: tuple[list[dict[str, object]], PageImage, Grid], monkeypatch: pytest.MonkeyPatch
) -> None:
    chars, img, grid = ocrd_page
    layer = read_cells(chars, grid)

    def reads_as_layer(img: PageImage, grid: Grid, engine: OcrEngine, only: set[int] | None = None) -> list[Cell]:
        return [layer[i].model_copy(update={"source": "ocr", "confidence": 0.99}) for i in sorted(only or [])]

    monkeypatch.setattr(layercheck, "ocr_cells", reads_as_layer)
    cells = checked_cells(img, grid, chars, ScriptedEngine(""))
    assert [c.text for c in cells] == [c.text for c in layer]
    assert sum(c.source == "ocr" for c in cells) == layercheck.SAMPLE
    assert {c.confidence for c in cells if c.source == "text_layer"} == {LAYER_CONFIDENCE}


def test_ocr_slips_in_codes_and_operators() -> None:
    assert repair_code("37O60022P99004910l51K") == "37060022P99004910151K"
    assert repair_code("37060022P99004910151K") is None  # already well-formed
    assert repair_code("2O5", digits_only=True) == "205"
    assert parse_value_parts(["二", "100", "%"]).operator == "="


def test_flagged_cells_get_a_png_crop(tmp_path: Path, image_results: dict[str, FileResult]) -> None:
    record = image_results["mixed-scan.pdf"].records[0].model_copy(deep=True)
    record.flags = [
        Flag(
            flag_id=f"{record.record_id}:budget_total:low_ocr_confidence",
            field="budget_total",
            page=record.page_start,
            bbox=(50, 100, 200, 130),
            confidence=0.5,
            reason="low_ocr_confidence",
            text="x",
        )
    ]
    assert write_crops(SAMPLES / "mixed-scan.pdf", [record], tmp_path) == 1
    crop = tmp_path / str(record.flags[0].crop)
    with Image.open(crop) as im:
        assert im.size[0] > 150 and im.size[1] > 30


def test_cuda_request_without_a_cuda_runtime_is_an_error() -> None:
    import onnxruntime

    from pbextract.read.ocr.engine import ModelError, RapidOcrEngine, model_files

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this machine has a CUDA runtime")
    with pytest.raises(ModelError, match="no CUDA provider"):
        RapidOcrEngine(model_files(), use_cuda=True)


def _steps(alphabet: list[str], *steps: dict[str, float]) -> np.ndarray:
    """Class probabilities per time step; what a step does not name goes to the blank."""
    probs = np.zeros((len(steps), len(alphabet)), dtype=np.float32)
    for t, step in enumerate(steps):
        for ch, p in step.items():
            probs[t, alphabet.index(ch)] = p
        probs[t, 0] = 1.0 - sum(step.values())
    return probs


def test_width_twins_share_their_probability() -> None:
    alphabet = ["blank", ",", "，", ".", "5", "５", "分"]
    decoder = FoldedDecoder(alphabet)
    # a comma split between its widths is a sure comma, printed in the likelier width
    read = decoder.decode(_steps(alphabet, {"5": 0.9}, {",": 0.35, "，": 0.4, ".": 0.25}, {"分": 0.97}))
    assert read.text == "5，分" and read.sure == pytest.approx([0.9, 0.75, 0.97])
    # one character over two steps in alternating widths is one character; blanks separate repeats
    assert decoder.decode(_steps(alphabet, {"5": 0.9}, {"５": 0.9}, {}, {"5": 0.9})).text == "55"
    # a real doubt between two characters stays a doubt
    read = decoder.decode(_steps(alphabet, {",": 0.55, ".": 0.45}))
    assert read.text == "," and read.sure == pytest.approx([0.55])


def test_a_character_is_as_sure_as_the_surest_step_it_was_read_over() -> None:
    """A glyph spans a few steps and its first shares the blank's probability as the glyph begins
    (``典`` at 0.72, then 1.0): it was read sure. Two runs apart are two characters, each its own."""
    alphabet = ["blank", "典", "型", "碘"]
    decoder = FoldedDecoder(alphabet)
    read = decoder.decode(_steps(alphabet, {"典": 0.72}, {"典": 0.99}, {"型": 0.98}))
    assert read.text == "典型" and read.sure == pytest.approx([0.99, 0.98]) and read.steps == [0, 2]
    # a doubt at every step of the run stays a doubt
    read = decoder.decode(_steps(alphabet, {"典": 0.6, "碘": 0.4}, {"典": 0.55, "碘": 0.45}))
    assert read.text == "典" and read.sure == pytest.approx([0.6])
    read = decoder.decode(_steps(alphabet, {"典": 0.99}, {}, {"典": 0.7}))
    assert read.text == "典典" and read.sure == pytest.approx([0.99, 0.7])


def test_a_character_that_narrowly_lost_to_the_blank_is_a_doubt() -> None:
    """``3月底`` read ``3底``, 月 at 0.39 against the blank's 0.49: the line is in doubt at that step;
    a glyph's tail (the character read beside it) and a lost space are not."""
    alphabet = ["blank", "3", "月", "底", " "]
    decoder = FoldedDecoder(alphabet)
    read = decoder.decode(_steps(alphabet, {"3": 0.99}, {"月": 0.39}, {"底": 0.99}))
    assert read.text == "3底" and [t for t, _ in read.dropped] == [1]
    assert read.dropped[0][1] == pytest.approx(0.61)
    assert decoder.decode(_steps(alphabet, {"3": 0.99}, {"3": 0.4}, {"底": 0.99})).dropped == []
    assert decoder.decode(_steps(alphabet, {"3": 0.99}, {" ": 0.45}, {"底": 0.99})).dropped == []


def test_a_colon_is_as_sure_as_either_mark_it_may_be() -> None:
    """A mark read ``:`` at 0.55 against ``;`` at 0.4 is a sure pause mark of doubtful kind."""
    alphabet = ["blank", ":", ";", "：", "分"]
    read = FoldedDecoder(alphabet).decode(_steps(alphabet, {"分": 0.99}, {":": 0.55, ";": 0.4}))
    assert read.text == "分:" and read.sure[1] == pytest.approx(0.55)
    assert read.alike == pytest.approx([0.99, 0.95])


SCAN_150DPI = ROOT.parent / "shared" / "fieldset" / "scan" / "scan_03_html_yantai.pdf"


@pytest.mark.skipif(not SCAN_150DPI.is_file(), reason=f"{SCAN_150DPI} not found (the shared field set)")
def test_marks_a_150_dpi_scan_blurs_are_told_by_shape_and_rule(tmp_path: Path) -> None:
    """A browser-printed compilation scanned at 150 dpi: its ``;`` prints like ``:`` (each scoring
    text's colons and semicolons are the truth's), its ``≥`` with a slanted bar reads ``V`` (told by
    its shape: every operator is the truth's and none is flagged as put right by rule) and its thin
    ``。`` blurs into a faint disc the recogniser drops or reads ``·`` (each text's full stops are
    the truth's)."""
    part = tmp_path / "scan-150dpi.pdf"
    pdf = pdfium.PdfDocument.new()
    pdf.import_pages(pdfium.PdfDocument(SCAN_150DPI), [3, 4, 5, 9, 10])  # two project tables
    pdf.save(part)
    got = {r.project_code: r for r in extract_file(part).records}
    truth = {t["project_code"]: t for t in expected_records(SCAN_150DPI)}
    record, expected = got["37060022P99004910151K"], truth["37060022P99004910151K"]
    pairs = list(zip(record.indicators, expected["indicators"], strict=True))
    scored = [(mine.scoring or "", theirs["scoring"]) for mine, theirs in pairs if ":" in _folded(theirs["scoring"])]
    assert len(scored) >= 10

    def pauses(text: str) -> str:
        return "".join(c for c in _folded(text) if c in ":;")

    assert [pauses(mine) for mine, _ in scored] == [pauses(theirs) for _, theirs in scored]
    assert [mine.operator for mine, _ in pairs] == [theirs["operator"] for _, theirs in pairs]
    assert not [f for f in record.flags if f.field.endswith(".operator") and "ocr_char_repaired" in f.flag_id]

    def stops(text: str | None) -> tuple[int, bool]:
        return (text or "").rstrip("。").count("。"), (text or "").endswith("。")

    record, expected = got["37060022P05000110002W"], truth["37060022P05000110002W"]
    texts = [(i.description, t["description"]) for i, t in zip(record.indicators, expected["indicators"], strict=True)]
    texts += [(i.scoring, t["scoring"]) for i, t in zip(record.indicators, expected["indicators"], strict=True)]
    assert [stops(mine) for mine, _ in texts] == [stops(theirs) for _, theirs in texts]


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def test_a_strip_of_short_lines_is_split_back_into_its_lines() -> None:
    """Two lines read side by side (input columns 0-100 and 132-232, 8 columns a step): each gets the
    characters read over it, one read in the gap goes to the nearer line, a space in the gap to none,
    and a near-dropped character's doubt to the line it lies on."""
    strip = Strip(np.zeros((3, 48, 232), dtype=np.float32), [(0, 0, 100), (1, 132, 100)])
    sure = [0.99, 0.98, 0.6, 0.97, 0.4]
    read = Decoded("3底 %6", sure, [1, 13, 15, 18, 26], [(4, 0.55)], sure)
    lines = strip.split(read, 8.0)
    assert [lines[0].text, lines[1].text] == ["3底", "%6"]
    assert lines[0].score == pytest.approx(0.55) and lines[0].dropped == pytest.approx(0.55)
    assert lines[1].chars == pytest.approx([0.97, 0.4]) and lines[1].score == pytest.approx(0.4)
    assert lines[1].at[0] == pytest.approx((18.5 * 8 - 132) / 100)


def test_a_wrapped_full_stop_is_told_from_a_speck_by_its_ring() -> None:
    """Specks alone under a full line: one small ring is a 。 that wrapped (kept), a solid dot or
    several specks are not."""
    from pbextract.read.ocrcells import _ring

    def band(*dots: tuple[int, int]) -> np.ndarray:
        """Dots of radius 4 at (x, stroke width; -1 is filled) on a line band."""
        ink = np.zeros((12, 200), np.uint8)
        for x, stroke in dots:
            cv2.circle(ink, (x, 6), 4, 255, stroke)
        return ink

    assert _ring(band((8, 1)), em=30)
    assert not _ring(band((8, -1)), em=30)  # solid: a speck
    assert not _ring(band((8, 1), (40, 1)), em=30)
    assert not _ring(band((8, 1)), em=10)  # too big beside the text


def test_a_ring_apart_from_the_text_is_a_full_stop_and_a_solid_dot_a_doubt() -> None:
    """A small dot half a glyph or more after a line's text may be a centred 。 or a speck: a ring
    is a 。 (the line stays sure), a solid dot leaves the line in doubt, and one at the top of the
    line (where no 。 or ，sits) is a speck, left out of the crop."""
    from pbextract.read.ocrcells import _trim_specks

    def line(stroke: int, y: int = 12) -> np.ndarray:
        ink = np.zeros((24, 120), np.uint8)
        for x in (2, 26, 50):  # three glyphs, 20 pixels square
            cv2.rectangle(ink, (x, 2), (x + 19, 21), 1, 2)
        cv2.circle(ink, (86, y), 3, 1, stroke)  # 13 pixels after the last glyph
        return ink

    ring, solid, high = (_trim_specks(line(stroke, y), 200 / 72) for stroke, y in ((1, 12), (-1, 12), (-1, 4)))
    assert ring[0] is not None and ring[0][3] == 90 and ring[1] is False  # the 。 kept in the crop
    assert solid[0] is not None and solid[0][3] == 90 and solid[1] is True
    assert high[0] is not None and high[0][3] == 71 and high[1] is False


def _ruled_page(faded: int) -> PageImage:
    """A 300 dpi page with a 2-by-2 table whose middle vertical rule fades to grey level ``faded``
    over the lower row, as on a worn scan."""
    scale = 300 / 72
    gray = np.full((int(300 * scale), int(400 * scale)), 250, np.uint8)

    def px(v: float) -> int:
        return int(v * scale)

    for y in (50, 150, 250):
        gray[px(y) : px(y) + 3, px(50) : px(350)] = 40
    for x in (50, 350):
        gray[px(50) : px(250), px(x) : px(x) + 3] = 40
    gray[px(50) : px(150), px(200) : px(200) + 3] = 40
    gray[px(150) : px(250), px(200) : px(200) + 3] = faded
    return PageImage(page=1, gray=gray, scale=scale, skew=0.0)


@pytest.mark.parametrize(("faded", "columns"), [(40, 2), (236, 2), (250, 1)])
def test_a_rule_that_fades_still_separates_its_cells(faded: int, columns: int) -> None:
    """A rule too light for the ink threshold (236 on 250 paper) still splits the lower row; where
    it is gone altogether (250) the lower row is one merged cell."""
    (grid,) = find_image_grids(_ruled_page(faded))
    lower = [c for c in grid.cells if c.bbox[1] >= 149]
    assert len(lower) == columns


def test_marks_no_chinese_text_puts_at_its_edge_are_trimmed() -> None:
    from pbextract.read.ocrcells import _without_edge_marks

    assert _without_edge_marks(["项目完成及时率+"]) == ["项目完成及时率"]
    assert _without_edge_marks(["•时效指标"]) == ["时效指标"]
    assert _without_edge_marks(["", "。沙滩、海水浴场面积", "是否按期拨付资金•"]) == [
        "",
        "沙滩、海水浴场面积",
        "是否按期拨付资金",
    ]
    assert _without_edge_marks(["满分10分。"]) == ["满分10分。"]  # a full stop ends a sentence
    assert _without_edge_marks(["≥90", "%+"]) == ["≥90", "%+"]  # not after a Chinese character
    assert _without_edge_marks(["数量指标", "+"]) == ["数量指标", ""]  # a speck alone on a line
    # a speck read as a full stop before or after the text: Chinese ends with 。
    assert _without_edge_marks([".城市公共安全与应急管理二期"]) == ["城市公共安全与应急管理二期"]
    assert _without_edge_marks(["成本控制."]) == ["成本控制"]
    assert _without_edge_marks(["达标得分，不达标不得分。", "满分5分。."]) == ["达标得分，不达标不得分。", "满分5分。"]
    assert _without_edge_marks(["聊城市农业农村局..", ""]) == ["聊城市农业农村局", ""]
    assert _without_edge_marks(["≥95%."]) == ["≥95%"]
    assert _without_edge_marks(["1.保证经费专项使用。"]) == ["1.保证经费专项使用。"]  # a numbered item
    assert _without_edge_marks(["38.50"]) == ["38.50"]
    assert _without_edge_marks(["得50分值.完成"]) == ["得50分值.完成"]  # a speck or a 150 dpi ，: flagged, kept
    # no mark stands inside a document number, nor between a title and the bracket holding it
    assert _without_edge_marks(["《行动方案》（烟办发电.〔2021〕117号）"]) == ["《行动方案》（烟办发电〔2021〕117号）"]
    assert _without_edge_marks(["（烟政办发〔2019〕·", "15号)"]) == ["（烟政办发〔2019〕", "15号)"]
    assert _without_edge_marks(["挂牌的政策》.(烟政办发"]) == ["挂牌的政策》(烟政办发"]
    assert _without_edge_marks(["《通知》、《办法》"]) == ["《通知》、《办法》"]


def test_a_mark_inside_a_line_with_nothing_read_at_it_doubts_the_characters_beside_it() -> None:
    """Glyphs at 10-50, 70-110 and 150-190 px and a small mark at 54-66 (a 、): read as 乡街道, each
    character centred on a glyph, the mark was skipped, and 乡 and 街 are in doubt; read as 乡、街道,
    it was not."""
    from pbextract.read.ocrcells import _doubted_beside, _line_ink, _unread_marks

    crop = np.full((50, 200), 255, np.uint8)
    crop[5:45, 10:50] = 0
    crop[5:45, 70:110] = 0
    crop[33:43, 54:66] = 0
    crop[5:45, 150:190] = 0
    img = PageImage(page=1, gray=crop, scale=300 / 72, skew=0.0)
    skipped = Recognised(text="乡街道", score=0.99, chars=[0.99] * 3, at=[30 / 200, 90 / 200, 170 / 200])
    read = Recognised(text="乡、街道", score=0.99, chars=[0.99] * 4, at=[30 / 200, 58 / 200, 90 / 200, 170 / 200])
    line = _line_ink(crop, img)
    assert _unread_marks(line, skipped) == [pytest.approx(60 / 200, abs=0.01)]
    assert _unread_marks(line, read) == []
    doubted = _doubted_beside(skipped, _unread_marks(line, skipped))
    assert doubted.chars == [0.85, 0.85, 0.99] and doubted.score == 0.85
    # a ，ending a line (114-126), read as nothing: the last character is in doubt
    crop[:, 150:] = 255
    crop[33:43, 114:126] = 0
    ending = _line_ink(crop[:, :140], img)
    lost = Recognised(text="乡、街", score=0.99, chars=[0.99] * 3, at=[30 / 140, 58 / 140, 90 / 140])
    assert _doubted_beside(lost, _unread_marks(ending, lost)).chars == [0.99, 0.99, 0.85]


def test_a_semicolon_whose_dot_stands_far_above_its_comma_is_doubtful() -> None:
    """``轨道，`` with a speck above the comma reads ``轨道；`` sure: a semicolon's dot sits mid-line
    above its comma, the speck near the line's top (a fifth of a glyph down), so that ``；`` is in
    doubt; a real one is not."""
    from pbextract.read.ocrcells import _line_ink, _specked_semicolons

    def read_mark(dot_top: int) -> float:
        crop = np.full((26, 60), 255, np.uint8)
        crop[3:23, 3:23] = 0  # a glyph, 20 px
        crop[3:23, 25:45] = 0
        crop[17:21, 47:50] = 0  # the comma
        crop[dot_top : dot_top + 4, 48:51] = 0  # the dot, or a speck
        img = PageImage(page=1, gray=crop, scale=150 / 72, skew=0.0)
        read = Recognised(text="轨道；", score=0.94, chars=[1.0, 1.0, 0.94], at=[13 / 60, 35 / 60, 49 / 60])
        read.alike = [1.0, 1.0, 0.98]
        out = _specked_semicolons(_line_ink(crop, img), read)
        return min(out.chars[2], out.alike[2])

    assert read_mark(dot_top=10) == 0.94  # mid-line: a semicolon
    assert read_mark(dot_top=5) == 0.7  # near the top: a speck over a comma


def test_each_character_of_a_cell_keeps_the_confidence_it_was_read_at() -> None:
    """Through the joining of lines and a full stop put back: the characters the recogniser read
    keep their own probability (lowered by their line's doubt of a dropped glyph), the rest take the
    cell's, and the cell's own doubts hold for all."""
    from pbextract.read.ocrcells import _char_confidences
    from pbextract.stages import GridCell

    lines = [
        Recognised(text="完成率", score=0.6, chars=[0.99, 0.6, 0.98]),
        Recognised(text="达标", score=0.8, chars=[0.99, 0.99], dropped=0.8),
    ]
    g = GridCell(row=0, col=0, bbox=(0, 0, 10, 10))
    cell = Cell.read(1, g, ["完成率", "达标。"], 0.6, source="ocr")
    assert cell.text == "完成率达标。"
    assert _char_confidences(lines, cell, 1.0) == pytest.approx([0.99, 0.6, 0.98, 0.8, 0.8, 0.6])
    assert _char_confidences(lines, cell, 0.7) == pytest.approx([0.7, 0.6, 0.7, 0.7, 0.7, 0.6])


def test_a_sentence_s_later_colons_are_semicolons_and_its_first_in_doubt_where_all_were_misread() -> None:
    """``;`` read as ``:`` after a sentence's first mark: a semicolon, as sure as either mark was.
    Where every later mark was read so, the recogniser could not tell the two apart, and the first
    colon is in doubt; where it read one right, the first colon stands."""
    from pbextract.read.ocrcells import _marks_by_rule
    from pbextract.stages import GridCell

    g = GridCell(row=0, col=0, bbox=(0, 0, 10, 10))
    for lines, text, first in [
        (["项目:经费:核查", "：检查"], "项目:经费;核查；检查", 0.8),
        (["得满分：完成;完成：完成"], "得满分：完成;完成；完成", 0.99),
    ]:
        cell = Cell.read(1, g, lines, 0.99, source="ocr")
        cell.char_confidence = [0.99] * len(cell.text)
        ruled = _marks_by_rule(cell, [1.0] * len(cell.text))
        assert ruled.text == text and "".join(ruled.lines) == text
        assert ruled.char_confidence[text.index("：" if "满分" in text else ":")] == first


def test_a_dot_ending_a_line_with_nothing_read_at_it_doubts_the_end() -> None:
    """Glyphs at 10-50 and 70-110 px and a dot at 118-124 (a 。 set close, blurred solid): read as
    两字, the dot was lost; read as 两字。, it was not."""
    from pbextract.read.ocrcells import _line_ink, _unread_end_dot

    crop = np.full((50, 140), 255, np.uint8)
    crop[5:45, 10:50] = 0
    crop[5:45, 70:110] = 0
    crop[30:36, 118:124] = 0
    img = PageImage(page=1, gray=crop, scale=300 / 72, skew=0.0)
    lost = Recognised(text="两字", score=0.99, chars=[0.99] * 2, at=[30 / 140, 90 / 140])
    read = Recognised(text="两字。", score=0.99, chars=[0.99] * 3, at=[30 / 140, 90 / 140, 121 / 140])
    assert _unread_end_dot(_line_ink(crop, img), lost, img.scale)
    assert not _unread_end_dot(_line_ink(crop, img), read, img.scale)
    assert not _unread_end_dot(_line_ink(crop[:, :115], img), lost, img.scale)  # no dot


def test_a_faint_full_stop_the_ink_mask_lost_leaves_the_line_end_in_doubt() -> None:
    """A 150 dpi ``。`` whose thin ring blurred until only a few pixels pass the ink level is dropped
    as a speck: the text may have lost it, so its end is in doubt; paper there, or a faint mark at
    the line's top (where no 。 sits), leaves it sure."""
    from pbextract.read.ocrcells import _trim_specks

    def line(mark_y: int | None) -> tuple[np.ndarray, np.ndarray]:
        gray = np.full((20, 120), 245, np.uint8)
        for x in (2, 22, 42):  # three glyphs, 17 pixels square, dark strokes
            cv2.rectangle(gray, (x, 1), (x + 16, 17), 40, 2)
        if mark_y is not None:  # a blurred ring, 6 pixels across, its core just under the ink level
            cv2.circle(gray, (66, mark_y), 3, 200, -1)
            gray[mark_y - 1 : mark_y + 1, 65:67] = 150
        ink = (gray < 179).astype(np.uint8)
        ink[:, 60:] = 0  # the ring's core was despeckled away
        return gray, ink

    for mark_y, doubted in ((13, True), (None, False), (4, False)):
        gray, ink = line(mark_y)
        span, doubt = _trim_specks(ink, 150 / 72, gray=gray, ink_level=179)
        assert span is not None and span[3] == 60 and doubt is doubted, mark_y


def test_a_glyph_whose_parts_stand_apart_is_one_line() -> None:
    """台 (厶 over 口) at 300 dpi prints with white rows between its parts: one line to read, not two
    (each crop, grown to a glyph's height, showed the glyph whole: ``台台``). Two lines a line's gap
    apart stay two, and a narrow mark just under a line does not join it."""
    from pbextract.read.ocrcells import _ink_rows

    scale = 300 / 72
    ink = np.zeros((60, 120), np.uint8)
    cv2.rectangle(ink, (10, 10), (46, 22), 1, 2)  # 厶, 37 px wide
    cv2.rectangle(ink, (12, 28), (44, 46), 1, 2)  # 口, three white rows below it
    assert _ink_rows(ink, scale) == [(9, 48)]
    two = np.zeros((100, 120), np.uint8)
    for top in (10, 58):  # two lines of 37-px glyphs, 11 px (2.6 pt) apart
        cv2.rectangle(two, (10, top), (46, top + 36), 1, 2)
    assert len(_ink_rows(two, scale)) == 2
    # 元 wrapped under a full line of a harsh 200 dpi scan: its thin strokes (二) first join the line
    # above, are cut from it at the valley, and then stand apart from its 儿
    wrapped = np.zeros((75, 160), np.uint8)
    for x in (2, 28, 54, 80):
        cv2.rectangle(wrapped, (x, 20), (x + 21, 39), 1, 2)
    wrapped[48:51, 4:25] = 1
    cv2.rectangle(wrapped, (5, 55), (24, 67), 1, 2)
    assert _ink_rows(wrapped, 200 / 72) == [(19, 41), (42, 69)]
    # a speck high in the cell is no measure of its line: the glyph stays whole (it was cut at its
    # gap, the speck's height taken for the line's)
    specked = np.zeros((40, 60), np.uint8)
    specked[3:5, 40:42] = 1
    cv2.rectangle(specked, (10, 18), (26, 25), 1, 1)
    cv2.rectangle(specked, (11, 27), (25, 34), 1, 1)
    assert _ink_rows(specked, 150 / 72) == [(18, 35)]
    mark = np.zeros((70, 120), np.uint8)
    cv2.rectangle(mark, (10, 10), (46, 46), 1, 2)
    cv2.rectangle(mark, (40, 51), (45, 65), 1, -1)  # a narrow mark under the glyph's corner
    assert _ink_rows(mark, scale)[0] == (9, 48)


def test_two_lines_joined_by_a_speck_are_cut_by_their_glyphs_height() -> None:
    """A cell's only band: a full line of 9 pt glyphs over one wrapped glyph, a speck bridging the
    1 pt gap between them (18.7 pt in all, shorter than two 12 pt lines). Its glyphs are half its
    height, so it is two lines; a lone line of the same glyphs stays one."""
    from pbextract.read.ocrcells import _ink_rows

    scale = 150 / 72
    two = np.zeros((40, 220), np.uint8)
    for x in range(2, 200, 18):
        cv2.rectangle(two, (x, 2), (x + 15, 17), 1, 2)  # line 1: eleven glyphs, rows 1-18
    cv2.rectangle(two, (2, 21), (17, 36), 1, 2)  # line 2: one glyph, rows 20-37
    two[18:21, 100:102] = 1  # the speck across the gap
    (top, cut), (below, bottom) = _ink_rows(two, scale)
    assert (top, bottom) == (1, 38) and 18 <= cut <= below <= 21
    assert _ink_rows(two[:19], scale) == [(1, 19)]


def test_a_line_read_taller_than_its_glyphs_is_doubtful() -> None:
    """Two printed lines blurred into one crop read as the first alone (``抗原抗体`` over ``检测``): the
    crop stands twice as tall as its read glyphs are wide apart, which doubts the cell. One line of
    the same glyphs, and a short number under a tall crop's least height, are not doubted."""
    from pbextract.read.ocrcells import _taller_than_read

    scale = 150 / 72
    pad = 2 * int(1.5 * scale)
    assert _taller_than_read(np.zeros((38 + pad, 80 + pad)), "抗原抗体", scale)
    assert not _taller_than_read(np.zeros((19 + pad, 80 + pad)), "抗原抗体", scale)
    assert not _taller_than_read(np.zeros((19 + pad, 19 + pad)), "85%", scale)


def test_a_stroke_set_apart_after_the_text_is_a_mark_not_a_speck() -> None:
    """A 、 or ， ends a line half a glyph from the text as a dot would, but is a stroke: the
    line stays sure; a round dot there still leaves it in doubt."""
    from pbextract.read.ocrcells import _trim_specks

    def line(mark: str) -> np.ndarray:
        ink = np.zeros((24, 120), np.uint8)
        for x in (2, 26, 50):  # three glyphs, 20 pixels square
            cv2.rectangle(ink, (x, 2), (x + 19, 21), 1, 2)
        if mark == "stroke":
            cv2.line(ink, (84, 14), (90, 20), 1, 2)
        else:
            cv2.circle(ink, (87, 17), 3, 1, -1)
        return ink

    stroke, dot = (_trim_specks(line(m), 200 / 72) for m in ("stroke", "dot"))
    assert stroke[0] is not None and stroke[0][3] > 85 and stroke[1] is False
    assert dot[0] is not None and dot[0][3] > 85 and dot[1] is True


def test_a_trimmed_mark_doubts_only_the_character_beside_it() -> None:
    """``≥90%.`` trimmed to ``≥90%``: the unit beside the speck is doubtful, not the operator or number."""
    from pbextract.read.ocrcells import _edges_doubted

    assert _edges_doubted([1.0, 0.99, 0.98, 1.0], (False, True)) == [1.0, 0.99, 0.98, 0.85]
    assert _edges_doubted([1.0, 0.7], (True, False)) == [0.85, 0.7]
    assert _edges_doubted([0.9, 0.9], (False, False)) == [0.9, 0.9]
