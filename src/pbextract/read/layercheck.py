"""OCR'd pages: an earlier OCR run's invisible text layer is checked against our own reading.

A sample of cells is read by OCR and compared with the layer (after NFKC width folding). When
all of them agree the layer is used for the page; otherwise every cell is read by OCR. Wherever the two
disagree our reading wins, and the cell's confidence is lowered unless our reading is sure (an old
layer from a weaker engine disagrees with a right reading far more often than it catches a slip).
"""

from __future__ import annotations

import math
from typing import Any

from pbextract.read.imaging import PageImage
from pbextract.read.ocr.engine import OcrEngine
from pbextract.read.ocrcells import ocr_cells
from pbextract.read.textlayer import read_cells
from pbextract.stages import Cell, Grid
from pbextract.text import compact

SAMPLE = 16  # cells compared per page
TRUST = 1.0  # share of sampled cells that must agree for the layer to be used
LAYER_CONFIDENCE = 0.95  # a trusted layer's cells: good, but not as sure as a digital PDF
DISAGREE_FACTOR = 0.85  # our reading's confidence is multiplied by this where the layer said otherwise
SURE = 0.95  # ... unless our reading is at least this sure: an old layer is mostly the worse reader


def deskew_chars(chars: list[dict[str, Any]], img: PageImage, width: float, height: float) -> list[dict[str, Any]]:
    """Text-layer glyphs moved into the deskewed page image's frame (turned about the page centre)."""
    if img.skew == 0:
        return chars
    a = math.radians(img.skew)
    cos, sin = math.cos(a), math.sin(a)
    cx, cy = width / 2, height / 2
    out = []
    for c in chars:
        x, y = (c["x0"] + c["x1"]) / 2 - cx, (c["top"] + c["bottom"]) / 2 - cy
        # the same turn cv2.getRotationMatrix2D(centre, skew) gives the image (y pointing down)
        nx, ny = cos * x + sin * y + cx, -sin * x + cos * y + cy
        dx, dy = nx - (c["x0"] + c["x1"]) / 2, ny - (c["top"] + c["bottom"]) / 2
        out.append({**c, "x0": c["x0"] + dx, "x1": c["x1"] + dx, "top": c["top"] + dy, "bottom": c["bottom"] + dy})
    return out


def _agree(a: str, b: str) -> bool:
    return compact(a) == compact(b)


def checked_cells(img: PageImage, grid: Grid, chars: list[dict[str, Any]], engine: OcrEngine) -> list[Cell]:
    """The cells of an OCR'd page: from the layer if a sample agrees with OCR, else from OCR."""
    layer = read_cells(chars, grid)
    filled = [i for i, c in enumerate(layer) if c.text]
    step = max(1, len(filled) // SAMPLE)
    sample = set(filled[::step][:SAMPLE])
    ours = dict(zip(sorted(sample), ocr_cells(img, grid, engine, only=sample), strict=True))
    agreed = sum(_agree(layer[i].text, ours[i].text) for i in sample)
    if sample and agreed / len(sample) < TRUST:
        rest = set(range(len(layer))) - sample
        ours.update(zip(sorted(rest), ocr_cells(img, grid, engine, only=rest), strict=True))
        return [_judged(ours[i], layer[i]) for i in range(len(layer))]
    out = []
    for i, cell in enumerate(layer):
        if i in ours:
            out.append(_judged(ours[i], cell))
        else:
            out.append(cell.model_copy(update={"confidence": LAYER_CONFIDENCE, "source": "text_layer"}))
    return out


def _judged(ours: Cell, layer: Cell) -> Cell:
    if _agree(ours.text, layer.text):
        raised = [max(c, LAYER_CONFIDENCE) for c in ours.char_confidence]
        return ours.model_copy(update={"confidence": max(ours.confidence, LAYER_CONFIDENCE), "char_confidence": raised})
    if ours.confidence >= SURE:
        return ours
    lowered = [c * DISAGREE_FACTOR for c in ours.char_confidence]
    return ours.model_copy(update={"confidence": ours.confidence * DISAGREE_FACTOR, "char_confidence": lowered})
