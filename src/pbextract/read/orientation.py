"""Scans fed sideways or upside down: a page whose cells read as gibberish is tried turned.

Read upright, a page's cells come out sure almost everywhere (over 95% on the samples, 76-89% on
150 dpi scans, but only 31% on the harshest stress scans); read 180 degrees off, 0-21% of them; 90
degrees off, 33-63% (a sideways column of digits reads sure). Where fewer than 75% are sure, the
first lines of a sample of cells are read as the page lies and at the other quarter turns, and the
page is read at the first turn that makes 90% of them sure and clearly more than as it lies, else at
the one that makes clearly more of them sure.
"""

from __future__ import annotations

from pbextract.read.imagegrid import find_image_grids
from pbextract.read.imaging import PageImage, turned
from pbextract.read.ocr.engine import OcrEngine
from pbextract.read.ocrcells import line_crops
from pbextract.stages import Cell

SURE = 0.9  # a cell read at least this sure
UPRIGHT = 0.75  # share of a page's filled cells read sure, at or above which it is not tried turned
LEGIBLE = 0.9  # share of a sample read sure that settles the turn
MARGIN = 0.25  # how much more of the sample another turn must make sure (and at least half)
MIN_CELLS = 6  # fewer filled cells than this say nothing either way
SAMPLE = 16  # cells read at each other turn
TURNS = (180, 90, 270)


def legibility(cells: list[Cell]) -> float | None:
    """The share of filled cells read sure; None when too few cells are filled to judge."""
    filled = [c for c in cells if c.text]
    if len(filled) < MIN_CELLS:
        return None
    return sum(c.confidence >= SURE for c in filled) / len(filled)


def best_turn(img: PageImage, engine: OcrEngine) -> int:
    """The quarter turn (0, 90, 180 or 270) at which the page reads best, from a sample of lines read
    as the page lies and turned: the first turn that reads legibly and clearly better than the page as
    it lies, else the best that reads clearly better. A page whose sample reads half legibly as it
    lies is not upside down (a sideways line cut glyph by glyph can read sure, so turned readings are
    weighed against the page's own sample, never against its cells)."""
    upright = _sample_legibility(img, engine) or 0.0
    best, best_share = 0, max(0.5, upright + MARGIN)
    for turn in TURNS if upright < 0.5 else (90, 270):
        share = _sample_legibility(turned(img, turn), engine)
        if share is not None and share >= best_share:
            if share >= LEGIBLE:
                return turn
            best, best_share = turn, share
    return best


def _sample_legibility(img: PageImage, engine: OcrEngine) -> float | None:
    """The share of sure readings among the first lines of a sample of filled cells."""
    boxes = [cell.bbox for grid in find_image_grids(img) for cell in grid.cells]
    crops = [found.crops[0][0] for box in boxes if (found := line_crops(img, box)).crops]
    if len(crops) < MIN_CELLS:
        return None
    sample = crops[:: max(1, len(crops) // SAMPLE)][:SAMPLE]
    return sum(r.score >= SURE for r in engine.recognize(sample)) / len(sample)
