"""Stage 2 for page images: ruling lines by OpenCV morphology, then the same grid finder as digital pages.

Lines are found in the deskewed, flattened image: long thin runs of ink are kept (glyph strokes
are shorter), then short gaps between the pieces of a faint or broken rule are closed. The
segments, in PDF points, go to the same grid builder as a vector page's rules.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from pbextract.read.grid import IMAGE, Segment, build_grids
from pbextract.read.imaging import PageImage
from pbextract.stages import Grid

_MIN_RULE_PT = 12.0  # shortest rule kept, in points (a single-line row is about 15 pt high)
_PIECE_PT = 4.0  # a shorter run of ink counts as a piece of a broken rule when it lies on a rule's line
_GAP_PT = 4.0  # gaps in a rule up to this long are bridged
_REACH_PT = 12.0  # a piece of a broken rule lies within this of a long part of it


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels, robust to uneven contrast."""
    return np.asarray(
        cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15), dtype=np.uint8
    )


def _runs(mask: np.ndarray, horizontal: bool, scale: float, min_pt: float) -> list[tuple[float, float, float, float]]:
    """Thin runs of ink at least ``min_pt`` long along one direction, as (x0, top, x1, bottom) in pixels."""
    length = max(3, int(min_pt * scale))
    gap = max(1, int(_GAP_PT * scale))
    along = (gap, 1) if horizontal else (1, gap)
    keep = (length, 1) if horizontal else (1, length)
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, keep))
    lines = cv2.morphologyEx(runs, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, along))
    n, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    out = []
    for x, y, w, h, _area in stats[1:n]:
        if (w if horizontal else h) >= length:
            out.append((float(x), float(y), float(x + w), float(y + h)))
    return out


def _segment(box: tuple[float, float, float, float], horizontal: bool, img: PageImage) -> Segment:
    x0, top, x1, bottom = img.to_points(box)
    if horizontal:
        return Segment(True, (top + bottom) / 2, x0, x1)
    return Segment(False, (x0 + x1) / 2, top, bottom)


def rule_segments(img: PageImage) -> list[Segment]:
    """Horizontal and vertical rules of the page image, in PDF points, with the short pieces of
    broken rules: a piece counts when it lies on a long rule's line, between two of its parts or
    within a gap's reach of one (a dashed-looking rule still separates its cells)."""
    mask = ink_mask(img.gray)
    out: list[Segment] = []
    for horizontal in (True, False):
        rules = [_segment(b, horizontal, img) for b in _runs(mask, horizontal, img.scale, _MIN_RULE_PT)]
        pieces = [_segment(b, horizontal, img) for b in _runs(mask, horizontal, img.scale, _PIECE_PT)]
        out += rules + [p for p in pieces if _on_a_rule(p, rules)]
    return out


def _on_a_rule(piece: Segment, rules: list[Segment]) -> bool:
    ends = [r for r in rules if abs(r.pos - piece.pos) <= IMAGE.snap]
    before = any(0 <= piece.start - r.end <= _REACH_PT for r in ends)
    after = any(0 <= r.start - piece.end <= _REACH_PT for r in ends)
    return before or after


def find_image_grids(pdf_page: Any, img: PageImage) -> list[Grid]:
    """Ruled tables of a page image, as the same Grid objects the digital path makes."""
    return build_grids(pdf_page.page_number, rule_segments(img), IMAGE)
