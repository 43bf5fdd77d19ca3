"""Scans fed sideways or upside down: a page whose reading is in doubt is tried turned.

Read upright, a page's cells come out sure almost everywhere (over 95% on the samples, 76-89% on
150 dpi scans, but only 31% on the harshest stress scans); read 180 degrees off, 0-21% of them.
Read 90 degrees off, a cell's "lines" are its glyphs one by one (a printed line runs across the
rows of ink), and a lone glyph often reads sure: such a page can look legible by its share of sure
cells, but it gives few characters per line. So the pipeline asks for a check where few cells are
sure or where nothing on the page reads as a word of the forms, and the check reads the first lines
of a sample of cells as the page lies and at the other quarter turns, counting the characters read
sure: the page is turned where a turn reads several times as many as the page as it lies.
"""

from __future__ import annotations

from pbextract.read.imaging import PageImage, turned, turned_box
from pbextract.read.ocr.engine import OcrEngine
from pbextract.read.ocrcells import line_crops
from pbextract.schema import BBox
from pbextract.stages import Cell

SURE = 0.9  # a cell or line read at least this sure
UPRIGHT = 0.75  # share of a page's filled cells read sure, below which its orientation is checked
MIN_CELLS = 6  # fewer filled cells than this say nothing either way
SAMPLE = 16  # cells whose first line is read at each turn
GAIN = 2.0  # a turn must read this many times as many sure characters as the page as it lies ...
MIN_GAIN = 16  # ... and at least this many more
TURNS = (90, 180, 270)


def legibility(cells: list[Cell]) -> float | None:
    """The share of filled cells read sure; None when too few cells are filled to judge."""
    filled = [c for c in cells if c.text]
    if len(filled) < MIN_CELLS:
        return None
    return sum(c.confidence >= SURE for c in filled) / len(filled)


def best_turn(img: PageImage, boxes: list[BBox], engine: OcrEngine) -> int:
    """The quarter turn (0, 90, 180 or 270) at which a sample of the page's lines gives the most
    characters read sure, if that is clearly more than the page gives as it lies; else 0. ``boxes``:
    the cells of the page as it lies (PDF points), turned with it."""
    as_lies = _sure_characters(img, boxes, engine) or 0
    best, best_count = 0, max(GAIN * as_lies, as_lies + MIN_GAIN)
    for turn in TURNS:
        count = _sure_characters(turned(img, turn), [turned_box(img, box, turn) for box in boxes], engine)
        if count is not None and count >= best_count:
            best, best_count = turn, count
    return best


def _sure_characters(img: PageImage, boxes: list[BBox], engine: OcrEngine) -> int | None:
    """The characters of the sure readings among the first lines of a sample of filled cells; None
    where the page shows too few cells with text."""
    crops = [found.crops[0][0] for box in boxes if (found := line_crops(img, box)).crops]
    if len(crops) < MIN_CELLS:
        return None
    sample = crops[:: max(1, len(crops) // SAMPLE)][:SAMPLE]
    return sum(len(r.text.strip()) for r in engine.recognize(sample) if r.score >= SURE)
