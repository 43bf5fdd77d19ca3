"""Stage 2 for page images: ruling lines by OpenCV morphology, then the same grid finder as digital pages.

Lines are found in the deskewed, flattened image: long thin runs of ink are kept (glyph strokes
are shorter), then short gaps between the pieces of a faint or broken rule are closed. The
segments, in PDF points, go to the same grid builder as a vector page's rules.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from pbextract.read.grid import IMAGE, Segment, build_grids, covered
from pbextract.read.imaging import PageImage
from pbextract.stages import Grid

Box = tuple[float, float, float, float]  # (x0, top, x1, bottom) in pixels
_MIN_RULE_PT = 12.0  # shortest rule kept, in points (a single-line row is about 15 pt high)
_PIECE_PT = 4.0  # a shorter run of ink counts as a piece of a broken rule when it lies on a rule's line
_GAP_PT = 4.0  # gaps in a rule up to this long are bridged
_BRIDGE_PT = 30.0  # longest gap between two parts of a rule that pieces may bridge
_BRIDGE_FILL = 0.5  # share of such a gap that pieces must cover
_FAINT_STEP_PT, _FAINT_SIDE_PT = 1.0, 1.0  # a faded rule is followed a point at a time, against the paper beside it
_FAINT_CONTRAST = 10  # grey levels darker than that paper on both sides
_FAINT_MIN_PT = 3.0  # shortest faint stretch that counts
_BESIDE_PT, _BESIDE_SHARE = 1.5, 0.3  # ink this near both sides of a piece, along this share of it: a glyph


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels, robust to uneven contrast."""
    return np.asarray(
        cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15), dtype=np.uint8
    )


def _runs(mask: np.ndarray, horizontal: bool, scale: float, min_pt: float) -> list[Box]:
    """Thin runs of ink at least ``min_pt`` long along one direction, as (x0, top, x1, bottom) in pixels."""
    length = max(3, int(min_pt * scale))
    gap = max(1, int(_GAP_PT * scale))
    along = (gap, 1) if horizontal else (1, gap)
    keep = (length, 1) if horizontal else (1, length)
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, keep))
    lines = cv2.morphologyEx(runs, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, along))
    # Each 8-connected run's box: its outer contour's (the mask is nearly empty by now, and tracing
    # contours takes a thirtieth of the time of labelling every pixel).
    contours, hierarchy = cv2.findContours(lines, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    outer = [c for c, h in zip(contours, hierarchy[0], strict=True) if h[3] < 0]
    boxes = sorted((y, x, w, h) for x, y, w, h in map(cv2.boundingRect, outer) if (w if horizontal else h) >= length)
    return [(float(x), float(y), float(x + w), float(y + h)) for y, x, w, h in boxes]


def _segment(box: Box, horizontal: bool, img: PageImage) -> Segment:
    x0, top, x1, bottom = img.to_points(box)
    if horizontal:
        return Segment(True, (top + bottom) / 2, x0, x1)
    return Segment(False, (x0 + x1) / 2, top, bottom)


def rule_segments(img: PageImage) -> list[Segment]:
    """Horizontal and vertical rules of the page image, in PDF points. A rule goes on where it fades
    below the ink threshold but still shows as a faint line; a gap between two long parts of one
    rule is bridged when short pieces of ink on the rule's line fill most of it (a rule broken into
    dashes still separates its cells; a glyph's stroke on the line does not)."""
    mask = ink_mask(img.gray)
    out: list[Segment] = []
    for horizontal in (True, False):
        found = _runs(mask, horizontal, img.scale, _MIN_RULE_PT)
        found += [ext for b in found for ext in _faint_extensions(img, b, horizontal)]
        rules = [_segment(b, horizontal, img) for b in found]
        runs = _runs(mask, horizontal, img.scale, _PIECE_PT)
        pieces = [_segment(b, horizontal, img) for b in runs if not _inside_text(mask, b, horizontal, img.scale)]
        out += rules + _bridges(rules, pieces)
    return out


def _faint_extensions(img: PageImage, box: Box, horizontal: bool) -> list[Box]:
    """Where a rule goes on past either end as a faint line, too light for the ink mask (a scan's
    faded stretch): while, step by step, its course is darker than the paper just beside it on both
    sides (one step may miss, where it crosses another rule), as boxes like the rule's."""
    gray = img.gray.T if horizontal else img.gray  # walk a horizontal rule as a vertical one
    x0, top, x1, bottom = (int(v) for v in ((box[1], box[0], box[3], box[2]) if horizontal else box))
    step = max(2, int(_FAINT_STEP_PT * img.scale))
    side = max(2, int(_FAINT_SIDE_PT * img.scale))
    if x0 - 2 * side < 0 or x1 + 2 * side > gray.shape[1]:
        return []

    def faint(y: int) -> bool:
        course = float(gray[y : y + step, x0:x1].mean(axis=0).min())  # the line's darkest column
        left = float(gray[y : y + step, x0 - 2 * side : x0 - side].mean())
        right = float(gray[y : y + step, x1 + side : x1 + 2 * side].mean())
        return min(left, right) - course >= _FAINT_CONTRAST

    out: list[Box] = []
    for start, direction in ((bottom, 1), (top - step, -1)):
        y, last, missed = start, None, 0
        while y >= 0 and y + step <= gray.shape[0] and missed <= 1:
            if faint(y):
                last, missed = y, 0
            else:
                missed += 1
            y += direction * step
        if last is not None and abs(last - start) + step >= _FAINT_MIN_PT * img.scale:
            a, b = sorted((start, last + step) if direction > 0 else (last, start + step))
            out.append(
                (float(a), float(x0), float(b), float(x1)) if horizontal else (float(x0), float(a), float(x1), float(b))
            )
    return out


def _inside_text(mask: np.ndarray, box: Box, horizontal: bool, scale: float) -> bool:
    """Whether a short run of ink has ink right beside it on both sides along much of its length: a
    glyph's stroke within its text line (CJK glyphs stand in columns, so strokes of the lines of one
    cell can line up with a rule's course), not a piece of a rule, which the cells' padding keeps
    clear."""
    x0, top, x1, bottom = (int(v) for v in box)
    if horizontal:  # look above and below a horizontal run as left and right of a vertical one
        mask, (x0, top, x1, bottom) = mask.T, (top, x0, bottom, x1)
    m = max(1, int(_BESIDE_PT * scale))
    before, after = mask[top:bottom, max(0, x0 - m) : x0], mask[top:bottom, x1 : x1 + m]
    if not before.size or not after.size:
        return False
    return bool((before.any(axis=1) & after.any(axis=1)).mean() >= _BESIDE_SHARE)


def _bridges(rules: list[Segment], pieces: list[Segment]) -> list[Segment]:
    """Segments over the gaps between consecutive parts of a rule that short pieces mostly fill."""
    out: list[Segment] = []
    lines: list[list[Segment]] = []
    for r in sorted(rules, key=lambda r: r.pos):
        if lines and r.pos - lines[-1][-1].pos <= IMAGE.snap:
            lines[-1].append(r)
        else:
            lines.append([r])
    for line in lines:
        pos = sum(r.pos for r in line) / len(line)
        near = [p for p in pieces if abs(p.pos - pos) <= IMAGE.snap]
        parts = sorted(line, key=lambda r: r.start)
        for a, b in itertools.pairwise(parts):
            gap = b.start - a.end
            if 0 < gap <= _BRIDGE_PT and covered(near, a.end, b.start) >= _BRIDGE_FILL * gap:
                out.append(Segment(a.horizontal, pos, a.end, b.start))
    return out


def find_image_grids(img: PageImage) -> list[Grid]:
    """Ruled tables of a page image, as the same Grid objects the digital path makes."""
    return build_grids(img.page, rule_segments(img), IMAGE)
